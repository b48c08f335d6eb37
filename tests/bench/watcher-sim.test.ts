import { promIrate, promRate } from "../../bench/prom-rate";
import { loadConfig } from "../../watcher/src/lib";
import { alwaysOnReplicas, phases, POLICIES, SIM, simulate, simulatePhases, simulatePool, traces, type PolicyName } from "../../bench/watcher-policy";

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

describe("promIrate (Prometheus's instant rate)", () => {
  it("is the rate between the last two samples in the window", () => {
    const s = [
      { t: 0, v: 0 },
      { t: 5, v: 25 },
      { t: 10, v: 150 },
    ];
    expect(promIrate(s, 10, 15)).toBeCloseTo(25, 6);
    expect(promIrate(s, 7, 15)).toBeCloseTo(5, 6);
    expect(promIrate(s, 10, 4)).toBeUndefined();
    expect(promIrate([{ t: 0, v: 100 }, { t: 5, v: 20 }], 5, 15)).toBeCloseTo(4, 6); // reset
  });
});

describe("watcher policy simulation (5 s scrapes, every scrape phase)", () => {
  const trace = (name: string) => {
    const t = traces().find((x) => x.name === name);
    if (!t) throw new Error(`no trace ${name}`);
    return t;
  };
  const ours = ["switch", "overflow"] as const;

  it("tries every phase of one scrape interval", () => {
    expect(phases()).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
  });

  it("bursts within the first full scrape interval after a step or a surge, and a poll (11 s), at every phase", () => {
    for (const p of ours) {
      for (const name of ["step-up", "surge", "slow-ramp", "daily"]) {
        const r = simulatePhases(trace(name), p);
        expect([name, p, r.reactionS !== null && r.reactionS <= 11]).toEqual([name, p, true]);
      }
    }
  });

  it("does not move inside the hysteresis band, and at most once on noise around the threshold", () => {
    for (const p of POLICIES) expect(simulatePhases(trace("sawtooth-band"), p).changes).toBe(0);
    for (const p of ours) expect(simulatePhases(trace("noisy-threshold"), p).changes).toBeLessThanOrEqual(1);
  });

  it("a spike causes at most one burst episode; switch mode makes at most two changes for it", () => {
    for (const name of ["spike-3s", "spike-5s"]) {
      for (const p of ours) expect(simulatePhases(trace(name), p).episodes).toBeLessThanOrEqual(1);
      expect(simulatePhases(trace(name), "switch").changes).toBeLessThanOrEqual(2);
    }
  });

  it("comes back only after the slow view and the stabilization window agree", () => {
    const r = simulatePhases(trace("step-down"), "switch");
    // 25 -> 3 rps: the fast view drops at once, but the 30 s rate() crosses 10 only after most of its
    // window (about 17 s of the 25 s its samples span), and then 30 s of agreement
    expect(r.reactionBestS!).toBeGreaterThanOrEqual(17 + 30 - 1);
    expect(r.reactionS!).toBeLessThanOrEqual(20.5 + 30 + 5 + 1);
    expect(r.changes).toBe(2);
  });

  it("the codelab's algorithm flaps on today's per-cluster telemetry, ours does not", () => {
    expect(simulatePhases(trace("step-up"), "codelab").changes).toBeGreaterThan(5);
    expect(simulatePhases(trace("surge"), "switch").changes).toBe(2);
  });

  it("overflow mode keeps primary busy during a surge, switch mode empties it", () => {
    expect(simulatePhases(trace("surge"), "overflow").primaryCapacityUsed!).toBeGreaterThanOrEqual(0.8);
    expect(simulatePhases(trace("surge"), "switch").primaryCapacityUsed!).toBeLessThan(0.1);
  });

  it("a single phase is a plain replay", () => {
    const r = simulate(trace("step-up"), "switch", 2.5);
    expect(r.changes).toBe(1);
    expect(r.episodes).toBe(1);
  });
});

