/**
 * What each mode asks of the weights, from one sample with a value. More burst reads the fast view
 * at once; less burst reads the slow view and goes only as far as every sample of the last
 * downStabilization agrees (the stabilization window, as the HPA's). `switch`: natural <-> burst
 * weights between lowRps and highRps; `overflow`: only the share over primaryCapacityRps to burst.
 */
import type { WeightChangeAction, Weights } from "@istio-burst/contract";
import { formatNumber, formatSeconds, settingName, streakText, withBurstWeight } from "./outcome";
import type { Policy, Recommendation, State } from "./types";

/** A change a mode asks for: the weights, the action and why (not yet checked against dwell or readiness). */
export interface Move {
  readonly target: Weights;
  readonly action: WeightChangeAction;
  readonly why: string;
  /** the ready replicas capped the move below what the mode asked for (ready-gate.ts) */
  readonly capped?: boolean;
}

/** The state with the mode's streaks and window updated, and the move it asks for (none: hold). */
export interface ModeOutcome {
  readonly state: State;
  readonly move?: Move;
}

/** What a mode reads of one sample. */
interface Views {
  /** the slow view (coming back) */
  readonly rps: number;
  /** the fast view (bursting) */
  readonly upRps: number;
  /** the highest burst weight any sample of the stabilization window asked for: the lowest the weights may come down to */
  readonly lowestAgreedBurst: number;
  /** State.followUp is `rising`: the load outgrew the last step up within minDwell (overflow mode sizes the next step with headroom) */
  readonly rising: boolean;
}

/**
 * overflow mode: the burst weight that keeps primary at or under its capacity at `rps`, rounded up
 * to a multiple of stepWeight, at least the natural burst weight and at most maxBurstWeight.
 */
export function overflowBurstWeight(rps: number, policy: Policy): number {
  const capacity = policy.primaryCapacityRps;
  const excessShare = rps > capacity && rps > 0 ? (rps - capacity) / rps : 0;
  const steps = Math.ceil((excessShare * 100) / policy.stepWeight - 1e-9);
  const share = Math.min(steps * policy.stepWeight, policy.maxBurstWeight, 100);
  return Math.max(share, policy.naturalWeights.burst);
}

/**
 * overflow mode: the share a step up goes to when the fast view needs more than `current`; undefined
 * when it does not. While the load is rising (State.followUp `rising`: the load outgrew the last
 * step up within minDwell, so this step is made at the poll that calls for it, minDwell or not), the
 * step is sized with headroom, for the fast view plus overflowBandRps, so that a rising load needs
 * fewer steps. The band is the one the way down keeps at that load, and the sample asks the
 * stabilization window for the share, so the way down keeps it while the slow view catches up.
 */
function overflowStepUp(upRps: number, current: number, rising: boolean, policy: Policy): { share: number; sizedFor: number } | undefined {
  if (overflowBurstWeight(upRps, policy) <= current) return undefined;
  const sizedFor = rising ? upRps + policy.overflowBandRps : upRps;
  return { share: overflowBurstWeight(sizedFor, policy), sizedFor };
}

/**
 * The burst weight one sample asks for. switch: the burst weights unless both views are below
 * lowRps; overflow: the share that keeps primary under its capacity at the fast view, or at the slow
 * view plus the band, or the share of a step up with headroom, whichever is higher.
 */
function recommendedBurstWeight(rps: number, upRps: number, state: State, policy: Policy): number {
  if (policy.mode === "switch") {
    return Math.max(rps, upRps) < policy.lowRps ? policy.naturalWeights.burst : Math.max(policy.burstWeights.burst, state.weights.burst);
  }
  const stepUp = overflowStepUp(upRps, state.weights.burst, state.followUp === "rising", policy)?.share ?? 0;
  return Math.max(overflowBurstWeight(upRps, policy), overflowBurstWeight(rps + policy.overflowBandRps, policy), stepUp);
}

/** The state with the sample's recommendation in the stabilization window; `full` once samples have covered the whole window. */
function rememberRecommendation(state: State, burst: number, policy: Policy, now: number): { state: State; full: boolean } {
  const dataSince = state.dataSince ?? now;
  const windowStart = now - policy.downStabilization;
  const recommendations: Recommendation[] = [...state.recommendations.filter((r) => r.at > windowStart), { at: now, burst }];
  return { state: { ...state, dataSince, recommendations }, full: dataSince <= windowStart };
}

/** The move the policy's mode asks for at this sample; `readyGated`: the burst pool is read (switch mode then rises as replicas get ready). */
export function proposeMove(state: State, rates: { rps: number; upRps: number }, policy: Policy, now: number, readyGated: boolean): ModeOutcome {
  const { rps, upRps } = rates;
  const window = rememberRecommendation(state, recommendedBurstWeight(rps, upRps, state, policy), policy, now);
  const lowestAgreedBurst = window.full ? Math.max(...window.state.recommendations.map((r) => r.burst)) : state.weights.burst;
  const views: Views = { rps, upRps, lowestAgreedBurst, rising: state.followUp === "rising" };
  if (policy.mode === "overflow") return overflowMode(window.state, views, policy);
  return window.state.phase === "natural" ? switchToBurst(window.state, views, policy) : switchToNatural(window.state, views, policy, readyGated);
}

/** switch mode, natural phase: to the burst weights once the fast view is above highRps for confirmSamples samples. */
function switchToBurst(state: State, { upRps }: Views, policy: Policy): ModeOutcome {
  const above = upRps > policy.highRps;
  const next: State = { ...state, upStreak: above ? state.upStreak + 1 : 0, downStreak: 0 };
  if (!above || next.upStreak < policy.confirmSamples) return { state: next };
  const why = `observed ${formatNumber(upRps)} rps > ${settingName("highRps")} ${formatNumber(policy.highRps)}${streakText(next.upStreak)}`;
  return { state: next, move: { target: policy.burstWeights, action: "to-burst", why } };
}

/**
 * switch mode, burst phase: back to the natural weights once every sample of the window was below
 * lowRps (for confirmSamples samples); with the pool read, up to the burst weights as replicas get ready.
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

/**
 * overflow mode: up at once to the share the fast view needs (with headroom while the load is
 * rising: overflowStepUp); down to the share the whole window agrees on.
 */
function overflowMode(state: State, { rps, upRps, lowestAgreedBurst, rising }: Views, policy: Policy): ModeOutcome {
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
