/** The local-mode bench's arithmetic: medians over its runs, the watcher's moves read from its record of weight changes, and when the hashes' share crossed 90 %. */
import type { WeightChange } from "@istio-burst/contract";
import { DOWN_SHARE, median, movesToBurst, shareCrossing, UP_SHARE, type HashRecord } from "../../bench/local-e2e";

const change = (atMs: number, action: WeightChange["action"], from: number, to: number): WeightChange => ({
  at: new Date(atMs).toISOString(),
  seq: 0,
  action,
  reason: "",
  from: { primary: 100 - from, burst: from },
  to: { primary: 100 - to, burst: to },
  dryRun: false,
});

describe("the local-mode bench's figures", () => {
  it("takes the median of an odd and an even number of runs, whatever their order", () => {
    expect(median([5.1, 3.2, 4.4])).toBe(4.4);
    expect(median([6, 3, 4, 5])).toBe(4.5);
    expect(median([7])).toBe(7);
  });

  it("reads the watcher's moves towards burst after the step: the first, and the one to the full burst weights", () => {
    const step = 1_000_000;
    const changes = [change(step - 60_000, "to-natural", 100, 0), change(step + 3_200, "to-burst", 0, 50), change(step + 4_200, "step-up", 50, 100), change(step + 30_000, "to-natural", 100, 0)];
    expect(movesToBurst(changes, step)).toEqual({ firstMoveS: 3.2, fullBurstS: 4.2, moves: ["to-burst 50,50", "step-up 0,100"] });
    expect(movesToBurst([], step)).toEqual({ firstMoveS: null, fullBurstS: null, moves: [] });
  });
});

describe("when the hashes' share crossed 90 % (each hash timed as it is published, a trailing window)", () => {
  const since = 1_000_000;
  /** A hash every `everyMs` from `since` to `since + untilMs`, from burst where `burstAt(ms after since)` says so. */
  const hashes = (everyMs: number, untilMs: number, burstAt: (ms: number, i: number) => boolean): HashRecord[] =>
    Array.from({ length: Math.floor(untilMs / everyMs) }, (_, i) => ({ t: since + (i + 1) * everyMs, burst: burstAt((i + 1) * everyMs, i) }));
  const toBurst = (share: number) => share >= 0.9;

  it("a route switched whole at S: crossed at the hash that makes the last second 90 % burst, after S by about 0.9 s, never before S", () => {
    for (const switchMs of [1_000, 3_000, 3_020, 4_510]) {
      const at = shareCrossing(hashes(40, 10_000, (ms) => ms > switchMs), since, toBurst, UP_SHARE)!;
      expect([switchMs, at >= switchMs + 0.85 * UP_SHARE.windowMs, at <= switchMs + 0.9 * UP_SHARE.windowMs + 40]).toEqual([switchMs, true, true]);
    }
  });

  it("never reads a half share as 90 %, and ignores hashes from before the step", () => {
    // 50,50 for 10 s, burst and primary alternating: never
    expect(shareCrossing(hashes(40, 10_000, (_ms, i) => i % 2 === 0), since, toBurst, UP_SHARE)).toBeUndefined();
    // burst before the step does not count: the window starts with the step
    const before: HashRecord[] = [...Array.from({ length: 50 }, (_, i) => ({ t: since - 2_000 + i * 40, burst: true })), ...hashes(40, 3_000, () => false)];
    expect(shareCrossing(before, since, toBurst, UP_SHARE)).toBeUndefined();
  });

  it("needs a whole window after the step, with enough hashes in it", () => {
    // all burst from the step: the first hash at least a window after it
    expect(shareCrossing(hashes(40, 5_000, () => true), since, toBurst, UP_SHARE)).toBe(1_000);
    // 3 req/s going down: a 2 s window holds 6; 2 hashes in it are not enough
    expect(shareCrossing(hashes(333, 5_000, () => false), since, (share) => share <= 0.1, DOWN_SHARE)).toBe(2_331);
    expect(shareCrossing(hashes(1_500, 5_000, () => false), since, (share) => share <= 0.1, DOWN_SHARE)).toBeUndefined();
    expect(shareCrossing([], since, toBurst, UP_SHARE)).toBeUndefined();
  });
});
