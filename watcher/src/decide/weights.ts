/**
 * The route weights for one sample: no data holds them; the burst health guard sends everything back
 * to primary when the burst pool fails; otherwise the mode proposes a move, the ready gate (when the
 * burst pool is read) holds or caps it, and a move is made only outside a health block and minDwell
 * (which holds reversals, not follow-ups further towards burst).
 */
import { PRIMARY_ONLY, sameWeights } from "@istio-burst/contract";
import { proposeMove, type Move } from "./modes";
import { change, formatNumber, formatSeconds, hold, settingName, towardOf } from "./outcome";
import { capacityFallback, limitToReadyReplicas, type ReadyGate } from "./ready-gate";
import type { Decision, Observation, Policy, Sample, State } from "./types";

type WithoutData = Exclude<Observation, { kind: "value" }>;
type WithValue = Extract<Observation, { kind: "value" }>;

/** The weights decision for a sample; `gate` when the burst pool was read with it. */
export function decideWeights(state: State, sample: Sample, policy: Policy, now: number, gate?: ReadyGate): Decision {
  if (sample.kind !== "value") return holdWithoutData(state, sample, policy, now, gate);
  const checked = trackBurstHealth(withData(state, now), sample, policy);
  if (burstUnhealthy(checked, policy)) return healthFallback(checked, sample, policy, now);
  const proposal = proposeMove(checked, { rps: sample.rps, upRps: sample.upRps ?? sample.rps }, policy, now, gate !== undefined);
  let move = proposal.move;
  if (gate) {
    const fallback = capacityFallback(proposal.state, gate, policy, now, move?.target);
    if (fallback) return fallback;
    const limited = limitToReadyReplicas(proposal.state, gate, policy, move);
    if ("hold" in limited) return limited.hold;
    move = limited.move;
  }
  return moveUnlessHeld(proposal.state, move, sample.rps, policy, now);
}

/**
 * No data (empty result, NaN, several series) and failed queries hold the current weights: the
 * counters that need consecutive evidence restart, and the streak of missing data is counted. Only a
 * burst weight its ready replicas no longer allow is cut.
 */
function holdWithoutData(state: State, sample: WithoutData & Sample, policy: Policy, now: number, gate: ReadyGate | undefined): Decision {
  const next: State = {
    ...state,
    upStreak: 0,
    downStreak: 0,
    // the stabilization window needs samples: it starts again with the next one
    dataSince: null,
    recommendations: [],
    noDataStreak: sample.kind === "nodata" ? state.noDataStreak + 1 : state.noDataStreak,
    errorStreak: sample.kind === "error" ? state.errorStreak + 1 : state.errorStreak,
  };
  const fallback = gate && capacityFallback(next, gate, policy, now, undefined);
  if (fallback) return fallback;
  return sample.kind === "nodata"
    ? hold(next, "no-data", `no data (${sample.reason}): holding weights`)
    : hold(next, "query-error", `query failed (${sample.message}): holding weights`);
}

/** A sample with a value: the no-data streaks end, and a health block that has run out is lifted. */
function withData(state: State, now: number): State {
  const blockOver = state.burstBlockedUntil !== null && now >= state.burstBlockedUntil;
  return { ...state, noDataStreak: 0, errorStreak: 0, burstBlockedUntil: blockOver ? null : state.burstBlockedUntil };
}

/**
 * The burst health guard's count: while burst carries traffic, a success ratio below burstMinSuccess
 * counts a failing sample, a healthy one resets the count, an unknown one (no data) does neither.
 */
function trackBurstHealth(state: State, sample: WithValue, policy: Policy): State {
  if (!policy.healthGuard || state.weights.burst <= 0) return state.unhealthyStreak === 0 ? state : { ...state, unhealthyStreak: 0 };
  const ratio = sample.burstSuccessRatio;
  if (ratio === undefined) return state;
  return { ...state, unhealthyStreak: ratio < policy.burstMinSuccess ? state.unhealthyStreak + 1 : 0 };
}

function burstUnhealthy(state: State, policy: Policy): boolean {
  return policy.healthGuard && state.weights.burst > 0 && state.unhealthyStreak >= policy.burstUnhealthySamples;
}

/** Everything back to primary, minDwell or not, and no burst for burstRetryAfter. */
function healthFallback(state: State, sample: WithValue, policy: Policy, now: number): Decision {
  const reason =
    `burst pool unhealthy: success ratio ${formatNumber(sample.burstSuccessRatio ?? NaN)} < ${formatNumber(policy.burstMinSuccess)} ` +
    `for ${state.unhealthyStreak} samples; all traffic back to primary, no burst for ${formatSeconds(policy.burstRetryAfter)}`;
  return change({ ...state, burstBlockedUntil: now + policy.burstRetryAfter }, PRIMARY_ONLY, "health-fallback", reason, policy, now);
}

/**
 * Makes the move unless there is none, burst is blocked after a health fallback, or minDwell has not
 * passed since the last change. minDwell holds reversals, not follow-ups (State.followUp): a move
 * further towards burst right after a change capped by the ready replicas (the rest, as they become
 * ready), or after a second step up in a row (the load is rising), is made now; a move towards
 * primary, a move towards burst after one towards primary, and the step after a first step up (a
 * spike shorter than a scrape interval reads as a step until the next scrape) wait for it.
 */
function moveUnlessHeld(state: State, move: Move | undefined, rps: number, policy: Policy, now: number): Decision {
  if (!move || sameWeights(move.target, state.weights)) return hold(state, "hold", `observed ${formatNumber(rps)} rps: holding weights`);
  const toward = towardOf(state.weights, move.target);
  if (toward === "burst" && state.burstBlockedUntil !== null) {
    return hold(state, "burst-blocked", `${move.why}; burst not used until ${new Date(state.burstBlockedUntil).toISOString()} after a health fallback`);
  }
  const followUp = toward === "burst" && state.followUp !== null;
  if (!followUp && state.lastChangeAt !== null && now - state.lastChangeAt < policy.minDwell) {
    return hold(state, "dwell", `${move.why}; waiting for ${settingName("minDwell")} ${formatSeconds(policy.minDwell)} since the last change`);
  }
  return change(state, move.target, move.action, move.why, policy, now, move.capped === true);
}
