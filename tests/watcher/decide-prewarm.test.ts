/**
 * decide() through prewarm.ts: burst replicas before traffic needs them. The trend pre-warm starts
 * them when the fast view is on course to cross HIGH_RPS within the time they take to become ready,
 * clear of the rate's noise; an unused warm pool goes back after PREWARM_TIMEOUT and is not warmed on
 * the trend again until the rate has been below LOW_RPS. `level` and `off` are the other policies.
 */
import { decide, initialState, type Policy } from "../../watcher/src/lib";
import { NATURAL, pv, ramp, repeat, runWithPool, withPool } from "./decide-helpers";

/** The tables' pool policy with the trend pre-warm: 1 s scrapes, a 10 s trend window, 5 s to get ready, 10 s warm at most. */
const trend = (p: Partial<Policy> = {}) => withPool({ prewarm: "trend", ...p });

/** A rate hovering at HIGH_RPS: 15 ± up to 1.5, no trend. */
const hovering = (n: number) => Array.from({ length: n }, (_, i) => 15 + [-1, 1, 0, -1.5, 1.5, 0.5, -0.5, 1, -1, 0][i % 10]);

const firstAsk = (rows: { replicas?: number }[]) => rows.findIndex((r) => (r.replicas ?? 0) > 0);

describe("trend pre-warm: replicas when the rate is on course to cross HIGH_RPS", () => {
  it("starts them on a ramp before it crosses, so they are ready when it does", () => {
    const rates = [...repeat(5, 25), ...ramp(5, 20, 31)]; // +0.5 rps a poll from poll 25
    const { rows } = runWithPool(trend(), rates, { readyAfter: 5 });
    const asked = firstAsk(rows);
    expect(rates[asked]).toBeLessThan(15);
    expect(rows[asked].scaleReason).toMatch(/^observed [\d.]+ rps rising 30 rps\/min: on course for [\d.]+ rps \(at least [\d.]+\) within 5s \(SCALE_UP_TIME\), above HIGH_RPS 15: BURST_REPLICAS 2$/);
    const crossed = rates.findIndex((r) => r > 15);
    // ready by the time the rate crosses: the weights move on the first poll above HIGH_RPS
    expect(rows[crossed].ready).toBe(2);
    expect(rows[crossed].burst).toBe(100);
  });

  it("the level pre-warm starts them at PREWARM_RPS on the same ramp, and `off` only once burst is wanted", () => {
    const rates = [...repeat(5, 25), ...ramp(5, 20, 31)];
    const level = firstAsk(runWithPool(withPool({ prewarm: "level" }), rates).rows);
    const off = firstAsk(runWithPool(withPool({ prewarm: "off" }), rates).rows);
    expect(rates[level]).toBeGreaterThan(12.5);
    expect(rates[level - 1]).toBeLessThanOrEqual(12.5);
    expect(rates[off]).toBeGreaterThan(15);
    expect(rates[off - 1]).toBeLessThanOrEqual(15);
  });

  it("does not start them for a rate hovering at HIGH_RPS within its noise, and says so where it holds", () => {
    const { rows } = runWithPool(trend(), hovering(60), { readyAfter: 2 });
    expect(rows.every((r) => r.desired === 0 && r.burst === 0)).toBe(true);
    const held = rows.filter((r, i) => i >= 20 && r.action === "wait-capacity");
    expect(held.length).toBeGreaterThan(0);
    for (const r of held) expect(r.reason).toMatch(/; observed [\d.]+ rps is not above HIGH_RPS 15 by 3 × its noise \([\d.]+ rps\): no burst replicas started$/);
    // the level pre-warm pays for it: replicas from the first poll, and burst carries the traffic
    const level = runWithPool(withPool({ prewarm: "level" }), hovering(60), { readyAfter: 2 }).rows;
    expect(level[0].desired).toBe(2);
    expect(level.at(-1)!.burst).toBe(100);
  });

  it("starts them at once for a steady rate above HIGH_RPS (no noise), and for one clear of it", () => {
    expect(firstAsk(runWithPool(trend(), [...repeat(5, 30), ...repeat(16, 5)]).rows)).toBe(30);
    const jump = runWithPool(trend(), [...hovering(30), ...repeat(25, 5)]).rows;
    // with measured noise, two readings in a row must clear it
    expect(firstAsk(jump)).toBe(31);
    expect(jump[31].scaleReason).toMatch(/^observed 25 rps > HIGH_RPS 15 by more than 3 × its noise \([\d.]+ rps\): BURST_REPLICAS 2$/);
  });

  it("until the noise is measured, asks the rate to be a third above the threshold, whatever the band", () => {
    for (const lowRps of [10, 3]) {
      const pol = trend({ lowRps });
      const s0 = initialState(NATURAL, pol);
      expect(decide(s0, pv(19.9, 0, 0), pol, 1_000_000).desiredReplicas).toBe(0);
      const d = decide(s0, pv(21, 0, 0), pol, 1_000_000);
      expect(d.desiredReplicas).toBe(2);
      expect(d.scaleReason).toBe("observed 21 rps > HIGH_RPS 15 by more than 3 × its noise (1.67 rps, a ninth of HIGH_RPS until measured): BURST_REPLICAS 2");
    }
    const over = withPool({ prewarm: "trend", mode: "overflow" }); // PRIMARY_CAPACITY_RPS 20: a third above is 26.67
    expect(decide(initialState(NATURAL, over), pv(26, 0, 0), over, 1).desiredReplicas).toBe(0);
    expect(decide(initialState(NATURAL, over), pv(27, 0, 0), over, 1).desiredReplicas).toBe(1);
  });

  it("overflow mode: on course to cross PRIMARY_CAPACITY_RPS, sized for where the line will be", () => {
    const rates = [...repeat(5, 25), ...ramp(5, 25, 21)]; // +1 rps a poll
    const { rows } = runWithPool(trend({ mode: "overflow" }), rates, { readyAfter: 5 });
    const asked = firstAsk(rows);
    expect(rates[asked]).toBeLessThan(20);
    expect(rows[asked].scaleReason).toMatch(/above PRIMARY_CAPACITY_RPS 20: [\d.]+ rps over PRIMARY_CAPACITY_RPS at 10 rps a replica needs \d$/);
  });
});

