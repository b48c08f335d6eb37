/** The burst pool's cost: replica-seconds counted from one size to the next, priced, beside the always-on pool. */
import { burstCostOf, DEFAULT_WATCHER_SETTINGS, formatCost, parseWatcherSettings, ReplicaMeter, type Pricing } from "../../packages/contract/src";

const T0 = Date.parse("2026-01-02T10:00:00.000Z");
/** 3.6 a replica-hour: a replica-second costs 0.001. */
const PRICING: Pricing = { burstReplicaHourlyCost: 3.6, currency: "EUR", burstReplicas: 2 };

describe("ReplicaMeter", () => {
  it("counts each size for as long as it lasted", () => {
    const meter = new ReplicaMeter(T0);
    meter.set(2, T0 + 10_000); // 0 replicas for 10 s
    meter.set(3, T0 + 15_000); // 2 for 5 s: 10
    meter.set(0, T0 + 25_000); // 3 for 10 s: 30
    expect(meter.replicaSeconds(T0 + 60_000)).toBe(40);
  });

  it("starts from the replicas found, and counts the time up to the reading", () => {
    const meter = new ReplicaMeter(T0, 1);
    expect(meter.replicaSeconds(T0 + 30_000)).toBe(30);
    expect(meter.replicaSeconds(T0 + 45_000)).toBe(45);
  });

  it("does not count backwards for a reading older than the last change", () => {
    const meter = new ReplicaMeter(T0, 2);
    meter.set(4, T0 + 10_000);
    expect(meter.replicaSeconds(T0 + 5_000)).toBe(20);
    meter.set(0, T0 + 12_000);
    expect(meter.replicaSeconds(T0 + 20_000)).toBe(28);
  });
});

describe("burstCostOf", () => {
  it("prices the replica-seconds and the always-on pool over the same time", () => {
    const cost = new ReplicaMeter(T0, 1).cost(T0 + 100_000, PRICING);
    expect(cost).toEqual({ burstReplicaSeconds: 100, burstCost: 0.1, alwaysOnCost: 0.2, currency: "EUR", since: "2026-01-02T10:00:00.000Z" });
  });

  it("costs nothing for a pool that stayed at 0, while always-on would have", () => {
    expect(burstCostOf(0, T0, T0 + 3_600_000, { ...PRICING, burstReplicaHourlyCost: 0.068 })).toMatchObject({ burstCost: 0, alwaysOnCost: 0.136 });
  });

  it("defaults to the README's approximate price of the default worker machine, in USD", () => {
    const { settings } = parseWatcherSettings(() => undefined);
    expect(settings).toMatchObject({ burstReplicaHourlyCost: 0.068, currency: "USD" });
    expect(DEFAULT_WATCHER_SETTINGS.burstReplicaHourlyCost * 730).toBeCloseTo(50, 0); // about $50/month
  });

  it("reads as a line of local mode's log", () => {
    const cost = burstCostOf(90, T0, T0 + 100_000, PRICING);
    expect(formatCost(cost)).toBe("0.0900 EUR for 90 replica-s (always on: 0.2000 EUR)");
  });
});
