/** decide() through replicas.ts: the replicas the burst pool needs, its floor, and the scale-down cooldown. */
import { decide, initialState, type Policy, type Sample } from "../../watcher/src/lib";
import { BURST, NATURAL, pv, repeat, runWithPool, withPool } from "./decide-helpers";

describe("burst pool replicas", () => {
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
    const pol = withPool(p);
    const d = decide(initialState({ primary: 100 - startBurst, burst: startBurst }, pol), sample, pol, 1_000_000);
    expect(d.desiredReplicas).toBe(expected);
    expect(d.scaleReason).toEqual(expect.any(String));
  });

  it("BURST_MIN_REPLICAS is the floor; replicas is set only when it differs from the pool's desired count", () => {
    const pol = withPool({ burstMinReplicas: 1 });
    const s0 = initialState(NATURAL, pol);
    expect(decide(s0, pv(3, 0, 0), pol, 1).replicas).toBe(1);
    expect(decide(s0, pv(3, 1, 1), pol, 1).replicas).toBeUndefined();
  });

  it("scales back to the minimum only a cooldown after the last need", () => {
    const pol = withPool({ scaleDownCooldown: 10_000 });
    const { rows } = runWithPool(pol, [20, 20, 20, ...repeat(3, 15)], { desired: 2, ready: 2 });
    expect(rows[2].burst).toBe(100);
    expect(rows[3].burst).toBe(0); // to-natural at once (no stabilization window in this policy)
    const down = rows.findIndex((r) => r.replicas === 0);
    // the last need was at poll 3 (burst still carried weight in that decision's input): 10 s later
    expect(down).toBe(13);
    expect(rows[12].scaleReason).toMatch(/kept for SCALE_DOWN_COOLDOWN 10s/);
    expect(rows.slice(down).every((r) => r.desired === 0)).toBe(true);
  });

  it("a restart during a burst takes desired and ready from the pool it finds and keeps both", () => {
    const pol = withPool({ scaleDownCooldown: 30_000 });
    const { rows } = runWithPool(pol, repeat(12, 10), { start: BURST, desired: 2, ready: 2 });
    expect(rows.every((r) => r.burst === 100 && r.desired === 2 && r.replicas === undefined)).toBe(true);
    // a restart after the burst, during the cooldown, keeps the replicas found for one cooldown
    const after = runWithPool(pol, repeat(3, 40), { desired: 3, ready: 3 });
    expect(after.rows.findIndex((r) => r.replicas === 0)).toBe(30);
  });
});

describe("burst pool replicas: the scale reason", () => {
  const reasonAt = (p: Parameters<typeof withPool>[0], startBurst: number, sample: Sample) => {
    const pol = withPool(p);
    return decide(initialState({ primary: 100 - startBurst, burst: startBurst }, pol), sample, pol, 1_000_000).scaleReason;
  };

  it.each<[string, Parameters<typeof withPool>[0], number, Sample, string]>([
    ["idle", {}, 0, pv(3, 0, 0), "no burst needed: BURST_MIN_REPLICAS 0"],
    ["switch mode, burst wanted", {}, 0, pv(20, 0, 0), "observed 20 rps calls for burst: BURST_REPLICAS 2"],
    ["pre-warm", {}, 0, pv(13, 0, 0), "observed 13 rps > PREWARM_RPS 12.50: BURST_REPLICAS 2"],
    ["overflow mode", { mode: "overflow" }, 0, pv(45, 0, 0), "observed 45 rps calls for burst: 25 rps over PRIMARY_CAPACITY_RPS at 10 rps a replica needs 3"],
    ["burst in use, no data", {}, 100, { kind: "nodata", reason: "empty", pool: { desired: 2, ready: 2 } }, "burst carries 100% and the rate is unknown: keeping 2"],
  ])("%s: names the settings by their variables", (_what, p, startBurst, sample, reason) => {
    expect(reasonAt(p, startBurst, sample)).toBe(reason);
  });
});