describe("trend pre-warm: a warm pool that carries no traffic goes back", () => {
  // a ramp that stops at 14 and stays: on course for a while, then flat below HIGH_RPS
  const nearMiss = [...repeat(5, 25), ...ramp(5, 14, 19), ...repeat(14, 40)];

  it("after PREWARM_TIMEOUT of ready replicas, and the trend does not warm it again while the rate stays in the band", () => {
    const { rows } = runWithPool(trend(), [...nearMiss, ...ramp(14, 14.9, 10), ...repeat(14.9, 20)], { readyAfter: 3 });
    const asked = firstAsk(rows);
    expect(asked).toBeGreaterThan(25);
    const readyAt = rows.findIndex((r) => r.ready === 2);
    const back = rows.findIndex((r, i) => i > asked && r.replicas === 0);
    // ready, then PREWARM_TIMEOUT (10 s) later, back to BURST_MIN_REPLICAS
    expect(back - readyAt).toBe(10);
    expect(rows[back].scaleReason).toBe(
      "2 burst replicas warm for 10s without carrying traffic: back to BURST_MIN_REPLICAS 0 (PREWARM_TIMEOUT 10s); no pre-warm on the trend until the rate is below LOW_RPS",
    );
    expect(rows.slice(back).every((r) => r.desired === 0)).toBe(true);
    expect(rows.every((r) => r.burst === 0)).toBe(true);
  });

  it("warms again on the trend once the rate has been below LOW_RPS", () => {
    const again = [...repeat(9, 3), ...ramp(9, 14, 11)];
    const { rows } = runWithPool(trend(), [...nearMiss, ...again], { readyAfter: 3 });
    const back = rows.findIndex((r, i) => i > 25 && r.replicas === 0);
    const rewarmed = rows.findIndex((r, i) => i > back && (r.replicas ?? 0) > 0);
    expect(rewarmed).toBeGreaterThan(nearMiss.length + 2);
  });

  it("keeps a pool that carries traffic: the timeout is for unused replicas only", () => {
    const { rows } = runWithPool(trend(), [...repeat(5, 25), ...ramp(5, 20, 16), ...repeat(20, 30)], { readyAfter: 3 });
    const used = rows.findIndex((r) => r.burst === 100);
    expect(used).toBeGreaterThan(0);
    expect(rows.slice(used).every((r) => r.desired === 2 && r.burst === 100)).toBe(true);
  });

  it("the level pre-warm keeps an unused warm pool by the cooldown alone", () => {
    const { rows } = runWithPool(withPool({ prewarm: "level" }), nearMiss, { readyAfter: 3 });
    expect(rows.at(-1)!.desired).toBe(2);
  });
});

describe("the time replicas take to become ready", () => {
  it("is SCALE_UP_TIME until the pool's own scale-ups have been timed, then their mean", () => {
    const pol = trend({ scaleDownCooldown: 5_000 });
    expect(decide(initialState(NATURAL, pol), pv(3, 0, 0), pol, 1).scaleUpTime).toEqual({ ms: 5_000, measured: false });
    // two bursts from idle; the pool gets ready 3 s, then 7 s, after it was asked for
    let state = initialState(NATURAL, pol);
    let [desired, ready, askedAt] = [0, 0, -1];
    const delays = [3, 7];
    const seen: { ms: number; measured: boolean }[] = [];
    [...repeat(30, 15), ...repeat(3, 40), ...repeat(30, 15)].forEach((rps, i) => {
      if (ready < desired && i - askedAt >= delays[0]) ready = desired;
      const d = decide(state, pv(rps, desired, Math.min(ready, desired)), pol, 1_000_000 + i * 1_000);
      if (d.replicas !== undefined && d.replicas > desired) askedAt = i;
      if (d.replicas !== undefined) desired = d.replicas;
      if (ready > 0 && desired === 0) [ready, delays[0]] = [0, delays[1]];
      state = d.state;
      seen.push(d.scaleUpTime!);
    });
    expect(seen[14]).toEqual({ ms: 3_000, measured: true });
    expect(seen.at(-1)).toEqual({ ms: 5_000, measured: true });
  });
});