describe("burst pool on demand (capacity side on, replicas ready scaleUpDelayS after being asked for)", () => {
  const ours = ["switch", "overflow"] as const;

  it("sends no request to a burst pool with no ready replica, on every trace, policy and delay", () => {
    for (const trace of traces()) {
      for (const p of ours) {
        for (const delay of SIM.scaleUpDelaysS) {
          expect([trace.name, p, delay, simulatePool(trace, p, delay).requestsToUnreadyPool]).toEqual([trace.name, p, delay, 0]);
        }
      }
    }
  });

  it("costs fewer replica-seconds than an always-on pool where the load does not stay high", () => {
    for (const trace of traces()) {
      const always = alwaysOnReplicas() * trace.durationS;
      for (const p of ours) {
        const r = simulatePool(trace, p, SIM.scaleUpDelayS);
        if (["spike-3s", "spike-5s", "step-down"].includes(trace.name)) expect(r.burstReplicaSeconds).toBeLessThan(always);
      }
    }
    // inside the band, above PREWARM_RPS part of the time: pre-warmed, never used
    expect(simulatePool(traces().find((t) => t.name === "sawtooth-band")!, "switch", 60).requestsToUnreadyPool).toBe(0);
  });

  it("a slower scale-up delays the burst, never sends traffic early", () => {
    const step = traces().find((t) => t.name === "step-up")!;
    const fast = simulatePool(step, "switch", 2);
    const slow = simulatePool(step, "switch", 240);
    expect(slow.reactionS!).toBeGreaterThan(fast.reactionS!);
    expect(slow.overCapacityRequests).toBeGreaterThan(fast.overCapacityRequests);
    expect(slow.requestsToUnreadyPool).toBe(0);
  });
});

describe("a burst pool that becomes ready one replica at a time (step-up-staggered: replicas 3 s apart)", () => {
  const staggered = traces().find((t) => t.name === "step-up-staggered")!;
  const config = loadConfig({ SCALER: "local", SCALER_URL: "http://127.0.0.1:1", SCRAPE_INTERVAL: `${SIM.scrapeS}s` }).settings;

  it("is a step whose pool starts its replicas one at a time", () => {
    expect(staggered.staggerS).toBe(3);
    expect(staggered.event).toEqual({ direction: "up", atS: 60 });
  });

  it("switch: the full shift comes at the first poll after the last replica is ready, not a MIN_DWELL after the capped move, at every phase", () => {
    // 2 replicas (BURST_REPLICAS), ready 2 s after their start, started 3 s apart: the capped move at the first ready
    // replica (the reaction), the rest a stagger and at most a poll later
    expect(config.burstReplicas).toBe(2);
    for (const phase of phases()) {
      const r = simulate(staggered, "switch", phase, { scaleUpDelayS: 2 });
      const followUp = r.fullBurstS! - r.reactionS!;
      expect([phase, followUp >= staggered.staggerS!, followUp <= staggered.staggerS! + SIM.pollS + 1e-9]).toEqual([phase, true, true]);
      expect(followUp).toBeLessThan(config.minDwell / 1000);
    }
  });

  it("reports the time from the step to the full burst weights for every policy, no sooner than the first move", () => {
    for (const p of POLICIES) {
      for (const delay of [2, 60]) {
        const r = simulatePool(staggered, p, delay);
        expect([p, delay, r.fullBurstS !== null && r.reactionS !== null && r.fullBurstS >= r.reactionS]).toEqual([p, delay, true]);
      }
      expect(simulatePhases(staggered, p).fullBurstS).not.toBeNull();
    }
    // no upward step, no figure
    expect(simulatePhases(traces().find((t) => t.name === "step-down")!, "switch").fullBurstS).toBeNull();
  });

  it("sends no request to a replica before it is ready", () => {
    for (const p of ["switch", "overflow"] as const) expect(simulatePool(staggered, p, 2).requestsToUnreadyPool).toBe(0);
  });
});

