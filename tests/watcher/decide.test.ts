import type { Action, Weights } from "@istio-burst/contract";
import { allowedBurstWeight, decide, initialState, overflowBurstWeight, type Policy, type Sample, type State } from "../../watcher/src/lib";

const NATURAL: Weights = { primary: 100, burst: 0 };
const BURST: Weights = { primary: 0, burst: 100 };

const basePolicy: Policy = {
  mode: "switch",
  highRps: 15,
  lowRps: 10,
  minDwellMs: 10_000,
  downStabilizationMs: 0,
  confirmSamples: 1,
  natural: NATURAL,
  burst: BURST,
  primaryCapacityRps: 20,
  stepWeight: 10,
  maxBurstWeight: 60,
  overflowBandRps: 5,
  health: { enabled: false, minSuccessRatio: 0.5, unhealthySamples: 3, retryAfterMs: 60_000 },
};
const policy = (p: Partial<Policy> = {}): Policy => ({ ...basePolicy, ...p });
const overflow = (p: Partial<Policy> = {}): Policy => policy({ mode: "overflow", ...p });

const v = (rps: number, burstSuccessRatio?: number): Sample => ({ kind: "value", rps, burstSuccessRatio });
/** A sample with both views: the slow one (coming back) and the fast one (bursting). */
const vv = (rps: number, upRps: number): Sample => ({ kind: "value", rps, upRps });
const EMPTY: Sample = { kind: "nodata", reason: "empty" };
const NAN: Sample = { kind: "nodata", reason: "nan" };
const MANY: Sample = { kind: "nodata", reason: "multiple-series" };
const ERR: Sample = { kind: "error", message: "HTTP 503" };

interface Change {
  at: number;
  weights: string;
  action: Action;
}

/** Replays samples one poll interval apart; returns the weight changes and the last state. */
function replay(p: Policy, samples: (number | Sample)[], opts: { start?: Weights; everyMs?: number; t0?: number } = {}) {
  const every = opts.everyMs ?? 1_000;
  let state: State = initialState(opts.start ?? p.natural, p);
  const changes: Change[] = [];
  const actions: Action[] = [];
  samples.forEach((s, i) => {
    const now = (opts.t0 ?? 1_000_000) + i * every;
    const d = decide(state, typeof s === "number" ? v(s) : s, p, now);
    expect(d.weights).toEqual(d.state.weights);
    expect(d.weights.primary + d.weights.burst).toBe(100);
    if (d.changed) changes.push({ at: i, weights: `${d.weights.primary},${d.weights.burst}`, action: d.action });
    actions.push(d.action);
    state = d.state;
  });
  return { changes, state, actions };
}

const ramp = (from: number, to: number, n: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

describe("decide: switch mode (the 2018 codelab's thresholds, plus MIN_DWELL)", () => {
  it.each<[string, Partial<Policy>, (number | Sample)[], Weights | undefined, Change[]]>([
    ["step up: above HIGH_RPS -> burst weights", {}, [5, 10, 14, 15, 16, 20], undefined, [{ at: 4, weights: "0,100", action: "to-burst" }]],
    ["exactly HIGH_RPS does not switch (strictly above)", {}, repeat(15, 20), undefined, []],
    ["step down: below LOW_RPS -> natural weights", {}, [20, 14, 11, 10, 9.9, 5], BURST, [{ at: 4, weights: "100,0", action: "to-natural" }]],
    [
      "up then down, dwell long passed",
      {},
      [...repeat(5, 3), ...repeat(30, 20), ...repeat(2, 3)],
      undefined,
      [
        { at: 3, weights: "0,100", action: "to-burst" },
        { at: 23, weights: "100,0", action: "to-natural" },
      ],
    ],
    ["sawtooth inside the band (10..15) from natural: zero changes", {}, repeat([10.5, 14.9, 12, 10, 15], 20).flat(), undefined, []],
    ["sawtooth inside the band (10..15) from burst: zero changes", {}, repeat([10.5, 14.9, 12, 10, 15], 20).flat(), BURST, []],
    [
      "noisy plateau at HIGH_RPS: one switch, no flapping",
      {},
      repeat([14.6, 15.4, 14.9, 15.2, 14.7, 15.1], 10).flat(),
      undefined,
      [{ at: 1, weights: "0,100", action: "to-burst" }],
    ],
    [
      "noisy plateau at LOW_RPS from burst: one switch back",
      {},
      repeat([10.3, 9.8, 10.1, 9.6, 10.4], 10).flat(),
      BURST,
      [{ at: 1, weights: "100,0", action: "to-natural" }],
    ],
    [
      "CONFIRM_SAMPLES=3: a two-sample spike does not switch, a sustained rise does",
      { confirmSamples: 3 },
      [5, 20, 20, 5, 20, 20, 20, 20],
      undefined,
      [{ at: 6, weights: "0,100", action: "to-burst" }],
    ],
    [
      "custom weights: NATURAL 90,10 and BURST 30,70",
      { natural: { primary: 90, burst: 10 }, burst: { primary: 30, burst: 70 } },
      [5, 16, 16, 3],
      { primary: 90, burst: 10 },
      [
        { at: 1, weights: "30,70", action: "to-burst" },
      ],
    ],
  ])("%s", (_name, p, samples, start, expected) => {
    expect(replay(policy(p), samples, { start }).changes).toEqual(expected);
  });

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
    const { changes } = replay(policy({ minDwellMs: 20_000 }), wave);
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(20);
    expect(changes.length).toBeLessThanOrEqual(Math.floor(120 / 20) + 1);
    expect(changes.length).toBeGreaterThan(0);
  });

  it("the first change after start is not delayed by MIN_DWELL", () => {
    expect(replay(policy({ minDwellMs: 3_600_000 }), [40]).changes).toEqual([{ at: 0, weights: "0,100", action: "to-burst" }]);
  });
});

