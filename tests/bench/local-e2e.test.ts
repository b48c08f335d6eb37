/** The local-mode bench's arithmetic: medians over its runs, and the watcher's moves read from its record of weight changes. */
import type { WeightChange } from "@istio-burst/contract";
import { median, movesToBurst } from "../../bench/local-e2e";

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
