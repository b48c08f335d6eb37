/**
 * What each mode asks of the weights, from one sample with a value. More burst reads the fast view
 * at once; less burst reads the slow view and goes only as far as every sample of the last
 * downStabilization agrees (the stabilization window, as the HPA's). Each mode is one strategy
 * (strategy.ts): `switch` (switch.ts): natural <-> burst weights between lowRps and highRps;
 * `overflow` (overflow.ts): only the share over primaryCapacityRps to burst.
 */
import type { Mode } from "@istio-burst/contract";
import type { Policy, Recommendation, State } from "../types";
import { overflowMode } from "./overflow";
import type { ModeOutcome, ModeStrategy, Rates, Views } from "./strategy";
import { switchMode } from "./switch";

export { overflowBurstWeight } from "./overflow";
export type { ModeOutcome, ModeStrategy, Move, Rates, ReplicaCount } from "./strategy";

/** Every mode's strategy: a new mode does not compile until it has one. */
const STRATEGIES: Readonly<Record<Mode, ModeStrategy>> = { switch: switchMode, overflow: overflowMode };

/** The strategy of a mode. */
export function strategyOf(mode: Mode): ModeStrategy {
  return STRATEGIES[mode];
}

/** The state with the sample's recommendation in the stabilization window; `full` once samples have covered the whole window. */
function rememberRecommendation(state: State, burst: number, policy: Policy, now: number): { state: State; full: boolean } {
  const dataSince = state.dataSince ?? now;
  const windowStart = now - policy.downStabilization;
  const recommendations: Recommendation[] = [...state.recommendations.filter((r) => r.at > windowStart), { at: now, burst }];
  return { state: { ...state, dataSince, recommendations }, full: dataSince <= windowStart };
}

/** The move the policy's mode asks for at this sample; `readyGated`: the burst pool is read (switch mode then rises as replicas get ready). */
export function proposeMove(state: State, rates: Rates, policy: Policy, now: number, readyGated: boolean): ModeOutcome {
  const mode = strategyOf(policy.mode);
  const window = rememberRecommendation(state, mode.recommendedBurstWeight(rates, state, policy), policy, now);
  const lowestAgreedBurst = window.full ? Math.max(...window.state.recommendations.map((r) => r.burst)) : state.weights.burst;
  const views: Views = { rps: rates.rps, upRps: rates.upRps, lowestAgreedBurst, rising: state.followUp === "rising" };
  return mode.propose(window.state, views, policy, readyGated);
}
