/**
 * The ready gate: with the burst pool read, the burst weight is never more than its ready replicas
 * can carry. A move towards burst waits for a ready replica and is capped by the ready share of the
 * replicas it needs; a burst weight above what the ready replicas allow is cut at once (the pool
 * died, or was scaled away), whatever minDwell says.
 */
import type { Weights } from "@istio-burst/contract";
import { strategyOf, type Move } from "./modes";
import { change, hold, withBurstWeight } from "./outcome";
import { observedRates, type Decision, type Policy, type PoolReading, type Sample, type State } from "./types";

/** What the ready replicas let the weights do. */
export interface ReadyGate {
  /** the pool as read this poll; null: the read failed */
  readonly pool: PoolReading | null;
  /** the replicas the burst weight needs (at least 1) */
  readonly replicasNeeded: number;
  /** the burst weight replicasNeeded are sized for */
  readonly burstWeightSizedFor: number;
  /** the pre-warm starts no replicas although the mode wants burst, and why */
  readonly declined?: string;
}

/** The gate for a sample read with the pool, whose burst weight needs `need.replicas` replicas (0: none needed now). */
export function readyGateFor(sample: Sample, need: { readonly replicas: number; readonly declined?: string }, policy: Policy): ReadyGate {
  const burstWeightSizedFor = strategyOf(policy.mode).burstWeightSizedFor(observedRates(sample), policy);
  return { pool: sample.pool ?? null, replicasNeeded: Math.max(need.replicas, 1), burstWeightSizedFor, declined: need.declined };
}

/**
 * The burst weight the ready replicas allow out of `wanted`: the wanted share scaled by the ready
 * share of the replicas needed, rounded down to a multiple of stepWeight; 0 with no ready replica.
 */
export function allowedBurstWeight(wanted: number, ready: number, needed: number, stepWeight: number): number {
  if (ready <= 0 || wanted <= 0) return 0;
  const readyShare = Math.min(1, ready / Math.max(1, needed));
  return Math.min(wanted, Math.floor((wanted * readyShare) / stepWeight + 1e-9) * stepWeight);
}

function readyText(gate: ReadyGate): string {
  return gate.pool ? `${gate.pool.ready} of ${gate.replicasNeeded} ready` : "burst pool unknown";
}

/**
 * Burst carries more weight than its ready replicas allow: cut the burst weight to what they allow
 * at once. A planned move further down is taken instead when it goes lower. undefined: nothing to cut.
 */
export function capacityFallback(state: State, gate: ReadyGate, policy: Policy, now: number, target: Weights | undefined): Decision | undefined {
  const current = state.weights.burst;
  if (!gate.pool || current <= 0) return undefined;
  const allowed = allowedBurstWeight(Math.max(current, gate.burstWeightSizedFor), gate.pool.ready, gate.replicasNeeded, policy.stepWeight);
  if (allowed >= current) return undefined;
  const cutTo = Math.min(allowed, target?.burst ?? allowed);
  const reason = `burst carries ${current}% but only ${readyText(gate)} burst replicas: cut to ${cutTo}%`;
  return change({ ...state, upStreak: 0, downStreak: 0 }, withBurstWeight(cutTo), "capacity-fallback", reason, policy, now);
}

/**
 * A move towards burst as far as the ready replicas allow: a hold while they allow no more than the
 * weights have now, else the move, capped at what they allow. Other moves pass unchanged.
 */
export function limitToReadyReplicas(state: State, gate: ReadyGate, policy: Policy, move: Move | undefined): { hold: Decision } | { move: Move | undefined } {
  if (!move || move.target.burst <= state.weights.burst) return { move };
  const allowed = gate.pool ? allowedBurstWeight(move.target.burst, gate.pool.ready, gate.replicasNeeded, policy.stepWeight) : 0;
  if (allowed <= state.weights.burst) {
    const waiting = gate.declined ?? (gate.pool ? `waiting for burst replicas: ${readyText(gate)}` : "waiting for the burst pool's status (its last read failed)");
    return { hold: hold(state, "wait-capacity", `${move.why}; ${waiting}`) };
  }
  if (allowed >= move.target.burst) return { move };
  return { move: { ...move, target: withBurstWeight(allowed), why: `${move.why}; capped at ${allowed}% by the ready burst replicas (${readyText(gate)})`, capped: true } };
}
