/** Local mode's feed of the watcher's weight changes: which changes of a /status answer are new, and their one printed line. */
import type { WatcherStatus, WeightChange } from "@istio-burst/contract";
import { formatWeightChange, newChanges } from "../../local/src/weight-changes";

describe("weight changes from the watcher's /status", () => {
  const change = (seq: number, at = `2026-11-25T15:00:0${seq}.000Z`): WeightChange => ({
    at,
    seq,
    action: seq % 2 ? "to-burst" : "to-natural",
    reason: `change ${seq}`,
    from: seq % 2 ? { primary: 100, burst: 0 } : { primary: 0, burst: 100 },
    to: seq % 2 ? { primary: 0, burst: 100 } : { primary: 100, burst: 0 },
    dryRun: false,
  });
  const status = (...recent: WeightChange[]) => ({ changes: recent.at(-1)?.seq ?? 0, recentChanges: recent }) as unknown as WatcherStatus;
  const seqs = (cs: WeightChange[]) => cs.map((c) => c.seq);

  it.each([
    ["the first poll: everything listed", status(change(1), change(2)), undefined, [1, 2]],
    ["nothing new", status(change(1), change(2)), change(2), []],
    ["several between two polls", status(change(1), change(2), change(3), change(4)), change(2), [3, 4]],
    ["a restarted watcher with fewer changes", status(change(1, "2026-11-25T16:00:00.000Z")), change(3), [1]],
    ["a restarted watcher with as many changes", status(change(1, "2026-11-25T16:00:00.000Z"), change(2, "2026-11-25T16:00:01.000Z")), change(2), [1, 2]],
  ])("%s", (_what, s, last, expected) => expect(seqs(newChanges(s, last))).toEqual(expected));

  it("prints one line per change with the watcher's reason", () => {
    expect(formatWeightChange(change(1))).toMatch(/^\d\d:\d\d:\d\d {2}weights primary {3}0 \/ burst 100 {2}to-burst: change 1$/);
    expect(formatWeightChange({ ...change(2), dryRun: true })).toMatch(/weights primary 100 \/ burst {3}0 {2}to-natural: change 2 \(dry run: not applied\)$/);
  });
});
