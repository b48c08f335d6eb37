/**
 * What the decision reads and returns: the policy (the contract's WatcherPolicy: the parsed settings
 * under their own names), one poll's sample, the state carried from one poll to the next, and the
 * decision. Everything decide() remembers lives in State; there are no globals.
 */
import type { Action, NoDataReason, Phase, Side, WatcherPolicy, Weights } from "@istio-burst/contract";

/** The policy decide() reads: the settings table's keys, durations in ms, and whether the health guard is on. */
export type Policy = WatcherPolicy;

/** The burst pool as the scaler read it. */
export interface PoolReading {
  /** replicas asked for */
  readonly desired: number;
  /** replicas ready to serve */
  readonly ready: number;
}

/** What the metrics source observed in one poll. */
export type Observation =
  | {
      readonly kind: "value";
      /** worker-service requests/s, as seen by the frontend's sidecar: the slow view (coming back) */
      readonly rps: number;
      /** the same over the last scrape interval: the fast view (bursting); undefined: use rps */
      readonly upRps?: number;
      /** success ratio (0..1) of the burst pool's answers; undefined when not measured or no data */
      readonly burstSuccessRatio?: number;
    }
  | { readonly kind: "nodata"; readonly reason: NoDataReason }
  | { readonly kind: "error"; readonly message: string };

/**
 * One poll's observation and, when the watcher scales the burst pool, the pool read beside it:
 * `pool` undefined when it does not (the burst pool is neither scaled nor looked at), null when the
 * pool could not be read this poll (no weight grows towards burst then).
 */
export type Sample = Observation & { readonly pool?: PoolReading | null };

/**
 * Why a move further towards burst after the last change is a follow-up that minDwell does not hold:
 * - `replicas`: the last change towards burst was capped by the ready burst replicas; the rest follows as they become ready;
 * - `rising`: the last change was a step up after a step up that the load outgrew within minDwell (it was made then as a
 *   follow-up, or minDwell held it): the load is rising, and overflow mode sizes the next step with headroom.
 * A first step up allows none: the step after it waits for minDwell, since a spike shorter than a scrape interval reads as
 * a step until the next scrape shows it gone (and a step after the load stood still is a first step again).
 */
export type FollowUp = "replicas" | "rising";

/** The burst weight one sample asked for, kept for the stabilization window. */
export interface Recommendation {
  readonly at: number;
  readonly burst: number;
}

/** One reading of the fast view, kept for the trend pre-warm. */
export interface RatePoint {
  readonly at: number;
  readonly upRps: number;
}

/** A scale-up under way: when it was asked for, and the replicas asked for. */
export interface ScaleUp {
  readonly at: number;
  readonly replicas: number;
}

/** The replicas the burst pool needed at one time, kept for the scale-down cooldown. */
export interface ReplicaNeed {
  readonly at: number;
  readonly replicas: number;
}

