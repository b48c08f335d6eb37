/**
 * What a mode is: the ModeStrategy each mode implements (switch.ts, overflow.ts), and what a mode's
 * proposal and its inputs look like. The rest of decide/ asks the policy's strategy (index.ts:
 * strategyOf) and never compares the mode itself.
 */
import type { WeightChangeAction, Weights } from "@istio-burst/contract";
import type { Policy, PoolReading, State } from "../types";

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
export interface Views {
  /** the slow view (coming back) */
  readonly rps: number;
  /** the fast view (bursting) */
  readonly upRps: number;
  /** the highest burst weight any sample of the stabilization window asked for: the lowest the weights may come down to */
  readonly lowestAgreedBurst: number;
  /** State.followUp is `rising`: the load outgrew the last step up within minDwell (overflow mode sizes the next step with headroom) */
  readonly rising: boolean;
}

/** The two views of the rate in a sample with a value. */
export interface Rates {
  readonly rps: number;
  readonly upRps: number;
}

/** The replicas a mode asks of the burst pool (within burstMaxReplicas), and why. */
export interface ReplicaCount {
  readonly replicas: number;
  readonly why: string;
}

/**
 * Everything that differs between the modes. Its burst threshold (the setting it bursts above) is
 * the contract's BURST_THRESHOLDS, which local mode reads too.
 */
export interface ModeStrategy {
  /** The fast view calls for burst: traffic is due to move (the pre-warm's `off` and `level` start replicas for it). */
  wantsBurst(upRps: number, policy: Policy): boolean;
  /** The burst weight one sample asks for, kept for the stabilization window. */
  recommendedBurstWeight(rates: Rates, state: State, policy: Policy): number;
  /** The move at this sample, from the state with the window updated; `readyGated`: the burst pool is read. */
  propose(state: State, views: Views, policy: Policy, readyGated: boolean): ModeOutcome;
  /** The replicas burst needs while it carries traffic or the pre-warm calls for it, sized for `sizeRps`; `because`: why they are called for. */
  replicasFor(sizeRps: number, because: string, policy: Policy): ReplicaCount;
  /** The replicas kept while burst carries traffic and the rate is unknown. */
  replicasWithoutRate(pool: PoolReading | null | undefined, policy: Policy): number;
  /** The burst weight the replicas the mode needs are sized for (the ready gate scales it by the ready share); rates undefined: no value. */
  burstWeightSizedFor(rates: Rates | undefined, policy: Policy): number;
}

/** At least one replica (unless burstMaxReplicas says 0) and at most burstMaxReplicas. */
export function clampReplicas(replicas: number, policy: Policy): number {
  return Math.max(Math.min(1, policy.burstMaxReplicas), Math.min(replicas, policy.burstMaxReplicas));
}
