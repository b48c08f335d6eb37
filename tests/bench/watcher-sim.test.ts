import { promRate } from "../../bench/prom-rate";
import { simulate, traces } from "../../bench/watcher-policy";

describe("promRate (Prometheus's extrapolated rate)", () => {
  const counter = (perS: number, everyS: number, fromS: number, toS: number, start = 0) => {
    const out = [];
    for (let t = fromS; t <= toS; t += everyS) out.push({ t, v: start + perS * (t - fromS) });
    return out;
  };

  it("measures a steady rate exactly", () => {
    expect(promRate(counter(20, 5, 0, 100, 1000), 100, 30)).toBeCloseTo(20, 6);
  });

  it("gives no result with fewer than two samples in the window", () => {
    expect(promRate(counter(20, 15, 0, 90), 90, 15)).toBeUndefined();
    expect(promRate([], 10, 30)).toBeUndefined();
  });

  it("handles a counter reset", () => {
    const s = [
      { t: 0, v: 100 },
      { t: 5, v: 200 },
      { t: 10, v: 50 }, // restarted: 50 since the reset
      { t: 15, v: 150 },
    ];
    // increase 100 + 50 + 100 = 250 over 15 s sampled; the first sample is 5 s (< 1.1 × the 5 s step)
    // from the window's start, so it extrapolates all the way to it
    expect(promRate(s, 15, 20)).toBeCloseTo((250 * (15 + 5) / 15) / 20, 6);
  });

  it("does not extrapolate a counter below zero", () => {
    const s = [
      { t: 10, v: 10 },
      { t: 15, v: 60 },
    ];
    // toZero = 5 * 10/50 = 1 s < avg/2 (2.5 s): extrapolates 1 s back only
    expect(promRate(s, 15, 30)).toBeCloseTo((50 * (5 + 1 + 0)) / 5 / 30, 6);
  });
});

describe("watcher policy simulation", () => {
  const trace = (name: string) => {
    const t = traces().find((x) => x.name === name);
    if (!t) throw new Error(`no trace ${name}`);
    return t;
  };

  it("switch mode bursts once on a step up and reacts within the rate window", () => {
    const r = simulate(trace("step-up"), "switch");
    expect(r.changes).toBe(1);
    expect(r.reactionS).not.toBeNull();
    expect(r.reactionS!).toBeLessThanOrEqual(30);
  });

  it("no policy moves inside the hysteresis band", () => {
    for (const p of ["switch", "overflow", "codelab"] as const) expect(simulate(trace("sawtooth-band"), p).changes).toBe(0);
  });

  it("the codelab's algorithm flaps on today's per-cluster telemetry, ours does not", () => {
    expect(simulate(trace("step-up"), "codelab").changes).toBeGreaterThan(5);
    expect(simulate(trace("step-up"), "switch").changes).toBeLessThanOrEqual(2);
  });

  it("overflow mode keeps primary busy during a surge, switch mode empties it", () => {
    const overflow = simulate(trace("surge"), "overflow");
    const sw = simulate(trace("surge"), "switch");
    expect(overflow.primaryCapacityUsed!).toBeGreaterThan(0.6);
    expect(sw.primaryCapacityUsed!).toBeLessThan(0.1);
  });
});
