/**
 * The two kinds of decision (hold the weights, or change them) and the words of their reasons. A
 * reason names a setting by the watcher's environment variable (HIGH_RPS), as the operator set it.
 */
import { sameWeights, settingSpec, type Action, type SettingKey, type Side, type Weights } from "@istio-burst/contract";
import { phaseOf, type Decision, type FollowUp, type Policy, type State } from "./types";

/** A setting as a reason names it: its environment variable (`highRps` -> `HIGH_RPS`). */
export function settingName(key: SettingKey): string {
  return settingSpec(key).env;
}

/** A number as a reason writes it: whole numbers as they are, others with two decimals. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** Milliseconds as a reason writes them: `10s`, `2.50s`. */
export function formatSeconds(ms: number): string {
  return `${formatNumber(ms / 1000)}s`;
}

/** ` for 3 samples` after a move confirmed by several samples in a row; nothing for one. */
export function streakText(samples: number): string {
  return samples > 1 ? ` for ${samples} samples` : "";
}

/** The weights stay as they are. */
export function hold(state: State, action: Action, reason: string): Decision {
  return { state, weights: state.weights, changed: false, action, reason };
}

/** The way a change from `from` to `to` moves the burst weight; undefined when it does not move it. */
export function towardOf(from: Weights, to: Weights): Side | undefined {
  return to.burst > from.burst ? "burst" : to.burst < from.burst ? "primary" : undefined;
}

/**
 * The follow-up the next move towards burst will be after a change from `state.weights` to `weights`
 * at `now`: `replicas` when the change towards burst was capped by the ready replicas; `rising` when
 * it was a step up after a step up that the load called for within minDwell of the one before (made
 * then as a follow-up, or held by minDwell: asked for at more polls in a row than confirmSamples);
 * none after a change towards primary, a first step up, or a step up after the load stood still.
 */
function followUpAfter(state: State, weights: Weights, capped: boolean, policy: Policy, now: number): FollowUp | null {
  const toward = towardOf(state.weights, weights);
  if (toward === undefined) return state.followUp;
  if (toward === "primary") return null;
  if (capped) return "replicas";
  if (state.lastChangeToward !== "burst" || state.lastChangeAt === null) return null;
  const outgrown = now - state.lastChangeAt < policy.minDwell || state.upStreak > policy.confirmSamples;
  return outgrown ? "rising" : null;
}

/**
 * The weights change to `weights` now; the streaks that led here start again, and the change's
 * direction and the follow-up it allows are remembered. `capped`: the ready replicas capped it.
 */
export function change(state: State, weights: Weights, action: Action, why: string, policy: Policy, now: number, capped = false): Decision {
  const reason = `${why}: weights ${state.weights.primary},${state.weights.burst} -> ${weights.primary},${weights.burst}`;
  const next: State = {
    ...state,
    weights,
    phase: phaseOf(weights, policy),
    lastChangeAt: now,
    lastChangeReason: reason,
    lastChangeToward: towardOf(state.weights, weights) ?? state.lastChangeToward,
    followUp: followUpAfter(state, weights, capped, policy, now),
    upStreak: 0,
    downStreak: 0,
    unhealthyStreak: 0,
  };
  return { state: next, weights, changed: !sameWeights(weights, state.weights), action, reason };
}

/** `{primary: 100 - burst, burst}`. */
export function withBurstWeight(burst: number): Weights {
  return { primary: 100 - burst, burst };
}
