/** decide() through modes/ (one strategy a mode): switch and overflow mode, fast up and slow down (the stabilization window). */
import type { Weights } from "@istio-burst/contract";
import { initialState, overflowBurstWeight, type Policy, type Sample } from "../../watcher/src/lib";
import { BURST, EMPTY, ERR, overflow, policy, repeat, replay, vv, type Change } from "./decide-helpers";

describe("switch mode: the 2018 codelab's thresholds", () => {
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
      { naturalWeights: { primary: 90, burst: 10 }, burstWeights: { primary: 30, burst: 70 } },
      [5, 16, 16, 3],
      { primary: 90, burst: 10 },
      [
        { at: 1, weights: "30,70", action: "to-burst" },
      ],
    ],
  ])("%s", (_name, p, samples, start, expected) => {
    expect(replay(policy(p), samples, { start }).changes).toEqual(expected);
  });
});

describe("overflow mode: only the excess over primary's capacity to burst", () => {
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
    [10, { naturalWeights: { primary: 90, burst: 10 } }, 10], // never below the natural burst weight
  ])("at %d rps (%j) the burst share is %d", (rps, p, expected) => {
    expect(overflowBurstWeight(rps, overflow(p))).toBe(expected);
  });

  it.each<[string, Partial<Policy>, (number | Sample)[], Weights | undefined, Change[]]>([
    [
      "steps up as the load rises (dwell 0): shares keep primary at or under capacity",
      { minDwell: 0 },
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
      { minDwell: 0 },
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
    const { changes } = replay(overflow({ minDwell: 0 }), noisy);
    // 21 rps: 4.8 % over -> 10; 22 rps: 9.1 % -> still 10; 19 rps + 5 band -> 20 >= 10 -> hold
    expect(changes).toEqual([{ at: 1, weights: "90,10", action: "step-up" }]);
  });

  it("a sawtooth inside the band leaves the weights alone (zero changes)", () => {
    // start at 70,30 (share for 25..28.5 rps); sawtooth 24..28 keeps share(rps) <= 30 and share(rps+5) >= 30
    const saw = repeat([24, 25, 26, 27, 28, 27, 26, 25], 15).flat();
    expect(replay(overflow({ minDwell: 0 }), saw, { start: { primary: 70, burst: 30 } }).changes).toEqual([]);
  });

  it("a restart in the middle of overflow keeps the found share", () => {
    const p = overflow({ minDwell: 0 });
    expect(initialState({ primary: 60, burst: 40 }, p).phase).toBe("burst");
    expect(replay(p, repeat(30, 10), { start: { primary: 60, burst: 40 } }).changes).toEqual([]);
  });
});

describe("fast up, slow down", () => {
  const W = 5_000;

  const stable = (p: Partial<Policy> = {}) => policy({ minDwell: 0, downStabilization: W, ...p });

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
    expect(at({ minDwell: 3_000 })).toEqual(["0 to-burst", "5 to-natural"]);
    expect(at({ minDwell: 7_000 })).toEqual(["0 to-burst", "7 to-natural"]);
  });
});
