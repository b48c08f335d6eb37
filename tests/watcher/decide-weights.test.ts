/** decide() through weights.ts: no data holds the weights, the burst health guard, and minDwell between two changes. */
import type { Weights } from "@istio-burst/contract";
import type { Policy, Sample } from "../../watcher/src/lib";
import { BURST, EMPTY, ERR, MANY, NAN, NATURAL, overflow, policy, ramp, repeat, replay, v } from "./decide-helpers";

describe("no data and failed queries hold the weights", () => {
  it.each<[string, Policy, Weights, Sample[]]>([
    ["switch, natural", policy(), NATURAL, [EMPTY, NAN, MANY, ERR]],
    ["switch, burst", policy(), BURST, [EMPTY, NAN, MANY, ERR]],
    ["overflow, 70,30", overflow(), { primary: 70, burst: 30 }, [EMPTY, NAN, MANY, ERR]],
  ])("%s", (_name, p, start, kinds) => {
    const samples = repeat(kinds, 10).flat();
    const { changes, state, actions } = replay(p, samples, { start });
    expect(changes).toEqual([]);
    expect(state.weights).toEqual(start);
    expect(state.noDataStreak).toBe(30);
    expect(state.errorStreak).toBe(10);
    expect(new Set(actions)).toEqual(new Set(["no-data", "query-error"]));
  });

  it("a gap breaks the consecutive samples CONFIRM_SAMPLES asks for; data resets the streaks", () => {
    const p = policy({ confirmSamples: 2 });
    const { changes, state } = replay(p, [20, EMPTY, 20, ERR, 20, 20]);
    expect(changes).toEqual([{ at: 5, weights: "0,100", action: "to-burst" }]);
    expect(state.noDataStreak).toBe(0);
    expect(state.errorStreak).toBe(0);
  });

  it("holding during the no-data period, then acting on the first real sample", () => {
    const { changes } = replay(policy(), [...repeat(EMPTY, 5), 3], { start: BURST });
    expect(changes).toEqual([{ at: 5, weights: "100,0", action: "to-natural" }]);
  });
});

describe("the burst health guard", () => {
  const guarded = (p: Partial<Policy> = {}) => policy({ healthGuard: true, burstMinSuccess: 0.5, burstUnhealthySamples: 3, burstRetryAfter: 30_000, ...p });

  it("returns all traffic to primary after 3 failing samples, ignoring dwell, and blocks burst for a while", () => {
    const samples = [v(30), v(30, 1), v(30, 0.2), v(30, 0), v(30), v(30, 0), ...repeat(v(30), 40)];
    const { changes, actions } = replay(guarded({ minDwell: 60_000 }), samples);
    // at 4 the ratio is unknown (no data): it neither counts nor resets
    expect(changes[0]).toEqual({ at: 0, weights: "0,100", action: "to-burst" });
    expect(changes[1]).toEqual({ at: 5, weights: "100,0", action: "health-fallback" });
    expect(actions.slice(6, 6 + 29)).toEqual(repeat("burst-blocked", 29));
    // unblocked at 35 s, but MIN_DWELL (60 s since the fallback) still holds until 65 s
    expect(changes).toHaveLength(2);
    expect(actions.slice(35)).toEqual(repeat("dwell", samples.length - 35));
  });

  it("after the retry period burst is used again", () => {
    const samples = [v(30), v(30, 0), v(30, 0), v(30, 0), ...repeat(v(30), 40)];
    const { changes } = replay(guarded({ minDwell: 0 }), samples);
    expect(changes).toEqual([
      { at: 0, weights: "0,100", action: "to-burst" },
      { at: 3, weights: "100,0", action: "health-fallback" },
      { at: 33, weights: "0,100", action: "to-burst" },
    ]);
  });

  it("healthy samples reset the count; the guard does nothing while burst gets no traffic", () => {
    const samples = [v(30, 0), v(30, 0.1), v(30, 0.2), v(30, 0.9), v(30, 0.1), v(30, 0.1), v(30, 1), v(3, 0), v(3, 0), v(3, 0), v(3, 0)];
    const { changes } = replay(guarded({ minDwell: 0 }), samples);
    expect(changes).toEqual([
      { at: 0, weights: "0,100", action: "to-burst" },
      { at: 7, weights: "100,0", action: "to-natural" },
    ]);
  });

  it("disabled guard ignores the ratio", () => {
    expect(replay(policy({ minDwell: 0 }), repeat(v(30, 0), 10)).changes).toEqual([{ at: 0, weights: "0,100", action: "to-burst" }]);
  });
});

describe("minDwell: the time between two weight changes", () => {
  it("respects MIN_DWELL: a drop right after switching waits for the dwell, then switches", () => {
    // switch at t=1s; load vanishes at once; dwell 10 s -> back to natural at t=11s, not before
    const { changes, actions } = replay(policy(), [5, 20, ...repeat(1, 15)]);
    expect(changes).toEqual([
      { at: 1, weights: "0,100", action: "to-burst" },
      { at: 11, weights: "100,0", action: "to-natural" },
    ]);
    expect(actions.slice(2, 11)).toEqual(repeat("dwell", 9));
  });

  it("a square wave faster than MIN_DWELL changes the weights at most once per dwell", () => {
    const wave = repeat([...repeat(30, 3), ...repeat(0, 3)], 20).flat(); // 120 s
    const { changes } = replay(policy({ minDwell: 20_000 }), wave);
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(20);
    expect(changes.length).toBeLessThanOrEqual(Math.floor(120 / 20) + 1);
    expect(changes.length).toBeGreaterThan(0);
  });

  it("the first change after start is not delayed by MIN_DWELL", () => {
    expect(replay(policy({ minDwell: 3_600_000 }), [40]).changes).toEqual([{ at: 0, weights: "0,100", action: "to-burst" }]);
  });

  it("MIN_DWELL spaces the steps of a steep ramp", () => {
    const { changes } = replay(overflow({ minDwell: 5_000 }), ramp(20, 60, 21));
    expect(changes.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(5);
    expect(changes.at(-1)?.weights).toBe("40,60"); // capped by MAX_BURST_WEIGHT
  });
});