export interface State {
  /** The weights in effect (as far as the watcher knows). */
  readonly weights: Weights;
  /** burst when the burst weight is above the natural one. */
  readonly phase: Phase;
  /** Epoch ms of the last change this watcher made; null since start. */
  readonly lastChangeAt: number | null;
  readonly lastChangeReason: string | null;
  /** Which way the last change moved the burst weight: `burst` (up), `primary` (down); null since start. */
  readonly lastChangeToward: Side | null;
  /**
   * Why a further move towards burst is a follow-up, not a flap, that minDwell does not hold
   * (FollowUp); null: none (since start, after a change towards primary, and after a first step up).
   */
  readonly followUp: FollowUp | null;
  /** Samples in a row that called for more burst / less burst. */
  readonly upStreak: number;
  readonly downStreak: number;
  /** Polls in a row without data / with a failed query. */
  readonly noDataStreak: number;
  readonly errorStreak: number;
  /** Samples in a row in which the burst pool failed the health guard. */
  readonly unhealthyStreak: number;
  /** Epoch ms until which burst is not used (after a health fallback); null when not blocked. */
  readonly burstBlockedUntil: number | null;
  /** Epoch ms since which every poll had data (null: since start, or the last poll had none). */
  readonly dataSince: number | null;
  /** The burst weight each sample of the stabilization window asked for, oldest first. */
  readonly recommendations: readonly Recommendation[];
  /**
   * The replicas needed within the scale-down cooldown, oldest first, each higher than every later
   * one (the first is the highest); null until the first decision with a pool reading (which seeds
   * it from the pool found, so a restart keeps the replicas it finds).
   */
  readonly replicaNeeds: readonly ReplicaNeed[] | null;
  /** The fast view's readings of the last two trend windows, oldest first (the trend pre-warm reads them; emptied by a poll without data). */
  readonly rates: readonly RatePoint[];
  /** Epoch ms since which the burst pool has had replicas while burst carried no traffic (a warm pool); null: none. */
  readonly warmSince: number | null;
  /** A warm pool went back unused: no pre-warm on the trend until the rate has been below lowRps. */
  readonly prewarmDisarmed: boolean;
  /** The scale-up this watcher asked for that is not ready yet; null: none. */
  readonly scaleUp: ScaleUp | null;
  /** How long the pool's last scale-ups took to be ready (ms), oldest first, at most RECENT_SCALE_UPS. */
  readonly scaleUpTimes: readonly number[];
}

/** The scale-ups whose times set the time replicas take to become ready. */
export const RECENT_SCALE_UPS = 3;

export interface Decision {
  readonly state: State;
  /** The weights to be in effect after this decision (= state.weights). */
  readonly weights: Weights;
  /** True when the weights differ from the previous state's. */
  readonly changed: boolean;
  readonly action: Action;
  /** Why, in words (logged and written to the Kubernetes Event when the weights change). */
  readonly reason: string;
  /** With the pool read: the replicas the burst pool should have, when that differs from the pool's desired count. */
  readonly replicas?: number;
  /** With the pool read: the replicas the pool should have (whether or not that is a change). */
  readonly desiredReplicas?: number;
  /** With the pool read: why the pool has (or gets) desiredReplicas. */
  readonly scaleReason?: string;
  /** With the pool read: the ms replicas take to become ready, as the trend pre-warm uses it, and whether it was measured on the pool. */
  readonly scaleUpTime?: { readonly ms: number; readonly measured: boolean };
}

/** The ms burst replicas take to become ready: the mean of the pool's recent scale-ups, or scaleUpTime until one was measured. */
export function readyTimeOf(state: State, policy: Policy): { ms: number; measured: boolean } {
  const times = state.scaleUpTimes;
  if (times.length === 0) return { ms: policy.scaleUpTime, measured: false };
  return { ms: Math.round(times.reduce((a, b) => a + b, 0) / times.length), measured: true };
}

export function phaseOf(weights: Weights, policy: Policy): Phase {
  return weights.burst > policy.naturalWeights.burst ? "burst" : "natural";
}

/** The state a watcher starts in, given the weights it found (a restart in burst stays in burst). */
export function initialState(weights: Weights, policy: Policy): State {
  return {
    weights,
    phase: phaseOf(weights, policy),
    lastChangeAt: null,
    lastChangeReason: null,
    lastChangeToward: null,
    followUp: null,
    upStreak: 0,
    downStreak: 0,
    noDataStreak: 0,
    errorStreak: 0,
    unhealthyStreak: 0,
    burstBlockedUntil: null,
    dataSince: null,
    recommendations: [],
    replicaNeeds: null,
    rates: [],
    warmSince: null,
    prewarmDisarmed: false,
    scaleUp: null,
    scaleUpTimes: [],
  };
}

/** The two views of the rate in a sample with a value (the fast one is the slow one when not measured); undefined without a value. */
export function observedRates(sample: Observation): { readonly rps: number; readonly upRps: number } | undefined {
  return sample.kind === "value" ? { rps: sample.rps, upRps: sample.upRps ?? sample.rps } : undefined;
}