describe("decide: overflow mode", () => {
  it.each<[number, Partial<Policy>, number]>([
    // rps, policy overrides, burst weight; capacity 20, step 10, cap 60
    [0, {}, 0],
    [10, {}, 0],
    [20, {}, 0],
    [20.5, {}, 10], // 2.4 % excess -> one step
    [25, {}, 20], // 20 % excess
    [30, {}, 40], // 33.3 % -> 40
    [40, {}, 50], // 50 %
    [100, {}, 60], // 80 % capped by MAX_BURST_WEIGHT
    [100, { maxBurstWeight: 100 }, 80],
    [30, { stepWeight: 5 }, 35],
    [30, { stepWeight: 1 }, 34],
    [10, { natural: { primary: 90, burst: 10 } }, 10], // never below the natural burst weight
  ])("at %d rps (%j) the burst share is %d", (rps, p, expected) => {
    expect(overflowBurstWeight(rps, overflow(p))).toBe(expected);
  });

  it.each<[string, Partial<Policy>, (number | Sample)[], Weights | undefined, Change[]]>([
    [
      "steps up as the load rises (dwell 0): shares keep primary at or under capacity",
      { minDwellMs: 0 },
      [10, 18, 21, 25, 30, 40, 40],
      undefined,
      [
        { at: 2, weights: "90,10", action: "step-up" },
        { at: 3, weights: "80,20", action: "step-up" },
        { at: 4, weights: "60,40", action: "step-up" },
        { at: 5, weights: "50,50", action: "step-up" },
      ],
    ],
    [
      // down only when share(rps + 5) < current: 34+5=39 -> 50 (hold), 30+5=35 -> 50 (hold), 27+5=32 -> 40,
      // 24+5=29 -> 40 (hold), 22+5=27 -> 30, 20+5=25 -> 20, 15+5=20 -> 0
      "steps down only once the load is a band (5 rps) lower",
      { minDwellMs: 0 },
      [40, 38, 36, 34, 30, 27, 24, 22, 20, 15, 14],
      undefined,
      [
        { at: 0, weights: "50,50", action: "step-up" },
        { at: 5, weights: "60,40", action: "step-down" },
        { at: 7, weights: "70,30", action: "step-down" },
        { at: 8, weights: "80,20", action: "step-down" },
        { at: 9, weights: "100,0", action: "step-down" },
      ],
    ],
  ])("%s", (_name, p, samples, start, expected) => {
    expect(replay(overflow(p), samples, { start }).changes).toEqual(expected);
  });

  it("noise around the capacity moves the weights once, not back and forth", () => {
    const noisy = repeat([19.5, 21, 20.2, 22, 19, 21.5, 20.8], 15).flat();
    const { changes } = replay(overflow({ minDwellMs: 0 }), noisy);
    // 21 rps: 4.8 % over -> 10; 22 rps: 9.1 % -> still 10; 19 rps + 5 band -> 20 >= 10 -> hold
    expect(changes).toEqual([{ at: 1, weights: "90,10", action: "step-up" }]);
  });

  it("a sawtooth inside the band leaves the weights alone (zero changes)", () => {
    // start at 70,30 (share for 25..28.5 rps); sawtooth 24..28 keeps share(rps) <= 30 and share(rps+5) >= 30
    const saw = repeat([24, 25, 26, 27, 28, 27, 26, 25], 15).flat();
    expect(replay(overflow({ minDwellMs: 0 }), saw, { start: { primary: 70, burst: 30 } }).changes).toEqual([]);
  });

  it("MIN_DWELL spaces the steps of a steep ramp", () => {
    const { changes } = replay(overflow({ minDwellMs: 5_000 }), ramp(20, 60, 21));
    expect(changes.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(5);
    expect(changes.at(-1)?.weights).toBe("40,60"); // capped by MAX_BURST_WEIGHT
  });

  it("a restart in the middle of overflow keeps the found share", () => {
    const p = overflow({ minDwellMs: 0 });
    expect(initialState({ primary: 60, burst: 40 }, p).phase).toBe("burst");
    expect(replay(p, repeat(30, 10), { start: { primary: 60, burst: 40 } }).changes).toEqual([]);
  });
});

describe("decide: no data and failed queries hold the weights", () => {
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

describe("decide: burst health guard", () => {
  const guarded = (p: Partial<Policy> = {}) => policy({ health: { enabled: true, minSuccessRatio: 0.5, unhealthySamples: 3, retryAfterMs: 30_000 }, ...p });

  it("returns all traffic to primary after 3 failing samples, ignoring dwell, and blocks burst for a while", () => {
    const samples = [v(30), v(30, 1), v(30, 0.2), v(30, 0), v(30), v(30, 0), ...repeat(v(30), 40)];
    const { changes, actions } = replay(guarded({ minDwellMs: 60_000 }), samples);
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
    const { changes } = replay(guarded({ minDwellMs: 0 }), samples);
    expect(changes).toEqual([
      { at: 0, weights: "0,100", action: "to-burst" },
      { at: 3, weights: "100,0", action: "health-fallback" },
      { at: 33, weights: "0,100", action: "to-burst" },
    ]);
  });

  it("healthy samples reset the count; the guard does nothing while burst gets no traffic", () => {
    const samples = [v(30, 0), v(30, 0.1), v(30, 0.2), v(30, 0.9), v(30, 0.1), v(30, 0.1), v(30, 1), v(3, 0), v(3, 0), v(3, 0), v(3, 0)];
    const { changes } = replay(guarded({ minDwellMs: 0 }), samples);
    expect(changes).toEqual([
      { at: 0, weights: "0,100", action: "to-burst" },
      { at: 7, weights: "100,0", action: "to-natural" },
    ]);
  });

  it("disabled guard ignores the ratio", () => {
    expect(replay(policy({ minDwellMs: 0 }), repeat(v(30, 0), 10)).changes).toEqual([{ at: 0, weights: "0,100", action: "to-burst" }]);
  });
});

describe("decide: fast up, slow down", () => {
  const W = 5_000;
  const stable = (p: Partial<Policy> = {}) => policy({ minDwellMs: 0, downStabilizationMs: W, ...p });

  it("bursts on the fast view while the slow one is still low", () => {
    expect(replay(stable(), [vv(5, 5), vv(8, 25)]).changes).toEqual([{ at: 1, weights: "0,100", action: "to-burst" }]);
    // the slow view alone above HIGH_RPS does not burst while the fast one is below it (the load has already gone)
    expect(replay(stable(), repeat(vv(20, 12), 5)).changes).toEqual([]);
  });

  it("comes back only after every sample of the stabilization window called for it", () => {
    // in burst from the start: the first sample opens the window, the one 5 s later closes it
    expect(replay(stable(), repeat(vv(5, 5), 8), { start: BURST }).changes).toEqual([{ at: 5, weights: "100,0", action: "to-natural" }]);
    // one sample at or above LOW_RPS (slow or fast view) in the window holds it back
    const held = [vv(5, 5), vv(5, 5), vv(5, 12), ...repeat(vv(5, 5), 8)];
    expect(replay(stable(), held, { start: BURST }).changes).toEqual([{ at: 7, weights: "100,0", action: "to-natural" }]);
    expect(replay(stable(), [vv(5, 5), vv(11, 5), ...repeat(vv(5, 5), 8)], { start: BURST }).changes).toEqual([{ at: 6, weights: "100,0", action: "to-natural" }]);
  });

  it("a restart in burst during the stabilization window stays in burst for a whole window", () => {
    const p = stable();
    const before = replay(p, repeat(vv(5, 5), 3), { start: BURST });
    expect(before.changes).toEqual([]);
    // the new process starts from the weights it finds, with no memory of the samples before
    const after = replay(p, repeat(vv(5, 5), 8), { start: before.state.weights, t0: 2_000_000 });
    expect(after.actions.slice(0, 5)).toEqual(repeat("hold", 5));
    expect(after.changes).toEqual([{ at: 5, weights: "100,0", action: "to-natural" }]);
  });

  it("no data in the middle of a stabilization window starts the window again", () => {
    const samples = [vv(5, 5), vv(5, 5), vv(5, 5), EMPTY, ERR, ...repeat(vv(5, 5), 8)];
    const { changes, actions } = replay(stable(), samples, { start: BURST });
    expect(actions.slice(3, 5)).toEqual(["no-data", "query-error"]);
    expect(changes).toEqual([{ at: 10, weights: "100,0", action: "to-natural" }]);
  });

  it("overflow: steps up on the fast view at once, steps down to the highest share the window asked for", () => {
    const p = stable({ mode: "overflow", primaryCapacityRps: 20, stepWeight: 10, maxBurstWeight: 100, overflowBandRps: 0 });
    const samples = [vv(10, 40), vv(30, 40), vv(30, 25), vv(30, 25), vv(25, 25), vv(25, 25), vv(25, 25), vv(25, 25), vv(25, 25), vv(10, 10), ...repeat(vv(10, 10), 6)];
    const { changes } = replay(p, samples);
    expect(changes).toEqual([
      // 40 rps on the fast view: half of it over capacity
      { at: 0, weights: "50,50", action: "step-up" },
      // samples 2..6 ask for at most 40% (30 rps on the slow view): down to the highest of the window
      { at: 6, weights: "60,40", action: "step-down" },
      // samples 4..8 ask for 20% (25 rps on both views)
      { at: 8, weights: "80,20", action: "step-down" },
      // and back to natural once a whole window asked for none
      { at: 13, weights: "100,0", action: "step-down" },
    ]);
  });

  it("MIN_DWELL and the stabilization window both hold the way down; the later one decides", () => {
    const samples = [vv(5, 20), ...repeat(vv(5, 5), 8)];
    const at = (p: Partial<Policy>) => replay(stable(p), samples).changes.map((c) => `${c.at} ${c.action}`);
    expect(at({ minDwellMs: 3_000 })).toEqual(["0 to-burst", "5 to-natural"]);
    expect(at({ minDwellMs: 7_000 })).toEqual(["0 to-burst", "7 to-natural"]);
  });
});

describe("decide is pure", () => {
  it("does not modify its inputs and gives the same answer twice", () => {
    const p = policy();
    const s = Object.freeze(initialState(NATURAL, p));
    const a = decide(s, v(20), p, 5_000);
    const b = decide(s, v(20), p, 5_000);
    expect(a).toEqual(b);
    expect(s.weights).toEqual(NATURAL);
    expect(a.state).not.toBe(s);
  });

  it("initial state follows the found weights", () => {
    expect(initialState(BURST, policy()).phase).toBe("burst");
    expect(initialState(NATURAL, policy()).phase).toBe("natural");
  });
});

describe("decide: capacity on demand (the burst pool)", () => {
  const CAP = { minReplicas: 0, maxReplicas: 5, switchReplicas: 2, podCapacityRps: 10, prewarmRps: 12.5, cooldownMs: 60_000 };
  const withCap = (p: Partial<Policy> = {}, c: Partial<typeof CAP> = {}): Policy => policy({ minDwellMs: 0, ...p, capacity: { ...CAP, ...c } });
  const pv = (rps: number, desired: number, ready: number, upRps?: number): Sample => ({ kind: "value", rps, upRps, pool: { desired, ready } });

  /**
   * Replays samples against a simulated pool: replicas asked for become ready `readyAfter` polls
   * later (one at a time when `oneByOne`); returns per poll the weights, desired/ready and the action.
   */
  function run(p: Policy, rpsList: number[], opts: { readyAfter?: number; start?: Weights; desired?: number; ready?: number; oneByOne?: boolean } = {}) {
    let state = initialState(opts.start ?? p.natural, p);
    let desired = opts.desired ?? 0;
    let ready = opts.ready ?? desired;
    let askedAt = -1;
    const rows: { burst: number; desired: number; ready: number; action: Action; replicas?: number; reason: string; scaleReason?: string }[] = [];
    rpsList.forEach((rps, i) => {
      if (ready < desired && askedAt >= 0 && i - askedAt >= (opts.readyAfter ?? 0)) ready = opts.oneByOne ? ready + 1 : desired;
      if (ready > desired) ready = desired;
      const d = decide(state, pv(rps, desired, ready), p, 1_000_000 + i * 1_000);
      // never more burst weight than the ready replicas allow, never weight to a pool with none ready
      if (ready === 0) expect(d.weights.burst).toBe(0);
      if (d.replicas !== undefined) {
        expect(d.replicas).not.toBe(desired);
        if (d.replicas > desired) askedAt = i;
        desired = d.replicas;
      }
      rows.push({ burst: d.weights.burst, desired, ready, action: d.action, replicas: d.replicas, reason: d.reason, scaleReason: d.scaleReason });
      state = d.state;
    });
    return { rows, state };
  }

  it("without a pool reading (capacity side off) decisions are exactly as before", () => {
    const p = withCap();
    const samples = [5, 20, 20, 12, 3, 3];
    const a = replay(p, samples);
    const b = replay(policy({ minDwellMs: 0 }), samples);
    expect(a.changes).toEqual(b.changes);
  });

  it.each<[string, Partial<Policy>, number, Sample, number]>([
    ["idle: minimum (0)", {}, 0, pv(3, 0, 0), 0],
    ["prewarm above PREWARM_RPS, below HIGH_RPS: switch replicas", {}, 0, pv(13, 0, 0), 2],
    ["at PREWARM_RPS exactly: nothing", {}, 0, pv(12.5, 0, 0), 0],
    ["fast view above HIGH_RPS: switch replicas", {}, 0, pv(5, 0, 0, 20), 2],
    ["overflow: excess 25 over 20 at 10 rps a pod: 3", { mode: "overflow" }, 0, pv(45, 0, 0), 3],
    ["overflow: prewarm with no excess yet: 1", { mode: "overflow" }, 0, pv(14, 0, 0), 1],
    ["overflow: capped at maxReplicas", { mode: "overflow" }, 0, pv(200, 0, 0), 5],
    ["burst in use at a low rate: switch replicas", {}, 100, pv(11, 2, 2), 2],
  ])("replicas: %s", (_n, p, startBurst, sample, expected) => {
    const pol = withCap(p);
    const d = decide(initialState({ primary: 100 - startBurst, burst: startBurst }, pol), sample, pol, 1_000_000);
    expect(d.desiredReplicas).toBe(expected);
    expect(d.scaleReason).toEqual(expect.any(String));
  });

  it("BURST_MIN_REPLICAS is the floor; replicas is set only when it differs from the pool's desired count", () => {
    const pol = withCap({}, { minReplicas: 1 });
    const s0 = initialState(NATURAL, pol);
    expect(decide(s0, pv(3, 0, 0), pol, 1).replicas).toBe(1);
    expect(decide(s0, pv(3, 1, 1), pol, 1).replicas).toBeUndefined();
  });

  it("switch: pre-warms, waits for readiness, then moves; the weight never goes to a pool with none ready", () => {
    // 5 rps, 13 (prewarm), then 20 (burst wanted); replicas ready 3 polls after they are asked for
    const { rows } = run(withCap(), [5, 13, 20, 20, 20, 20, 20], { readyAfter: 3 });
    expect(rows.map((r) => r.desired)).toEqual([0, 2, 2, 2, 2, 2, 2]);
    expect(rows.map((r) => r.ready)).toEqual([0, 0, 0, 0, 2, 2, 2]);
    expect(rows.map((r) => r.burst)).toEqual([0, 0, 0, 0, 100, 100, 100]);
    expect(rows[2].action).toBe("wait-capacity");
    expect(rows[2].reason).toMatch(/waiting for burst replicas: 0 of 2 ready/);
    expect(rows[4].action).toBe("to-burst");
  });

  it("switch: the weight is capped by the ready share and rises as replicas become ready", () => {
    const { rows } = run(withCap({}, { switchReplicas: 4 }), [20, 20, 20, 20, 20, 20, 20], { readyAfter: 1, oneByOne: true });
    expect(rows.map((r) => r.ready)).toEqual([0, 1, 2, 3, 4, 4, 4]);
    expect(rows.map((r) => r.burst)).toEqual([0, 20, 50, 70, 100, 100, 100]);
    expect(rows.map((r) => r.action)).toEqual(["wait-capacity", "to-burst", "step-up", "step-up", "step-up", "hold", "hold"]);
    expect(rows[1].reason).toMatch(/capped at 20% by the ready burst replicas \(1 of 4 ready\)/);
  });

  it("overflow: the step up is capped by the ready share", () => {
    const pol = withCap({ mode: "overflow", maxBurstWeight: 100 });
    // 40 rps over 20: 50% wanted, 2 replicas needed; 1 ready -> 20% (floor(50 × 1/2 / 10) × 10)
    const d = decide(initialState(NATURAL, pol), pv(40, 2, 1), pol, 1_000_000);
    expect(d.weights).toEqual({ primary: 80, burst: 20 });
    expect(d.action).toBe("step-up");
    expect(allowedBurstWeight(50, 1, 2, 10)).toBe(20);
    expect(allowedBurstWeight(50, 0, 2, 10)).toBe(0);
    expect(allowedBurstWeight(50, 3, 2, 10)).toBe(50);
  });

  it("scales back to the minimum only a cooldown after the last need", () => {
    const pol = withCap({}, { cooldownMs: 10_000 });
    const { rows } = run(pol, [20, 20, 20, ...repeat(3, 15)], { desired: 2, ready: 2 });
    expect(rows[2].burst).toBe(100);
    expect(rows[3].burst).toBe(0); // to-natural at once (no stabilization window in this policy)
    const down = rows.findIndex((r) => r.replicas === 0);
    // the last need was at poll 3 (burst still carried weight in that decision's input): 10 s later
    expect(down).toBe(13);
    expect(rows[12].scaleReason).toMatch(/kept for SCALE_DOWN_COOLDOWN 10s/);
    expect(rows.slice(down).every((r) => r.desired === 0)).toBe(true);
  });

  it("a pool that dies during a burst: weight cut at once, MIN_DWELL ignored", () => {
    const pol = withCap({ minDwellMs: 60_000 });
    const s = initialState(BURST, pol);
    const half = decide(s, pv(20, 2, 1), pol, 1_000_000);
    expect(half.action).toBe("capacity-fallback");
    expect(half.weights).toEqual({ primary: 50, burst: 50 });
    const none = decide(half.state, pv(20, 2, 0), pol, 1_001_000);
    expect(none.action).toBe("capacity-fallback");
    expect(none.weights).toEqual(NATURAL);
    expect(none.reason).toMatch(/0 of 2 ready/);
    // replicas back: the move up waits for MIN_DWELL, as any move up does
    expect(decide(none.state, pv(20, 2, 2), pol, 1_002_000).action).toBe("dwell");
  });

  it("a pool scaled away (0 ready) with no data: burst weight still cut", () => {
    const pol = withCap();
    const d = decide(initialState(BURST, pol), { kind: "nodata", reason: "empty", pool: { desired: 0, ready: 0 } }, pol, 1);
    expect(d.action).toBe("capacity-fallback");
    expect(d.weights).toEqual(NATURAL);
  });

  it("a failed pool read (null): no weight grows towards burst, nothing is scaled, nothing is cut", () => {
    const pol = withCap();
    const up = decide(initialState(NATURAL, pol), { kind: "value", rps: 20, pool: null }, pol, 1);
    expect(up.action).toBe("wait-capacity");
    expect(up.weights).toEqual(NATURAL);
    expect(up.replicas).toBeUndefined();
    const inBurst = decide(initialState(BURST, pol), { kind: "value", rps: 12, pool: null }, pol, 1);
    expect(inBurst.weights).toEqual(BURST);
  });

  it("a restart during a burst takes desired and ready from the pool it finds and keeps both", () => {
    const pol = withCap({}, { cooldownMs: 30_000 });
    const { rows } = run(pol, repeat(12, 10), { start: BURST, desired: 2, ready: 2 });
    expect(rows.every((r) => r.burst === 100 && r.desired === 2 && r.replicas === undefined)).toBe(true);
    // a restart after the burst, during the cooldown, keeps the replicas found for one cooldown
    const after = run(pol, repeat(3, 40), { desired: 3, ready: 3 });
    expect(after.rows.findIndex((r) => r.replicas === 0)).toBe(30);
  });
});
