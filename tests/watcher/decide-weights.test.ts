/** decide() through weights.ts: no data holds the weights, the burst health guard, and minDwell (it holds reversals, not follow-ups towards burst), with overflow mode's headroom for a rising load. */
import type { Action, Weights } from "@istio-burst/contract";
import { decide, initialState, type Policy, type Sample } from "../../watcher/src/lib";
import { BURST, EMPTY, ERR, MANY, NAN, NATURAL, overflow, policy, pv, ramp, repeat, replay, runWithPool, v, type Change } from "./decide-helpers";

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

  it("MIN_DWELL spaces the steps down after a steep ramp; the steps up only until the ramp has outgrown one within it", () => {
    const { changes } = replay(overflow({ minDwell: 5_000 }), [...ramp(20, 60, 21), ...ramp(60, 20, 21)]);
    const ups = changes.filter((c) => c.action === "step-up");
    const downs = changes.filter((c) => c.action === "step-down");
    // up (2 rps a poll over a capacity of 20): 22 rps asks for 10 % at 1; the next step waits MIN_DWELL (to 32 rps: 40 %
    // at 6); the load outgrew that first step within it, so it is rising: 34 rps at 7 goes at once, sized for 34 + 5
    // (50 %), and 42 rps at 11 for 47 (60 %, MAX_BURST_WEIGHT)
    expect(ups.map((c) => c.weights)).toEqual(["90,10", "60,40", "50,50", "40,60"]);
    expect(ups.map((c) => c.at)).toEqual([1, 6, 7, 11]);
    // down: each change towards primary at least MIN_DWELL after the change before it
    expect(downs.length).toBeGreaterThanOrEqual(2);
    for (const d of downs) {
      const before = changes[changes.indexOf(d) - 1];
      expect(d.at - before.at).toBeGreaterThanOrEqual(5);
    }
  });
});

describe("minDwell holds reversals, not follow-ups", () => {
  it.each<[string, Policy, (number | Sample)[], Change[]]>([
    [
      "overflow: the step after a first step up waits MIN_DWELL: a spike reads as a step until the next scrape shows it gone",
      overflow(),
      [10, 21, 30, ...repeat(10, 12)],
      [
        { at: 1, weights: "90,10", action: "step-up" },
        { at: 11, weights: "100,0", action: "step-down" },
      ],
    ],
    [
      // 21 rps: 10 %; 25 rps asks for 20 % within MIN_DWELL (held: the load outgrew the first step), so the load is
      // rising: 30 rps asks for 40 % at once and gets the share of 30 + OVERFLOW_BAND_RPS 5 = 35 rps (50 %), which 34 rps
      // needs no step beyond (without the headroom: 40 % at 11, 50 % at 12)
      "overflow: once the load outgrew a step within MIN_DWELL, the next step goes at the poll that calls for it, sized for the load + OVERFLOW_BAND_RPS",
      overflow(),
      [21, ...repeat(25, 10), 30, 34, 34],
      [
        { at: 0, weights: "90,10", action: "step-up" },
        { at: 10, weights: "80,20", action: "step-up" },
        { at: 11, weights: "50,50", action: "step-up" },
      ],
    ],
    ["overflow: a step down right after a step up waits MIN_DWELL", overflow(), [40, ...repeat(10, 12)], [
      { at: 0, weights: "50,50", action: "step-up" },
      { at: 10, weights: "100,0", action: "step-down" },
    ]],
    [
      "overflow: a step up right after a step down (a reversal) waits MIN_DWELL, and so does the step after it (a first step up)",
      overflow(),
      [40, ...repeat(10, 10), ...repeat(40, 10), ...repeat(100, 11)],
      [
        { at: 0, weights: "50,50", action: "step-up" },
        { at: 10, weights: "100,0", action: "step-down" },
        { at: 20, weights: "50,50", action: "step-up" },
        { at: 30, weights: "40,60", action: "step-up" },
      ],
    ],
    [
      "switch: back to burst right after coming back (a reversal) waits MIN_DWELL",
      policy(),
      [20, ...repeat(5, 10), ...repeat(20, 12)],
      [
        { at: 0, weights: "0,100", action: "to-burst" },
        { at: 10, weights: "100,0", action: "to-natural" },
        { at: 20, weights: "0,100", action: "to-burst" },
      ],
    ],
  ])("%s", (_name, p, samples, expected) => {
    expect(replay(p, samples).changes).toEqual(expected);
  });

  it.each<[string, number, number[], Action[]]>([
    // 2 replicas, ready one a poll: capped at 50 %, the rest at the next poll
    ["2 replicas", 2, [0, 50, 100, 100, 100, 100], ["wait-capacity", "to-burst", "step-up", "hold", "hold", "hold"]],
    ["4 replicas", 4, [0, 20, 50, 70, 100, 100], ["wait-capacity", "to-burst", "step-up", "step-up", "step-up", "hold"]],
  ])("switch, MIN_DWELL 10 s: the weight rises as %s become ready, one at a time, at the poll each is ready", (_name, replicas, burst, actions) => {
    const { rows, state } = runWithPool(policy({ burstReplicas: replicas }), repeat(20, 6), { readyAfter: 1, oneByOne: true });
    expect(rows.map((r) => r.burst)).toEqual(burst);
    expect(rows.map((r) => r.action)).toEqual(actions);
    expect(state.lastChangeToward).toBe("burst");
  });

  it("remembers the direction of the last change in the state: none at start, then burst, then primary", () => {
    const p = policy();
    const start = initialState(NATURAL, p);
    expect(start.lastChangeToward).toBeNull();
    const up = decide(start, v(20), p, 1_000_000);
    expect(up.state.lastChangeToward).toBe("burst");
    const down = decide(up.state, v(5), p, 1_010_000);
    expect(down.action).toBe("to-natural");
    expect(down.state.lastChangeToward).toBe("primary");
    // a restart in burst has no memory of its last change: its first move is not held
    expect(initialState(BURST, p).lastChangeToward).toBeNull();
  });

  it("remembers why the next move towards burst is a follow-up: replicas (capped), rising (outgrown within MIN_DWELL), none after a first step up or a step down", () => {
    const p = overflow();
    const t0 = 1_000_000;
    expect(initialState(NATURAL, p).followUp).toBeNull();
    // 40 rps over 20 asks for 50 %, 2 replicas: 1 ready caps it at 20 %
    const capped = decide(initialState(NATURAL, p), pv(40, 2, 1), p, t0);
    expect([capped.action, capped.weights.burst, capped.state.followUp]).toEqual(["step-up", 20, "replicas"]);
    // the second ready a poll later: the rest at once, a step up after a step up within MIN_DWELL
    const ready = decide(capped.state, pv(40, 2, 2), p, t0 + 1_000);
    expect([ready.action, ready.weights.burst, ready.state.followUp]).toEqual(["step-up", 50, "rising"]);
    const down = decide(ready.state, pv(10, 2, 2), p, t0 + 11_000);
    expect([down.action, down.state.followUp]).toEqual(["step-down", null]);
    const first = decide(initialState(NATURAL, p), v(21), p, t0);
    expect([first.action, first.state.followUp]).toEqual(["step-up", null]);
  });
});
