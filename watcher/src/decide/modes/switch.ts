/**
 * switch mode, the 2018 codelab's: the natural weights <-> the burst weights, to burst once the fast
 * view is above highRps, back once every sample of the stabilization window was below lowRps.
 * burstReplicas replicas serve burst.
 */
import { formatNumber, formatSeconds, settingName, streakText } from "../outcome";
import type { Policy, State } from "../types";
import { clampReplicas, type ModeOutcome, type ModeStrategy, type Views } from "./strategy";

/** natural phase: to the burst weights once the fast view is above highRps for confirmSamples samples. */
function switchToBurst(state: State, { upRps }: Views, policy: Policy): ModeOutcome {
  const above = switchMode.wantsBurst(upRps, policy);
  const next: State = { ...state, upStreak: above ? state.upStreak + 1 : 0, downStreak: 0 };
  if (!above || next.upStreak < policy.confirmSamples) return { state: next };
  const why = `observed ${formatNumber(upRps)} rps > ${settingName("highRps")} ${formatNumber(policy.highRps)}${streakText(next.upStreak)}`;
  return { state: next, move: { target: policy.burstWeights, action: "to-burst", why } };
}

/**
 * burst phase: back to the natural weights once every sample of the window was below lowRps (for
 * confirmSamples samples); with the pool read, up to the burst weights as replicas get ready.
 */
function switchToNatural(state: State, { rps, lowestAgreedBurst }: Views, policy: Policy, readyGated: boolean): ModeOutcome {
  const below = lowestAgreedBurst <= policy.naturalWeights.burst;
  const next: State = { ...state, downStreak: below ? state.downStreak + 1 : 0, upStreak: 0 };
  if (below && next.downStreak >= policy.confirmSamples) {
    const why =
      `observed ${formatNumber(rps)} rps < ${settingName("lowRps")} ${formatNumber(policy.lowRps)}, ` +
      `and every sample of the last ${formatSeconds(policy.downStabilization)} below it`;
    return { state: next, move: { target: policy.naturalWeights, action: "to-natural", why } };
  }
  if (readyGated && !below && state.weights.burst < policy.burstWeights.burst) {
    // capped below the burst weights by the ready share earlier: rise as replicas become ready
    return { state: next, move: { target: policy.burstWeights, action: "step-up", why: "burst replicas becoming ready" } };
  }
  return { state: next };
}

export const switchMode: ModeStrategy = {
  wantsBurst: (upRps, policy) => upRps > policy.highRps,

  /** The burst weights unless both views are below lowRps (then the natural ones). */
  recommendedBurstWeight: ({ rps, upRps }, state, policy) =>
    Math.max(rps, upRps) < policy.lowRps ? policy.naturalWeights.burst : Math.max(policy.burstWeights.burst, state.weights.burst),

  propose: (state, views, policy, readyGated) => (state.phase === "natural" ? switchToBurst(state, views, policy) : switchToNatural(state, views, policy, readyGated)),

  replicasFor: (_sizeRps, because, policy) => {
    const replicas = clampReplicas(policy.burstReplicas, policy);
    return { replicas, why: `${because}: ${settingName("burstReplicas")} ${replicas}` };
  },

  replicasWithoutRate: (_pool, policy) => clampReplicas(policy.burstReplicas, policy),

  burstWeightSizedFor: (_rates, policy) => policy.burstWeights.burst,
};