describe("the flapping figures keep their change counts (worst phase, as before follow-ups were let through MIN_DWELL)", () => {
  it.each<[string, PolicyName, number]>([
    ["sawtooth-band", "switch", 0],
    ["sawtooth-band", "overflow", 0],
    ["noisy-threshold", "switch", 1],
    ["noisy-threshold", "overflow", 1],
    ["spike-3s", "switch", 2],
    ["spike-3s", "overflow", 2],
    ["spike-5s", "switch", 2],
    ["spike-5s", "overflow", 4],
  ])("%s, %s: %d changes", (name, p, changes) => {
    expect(simulatePhases(traces().find((t) => t.name === name)!, p).changes).toBe(changes);
  });
});

describe("no trace makes more weight changes than under the old MIN_DWELL rule (every move spaced by it), worst phase and summed over the phases", () => {
  // [trace, switch worst, switch summed, overflow worst, overflow summed]: the counts when MIN_DWELL spaced every change
  const before: [string, number, number, number, number][] = [
    ["step-up", 1, 10, 2, 14],
    ["step-up-staggered", 1, 10, 2, 17],
    ["step-down", 2, 20, 3, 30],
    ["sawtooth-band", 0, 0, 0, 0],
    ["noisy-threshold", 1, 10, 1, 10],
    ["spike-3s", 2, 20, 2, 20],
    ["spike-5s", 2, 20, 4, 31],
    ["slow-ramp", 1, 10, 5, 50],
    ["near-miss", 0, 0, 0, 0],
    ["daily", 2, 20, 8, 80],
    ["surge", 2, 20, 10, 100],
  ];

  it("covers every trace", () => {
    expect(before.map(([name]) => name).sort()).toEqual(traces().map((t) => t.name).sort());
  });

  it.each(before)("%s: switch at most %d (summed %d), overflow at most %d (summed %d)", (name, switchWorst, switchSum, overflowWorst, overflowSum) => {
    const trace = traces().find((t) => t.name === name)!;
    for (const [p, worst, sum] of [["switch", switchWorst, switchSum], ["overflow", overflowWorst, overflowSum]] as const) {
      const counts = phases().map((phase) => simulate(trace, p, phase).changes);
      expect([p, Math.max(...counts) <= worst, counts.reduce((a, b) => a + b, 0) <= sum]).toEqual([p, true, true]);
    }
  });

  it("overflow mode leaves no more requests over primary's capacity on a surge than then (112)", () => {
    const surge = traces().find((t) => t.name === "surge")!;
    expect(simulatePhases(surge, "overflow").overCapacityRequests).toBeLessThanOrEqual(112);
  });
});

describe("pre-warm that pays for itself (the trend pre-warm against the level pre-warm, 60 s to get ready)", () => {
  const trace = (name: string) => traces().find((t) => t.name === name)!;
  const ours = ["switch", "overflow"] as const;
  const alwaysOn = (name: string) => alwaysOnReplicas() * trace(name).durationS;

  it("keeps no pool warm for a rate that stays in the band or wobbles at the threshold", () => {
    for (const name of ["sawtooth-band", "noisy-threshold"]) {
      for (const p of ours) {
        const share = simulatePool(trace(name), p, SIM.scaleUpDelayS).burstReplicaSeconds / alwaysOn(name);
        const level = simulatePool(trace(name), p, SIM.scaleUpDelayS, "level").burstReplicaSeconds / alwaysOn(name);
        expect([name, p, share <= 0.1, level > 0.4]).toEqual([name, p, true, true]);
      }
    }
  });

  it("lets a pool warmed for a ramp that stops short of the threshold go", () => {
    for (const p of ours) {
      const r = simulatePool(trace("near-miss"), p, SIM.scaleUpDelayS);
      expect(r.burstReplicaSeconds).toBeGreaterThan(0); // the ramp did warm it
      expect(r.burstReplicaSeconds / alwaysOn("near-miss")).toBeLessThanOrEqual(0.15);
    }
  });

  it("leaves no more overload on a surge than the level pre-warm", () => {
    for (const p of ours) {
      const trend = simulatePool(trace("surge"), p, SIM.scaleUpDelayS).overCapacityRequests;
      const level = simulatePool(trace("surge"), p, SIM.scaleUpDelayS, "level").overCapacityRequests;
      expect([p, trend <= level]).toEqual([p, true]);
    }
  });
});
