/** The mode strategies (watcher/src/decide/modes/): one a mode, each agreeing with the contract's burst threshold of its mode. */
import { burstThresholdOf, MODES } from "@istio-burst/contract";
import { strategyOf } from "../../../watcher/src/decide/modes";
import { initialState } from "../../../watcher/src/lib";
import { NATURAL, policy } from "../decide-helpers";

describe("the strategy of each mode", () => {
  it("every mode has one, and each its own", () => {
    const strategies = MODES.map(strategyOf);
    expect(strategies.every((s) => s !== undefined)).toBe(true);
    expect(new Set(strategies).size).toBe(MODES.length);
  });

  it.each(MODES)("%s mode wants burst just above the contract's burst threshold of its mode, and not at it", (mode) => {
    const p = policy({ mode });
    const threshold = burstThresholdOf(p).rps;
    expect(strategyOf(mode).wantsBurst(threshold, p)).toBe(false);
    expect(strategyOf(mode).wantsBurst(threshold + 0.01, p)).toBe(true);
  });

  it("the burst threshold is highRps in switch mode and primaryCapacityRps in overflow mode", () => {
    expect(burstThresholdOf(policy({ mode: "switch", highRps: 15, primaryCapacityRps: 20 }))).toEqual({ key: "highRps", rps: 15 });
    expect(burstThresholdOf(policy({ mode: "overflow", highRps: 15, primaryCapacityRps: 20 }))).toEqual({ key: "primaryCapacityRps", rps: 20 });
  });

  it("switch mode sizes for the burst weights and burstReplicas; overflow mode for the excess over primary's capacity", () => {
    const rates = { rps: 30, upRps: 40 };
    expect(strategyOf("switch").burstWeightSizedFor(rates, policy())).toBe(100);
    expect(strategyOf("switch").replicasFor(40, "because", policy()).replicas).toBe(2);
    expect(strategyOf("overflow").burstWeightSizedFor(rates, policy({ mode: "overflow" }))).toBe(50);
    expect(strategyOf("overflow").burstWeightSizedFor(undefined, policy({ mode: "overflow" }))).toBe(0);
    expect(strategyOf("overflow").replicasFor(40, "because", policy({ mode: "overflow" }))).toEqual({
      replicas: 2,
      why: "because: 20 rps over PRIMARY_CAPACITY_RPS at 10 rps a replica needs 2",
    });
    expect(strategyOf("overflow").replicasWithoutRate({ desired: 4, ready: 1 }, policy({ mode: "overflow" }))).toBe(4);
    expect(strategyOf("switch").replicasWithoutRate({ desired: 4, ready: 1 }, policy())).toBe(2);
  });

  it("neither asks for burst when both views are low", () => {
    for (const mode of MODES) {
      const p = policy({ mode });
      expect(strategyOf(mode).recommendedBurstWeight({ rps: 1, upRps: 1 }, initialState(NATURAL, p), p)).toBe(0);
    }
  });
});
