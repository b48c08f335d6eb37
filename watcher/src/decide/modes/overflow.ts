/**
 * overflow mode: only the share of the load over primaryCapacityRps goes to burst, in multiples of
 * stepWeight up to maxBurstWeight; up at once to the share the fast view needs, down to the share the
 * whole stabilization window agrees on. One burst replica per burstPodCapacityRps of the excess.
 */
import { formatNumber, formatSeconds, settingName, streakText, withBurstWeight } from "../outcome";
import type { Policy, State } from "../types";
import { clampReplicas, type ModeOutcome, type ModeStrategy, type Views } from "./strategy";

/**
 * The burst weight that keeps primary at or under its capacity at `rps`, rounded up to a multiple of
 * stepWeight, at least the natural burst weight and at most maxBurstWeight.
 */
export function overflowBurstWeight(rps: number, policy: Policy): number {
  const capacity = policy.primaryCapacityRps;
  const excessShare = rps > capacity && rps > 0 ? (rps - capacity) / rps : 0;
  const steps = Math.ceil((excessShare * 100) / policy.stepWeight - 1e-9);
  const share = Math.min(steps * policy.stepWeight, policy.maxBurstWeight, 100);
  return Math.max(share, policy.naturalWeights.burst);
}

/**
 * The share a step up goes to when the fast view needs more than `current`; undefined when it does
 * not. While the load is rising (State.followUp `rising`: the load outgrew the last step up within
 * minDwell, so this step is made at the poll that calls for it, minDwell or not), the step is sized
 * with headroom, for the fast view plus overflowBandRps, so that a rising load needs fewer steps. The
 * band is the one the way down keeps at that load, and the sample asks the stabilization window for
 * the share, so the way down keeps it while the slow view catches up.
 */
function overflowStepUp(upRps: number, current: number, rising: boolean, policy: Policy): { share: number; sizedFor: number } | undefined {
  if (overflowBurstWeight(upRps, policy) <= current) return undefined;
  const sizedFor = rising ? upRps + policy.overflowBandRps : upRps;
  return { share: overflowBurstWeight(sizedFor, policy), sizedFor };
}

/** Up at once to the share the fast view needs (with headroom while the load is rising: overflowStepUp); down to the share the whole window agrees on. */
function overflowMove(state: State, { rps, upRps, lowestAgreedBurst, rising }: Views, policy: Policy): ModeOutcome {
  const current = state.weights.burst;
  const stepUp = overflowStepUp(upRps, current, rising, policy);
  if (stepUp) {
    const next: State = { ...state, upStreak: state.upStreak + 1, downStreak: 0 };
    if (next.upStreak < policy.confirmSamples) return { state: next };
    const headroom = rising ? ` (rising: sized for ${formatNumber(stepUp.sizedFor)} rps, + ${settingName("overflowBandRps")})` : "";
    const why = `observed ${formatNumber(upRps)} rps over ${settingName("primaryCapacityRps")} ${formatNumber(policy.primaryCapacityRps)}${streakText(next.upStreak)}: burst share ${stepUp.share}%${headroom}`;
    return { state: next, move: { target: withBurstWeight(stepUp.share), action: "step-up", why } };
  }
  if (lowestAgreedBurst < current) {
    const next: State = { ...state, downStreak: state.downStreak + 1, upStreak: 0 };
    if (next.downStreak < policy.confirmSamples) return { state: next };
    const why =
      `observed ${formatNumber(rps)} rps (+${formatNumber(policy.overflowBandRps)} band) needs less burst ` +
      `for the last ${formatSeconds(policy.downStabilization)}: burst share ${lowestAgreedBurst}%`;
    return { state: next, move: { target: withBurstWeight(lowestAgreedBurst), action: "step-down", why } };
  }
  return { state: { ...state, upStreak: 0, downStreak: 0 } };
}

export const overflowMode: ModeStrategy = {
  wantsBurst: (upRps, policy) => overflowBurstWeight(upRps, policy) > policy.naturalWeights.burst,

  /** The share that keeps primary under its capacity at the fast view, or at the slow view plus the band, or the share of a step up with headroom, whichever is higher. */
  recommendedBurstWeight: ({ rps, upRps }, state, policy) => {
    const stepUp = overflowStepUp(upRps, state.weights.burst, state.followUp === "rising", policy)?.share ?? 0;
    return Math.max(overflowBurstWeight(upRps, policy), overflowBurstWeight(rps + policy.overflowBandRps, policy), stepUp);
  },

  propose: (state, views, policy) => overflowMove(state, views, policy),

  /** One replica per burstPodCapacityRps of the excess of `sizeRps` over primaryCapacityRps, at least one. */
  replicasFor: (sizeRps, because, policy) => {
    const excess = Math.max(0, sizeRps - policy.primaryCapacityRps);
    const replicas = clampReplicas(Math.max(1, Math.ceil(excess / policy.burstPodCapacityRps - 1e-9)), policy);
    const why = `${because}: ${formatNumber(excess)} rps over ${settingName("primaryCapacityRps")} at ${formatNumber(policy.burstPodCapacityRps)} rps a replica needs ${replicas}`;
    return { replicas, why };
  },

  /** What the pool has (at least one). */
  replicasWithoutRate: (pool, policy) => clampReplicas(Math.max(1, pool?.desired ?? 1), policy),

  burstWeightSizedFor: (rates, policy) => (rates === undefined ? 0 : overflowBurstWeight(Math.max(rates.rps, rates.upRps), policy)),
};
