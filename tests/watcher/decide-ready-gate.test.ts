/** decide() through ready-gate.ts: no more burst weight than the burst pool's ready replicas can carry. */
import { allowedBurstWeight, decide, initialState } from "../../watcher/src/lib";
import { BURST, NATURAL, pv, runWithPool, withPool } from "./decide-helpers";

describe("the ready gate", () => {
  it("switch: pre-warms, waits for readiness, then moves; the weight never goes to a pool with none ready", () => {
    // 5 rps, 13 (prewarm), then 20 (burst wanted); replicas ready 3 polls after they are asked for
    const { rows } = runWithPool(withPool(), [5, 13, 20, 20, 20, 20, 20], { readyAfter: 3 });
    expect(rows.map((r) => r.desired)).toEqual([0, 2, 2, 2, 2, 2, 2]);
    expect(rows.map((r) => r.ready)).toEqual([0, 0, 0, 0, 2, 2, 2]);
    expect(rows.map((r) => r.burst)).toEqual([0, 0, 0, 0, 100, 100, 100]);
    expect(rows[2].action).toBe("wait-capacity");
    expect(rows[2].reason).toMatch(/waiting for burst replicas: 0 of 2 ready/);
    expect(rows[4].action).toBe("to-burst");
  });

  it("switch: the weight is capped by the ready share and rises as replicas become ready", () => {
    const { rows } = runWithPool(withPool({ burstReplicas: 4 }), [20, 20, 20, 20, 20, 20, 20], { readyAfter: 1, oneByOne: true });
    expect(rows.map((r) => r.ready)).toEqual([0, 1, 2, 3, 4, 4, 4]);
    expect(rows.map((r) => r.burst)).toEqual([0, 20, 50, 70, 100, 100, 100]);
    expect(rows.map((r) => r.action)).toEqual(["wait-capacity", "to-burst", "step-up", "step-up", "step-up", "hold", "hold"]);
    expect(rows[1].reason).toMatch(/capped at 20% by the ready burst replicas \(1 of 4 ready\)/);
  });

  it("overflow: the step up is capped by the ready share", () => {
    const pol = withPool({ mode: "overflow", maxBurstWeight: 100 });
    // 40 rps over 20: 50% wanted, 2 replicas needed; 1 ready -> 20% (floor(50 × 1/2 / 10) × 10)
    const d = decide(initialState(NATURAL, pol), pv(40, 2, 1), pol, 1_000_000);
    expect(d.weights).toEqual({ primary: 80, burst: 20 });
    expect(d.action).toBe("step-up");
    expect(allowedBurstWeight(50, 1, 2, 10)).toBe(20);
    expect(allowedBurstWeight(50, 0, 2, 10)).toBe(0);
    expect(allowedBurstWeight(50, 3, 2, 10)).toBe(50);
  });

  it("a pool that dies during a burst: weight cut at once, MIN_DWELL ignored", () => {
    const pol = withPool({ minDwell: 60_000 });
    const s = initialState(BURST, pol);
    const half = decide(s, pv(20, 2, 1), pol, 1_000_000);
    expect(half.action).toBe("capacity-fallback");
    expect(half.weights).toEqual({ primary: 50, burst: 50 });
    const none = decide(half.state, pv(20, 2, 0), pol, 1_001_000);
    expect(none.action).toBe("capacity-fallback");
    expect(none.weights).toEqual(NATURAL);
    expect(none.reason).toMatch(/0 of 2 ready/);
    // replicas back: the move up after the cut is a reversal, and waits for MIN_DWELL
    expect(decide(none.state, pv(20, 2, 2), pol, 1_002_000).action).toBe("dwell");
  });

  it("a pool scaled away (0 ready) with no data: burst weight still cut", () => {
    const pol = withPool();
    const d = decide(initialState(BURST, pol), { kind: "nodata", reason: "empty", pool: { desired: 0, ready: 0 } }, pol, 1);
    expect(d.action).toBe("capacity-fallback");
    expect(d.weights).toEqual(NATURAL);
  });

  it("a failed pool read (null): no weight grows towards burst, nothing is scaled, nothing is cut", () => {
    const pol = withPool();
    const up = decide(initialState(NATURAL, pol), { kind: "value", rps: 20, pool: null }, pol, 1);
    expect(up.action).toBe("wait-capacity");
    expect(up.weights).toEqual(NATURAL);
    expect(up.replicas).toBeUndefined();
    const inBurst = decide(initialState(BURST, pol), { kind: "value", rps: 12, pool: null }, pol, 1);
    expect(inBurst.weights).toEqual(BURST);
  });
});
