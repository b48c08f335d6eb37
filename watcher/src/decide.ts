/**
 * The watcher's decision: a pure function of (state, sample, policy, now). Everything it remembers
 * between polls (the current weights, hysteresis counters, the recent recommendations, the time of
 * the last change) lives in the state it returns; there are no globals, so it can be replayed over a
 * trace and tested as a table.
 *
 * Fast up, slow down (as the Kubernetes HPA, Knative and Argo Rollouts do): "more burst" reads the
 * fast view of the rate (the last full scrape interval), so a rising load moves traffic within a
 * scrape and a poll; "less burst" reads the slow view (a longer rate() window) and is made only when
 * every sample of the last downStabilizationMs called for it: the weights come down to the highest
 * burst share any sample of that window still asked for.
 */
import { PRIMARY_ONLY, sameWeights, type Action, type Mode, type NoDataReason, type Phase, type Weights } from "@istio-burst/contract";

/** The burst-pool health guard (optional). */
export interface HealthPolicy {
  /** Off unless a health signal is configured (BURST_HEALTH_QUERY). */
  readonly enabled: boolean;
  /** A burst success ratio below this counts as a failing sample. */
  readonly minSuccessRatio: number;
  /** Failing samples in a row (while burst gets traffic) before traffic returns to primary. */
  readonly unhealthySamples: number;
  /** After a fallback, burst is not used again for this long (ms). */
  readonly retryAfterMs: number;
}

/**
 * The capacity side (optional): the burst pool's size. Off unless the policy has it and the sample
 * carries a pool reading.
 */
export interface CapacityPolicy {
  /** Replicas while no burst is needed (BURST_MIN_REPLICAS). */
  readonly minReplicas: number;
  /** Replicas at most (BURST_MAX_REPLICAS). */
  readonly maxReplicas: number;
  /** switch mode: replicas that must be ready before all the burst weight moves (BURST_REPLICAS). */
  readonly switchReplicas: number;
  /** overflow mode: requests/s one replica serves (BURST_POD_CAPACITY_RPS). */
  readonly podCapacityRps: number;
  /** Replicas are started when the fast view is above this (PREWARM_RPS). */
  readonly prewarmRps: number;
  /** The pool is kept at the highest need seen within this window (ms), then shrinks (SCALE_DOWN_COOLDOWN). */
  readonly cooldownMs: number;
}

/** The burst pool as the scaler read it. */
export interface PoolReading {
  /** replicas asked for */
  readonly desired: number;
  /** replicas ready to serve */
  readonly ready: number;
}

export interface Policy {
  readonly mode: Mode;
  /** switch mode: go to the burst weights above this rate (requests/s). */
  readonly highRps: number;
  /** switch mode: return to the natural weights below this rate; must be < highRps. */
  readonly lowRps: number;
  /** Minimum time between two weight changes (ms); the health guard ignores it. */
  readonly minDwellMs: number;
  /** Less burst only when every sample of this window (ms) called for it; 0: at once. */
  readonly downStabilizationMs: number;
  /** Samples in a row that must call for the same move before it is made (1 = act at once). */
  readonly confirmSamples: number;
  readonly natural: Weights;
  readonly burst: Weights;
  /** overflow mode: requests/s that primary keeps; only the excess goes to burst. */
  readonly primaryCapacityRps: number;
  /** overflow mode: the burst weight moves in multiples of this. */
  readonly stepWeight: number;
  /** overflow mode: the burst weight never exceeds this. */
  readonly maxBurstWeight: number;
  /** overflow mode: the burst weight only goes down once it would also go down at rps + this band. */
  readonly overflowBandRps: number;
  readonly health: HealthPolicy;
  /** The capacity side; undefined: off (the burst pool is not scaled and not looked at). */
  readonly capacity?: CapacityPolicy;
}

/**
 * The pool reading beside a sample: undefined when the capacity side is off; null when it is on but
 * the pool could not be read this poll (no weight grows towards burst then).
 */
export interface WithPool {
  readonly pool?: PoolReading | null;
}

/** One poll's observation, as the metrics source typed it. */
export type Sample = (
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
  | { readonly kind: "error"; readonly message: string }
) &
  WithPool;

export interface State {
  /** The weights in effect (as far as the watcher knows). */
  readonly weights: Weights;
  /** burst when the burst weight is above the natural one. */
  readonly phase: Phase;
  /** Epoch ms of the last change this watcher made; null since start. */
  readonly lastChangeAt: number | null;
  readonly lastChangeReason: string | null;
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
  readonly recent: readonly Recommendation[];
  /**
   * Capacity side: the replicas needed within the cooldown window, oldest first, each higher than
   * every later one (the first is the highest); null until the first decision with a pool reading
   * (which seeds it from the pool found, so a restart keeps the replicas it finds).
   */
  readonly needs?: readonly ReplicaNeed[] | null;
}

export interface ReplicaNeed {
  readonly at: number;
  readonly replicas: number;
}

export interface Recommendation {
  readonly at: number;
  readonly burst: number;
}

export interface Decision {
  readonly state: State;
  /** The weights to be in effect after this decision (= state.weights). */
  readonly weights: Weights;
  /** True when the weights differ from the previous state's. */
  readonly changed: boolean;
  readonly action: Action;
  /** Why, in words (logged and written to the Kubernetes Event when the weights change). */
  readonly reason: string;
  /** Capacity side: the replicas the burst pool should have, when that differs from the pool's desired count. */
  readonly replicas?: number;
  /** Capacity side: the replicas the pool should have (whether or not that is a change). */
  readonly desiredReplicas?: number;
  /** Capacity side: why the pool has (or gets) desiredReplicas. */
  readonly scaleReason?: string;
}

export function phaseOf(weights: Weights, policy: Policy): Phase {
  return weights.burst > policy.natural.burst ? "burst" : "natural";
}

/** The state a watcher starts in, given the weights it found (a restart in burst stays in burst). */
export function initialState(weights: Weights, policy: Policy): State {
  return {
    weights,
    phase: phaseOf(weights, policy),
    lastChangeAt: null,
    lastChangeReason: null,
    upStreak: 0,
    downStreak: 0,
    noDataStreak: 0,
    errorStreak: 0,
    unhealthyStreak: 0,
    burstBlockedUntil: null,
    dataSince: null,
    recent: [],
    needs: null,
  };
}

/**
 * overflow mode: the burst weight that keeps primary at or under its capacity at `rps`, rounded up
 * to a multiple of stepWeight, at least the natural burst weight and at most maxBurstWeight.
 */
export function overflowBurstWeight(rps: number, policy: Policy): number {
  const c = policy.primaryCapacityRps;
  const excess = rps > c && rps > 0 ? (rps - c) / rps : 0;
  const steps = Math.ceil((excess * 100) / policy.stepWeight - 1e-9);
  const share = Math.min(steps * policy.stepWeight, policy.maxBurstWeight, 100);
  return Math.max(share, policy.natural.burst);
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * No data (empty result, NaN, several series) and failed queries hold the current weights: the
 * counters that need consecutive evidence restart, and the streak of missing data is counted.
 */
export function decide(state: State, sample: Sample, policy: Policy, now: number): Decision {
  const cap = policy.capacity;
  if (!cap || sample.pool === undefined) return decideWeights(state, sample, policy, now, undefined);
  const pool = sample.pool;
  const upRps = sample.kind === "value" ? (sample.upRps ?? sample.rps) : undefined;
  const rps = sample.kind === "value" ? sample.rps : undefined;
  const inUse = state.weights.burst > 0;
  // The replicas needed now, and why.
  let need = 0;
  let needWhy = "";
  if (rps === undefined || upRps === undefined) {
    // no data: keep what the pool has while burst carries traffic
    if (inUse) {
      need = clampReplicas(policy.mode === "switch" ? cap.switchReplicas : Math.max(1, pool?.desired ?? 1), cap);
      needWhy = `burst carries ${state.weights.burst}% and the rate is unknown: keeping ${need}`;
    }
  } else {
    const wanted =
      policy.mode === "switch" ? upRps > policy.highRps : overflowBurstWeight(upRps, policy) > policy.natural.burst;
    const prewarm = upRps > cap.prewarmRps;
    if (inUse || wanted || prewarm) {
      const why = inUse ? `burst carries ${state.weights.burst}%` : wanted ? `observed ${fmt(upRps)} rps calls for burst` : `observed ${fmt(upRps)} rps > PREWARM_RPS ${fmt(cap.prewarmRps)}`;
      if (policy.mode === "switch") {
        need = clampReplicas(cap.switchReplicas, cap);
        needWhy = `${why}: BURST_REPLICAS ${need}`;
      } else {
        const excess = Math.max(0, Math.max(rps, upRps) - policy.primaryCapacityRps);
        need = clampReplicas(Math.max(1, Math.ceil(excess / cap.podCapacityRps - 1e-9)), cap);
        needWhy = `${why}: ${fmt(excess)} rps over PRIMARY_CAPACITY_RPS at ${fmt(cap.podCapacityRps)} rps a replica needs ${need}`;
      }
    }
  }
  // Up at once, down a cooldown after the need was last this high.
  let needs: ReplicaNeed[];
  if (state.needs === null || state.needs === undefined) {
    const found = pool ? Math.min(pool.desired, cap.maxReplicas) : 0;
    needs = found > cap.minReplicas ? [{ at: now, replicas: found }] : [];
  } else {
    needs = state.needs.filter((n) => n.at > now - cap.cooldownMs);
  }
  needs = [...needs.filter((n) => n.replicas > need), { at: now, replicas: need }];
  const highest = needs[0];
  const desired = Math.max(cap.minReplicas, highest.replicas);
  let scaleReason: string;
  if (need > 0 && need >= highest.replicas) scaleReason = needWhy;
  else if (highest.replicas > cap.minReplicas)
    scaleReason =
      `${highest.replicas} replicas needed ${fmt((now - highest.at) / 1000)}s ago` +
      (need > 0 ? ` (${need} now)` : "") +
      `: kept for SCALE_DOWN_COOLDOWN ${fmt(cap.cooldownMs / 1000)}s`;
  else scaleReason = `no burst needed: BURST_MIN_REPLICAS ${cap.minReplicas}`;

  // the burst weight those replicas are sized for: the ready share of it is what they carry
  const sizedFor =
    policy.mode === "switch" ? policy.burst.burst : rps === undefined || upRps === undefined ? 0 : overflowBurstWeight(Math.max(rps, upRps), policy);
  const gate: Gate = { pool, needed: Math.max(need, 1), sizedFor };
  const d = decideWeights({ ...state, needs }, sample, policy, now, gate);
  const out: Decision = { ...d, desiredReplicas: desired, scaleReason };
  return pool && pool.desired !== desired ? { ...out, replicas: desired } : out;
}

function clampReplicas(n: number, cap: CapacityPolicy): number {
  return Math.max(Math.min(1, cap.maxReplicas), Math.min(n, cap.maxReplicas));
}

/** What the capacity side lets the weights do: the pool (null: unknown) and the replicas the burst share needs. */
interface Gate {
  readonly pool: PoolReading | null;
  readonly needed: number;
  /** The burst weight `needed` replicas are sized for. */
  readonly sizedFor: number;
}

/**
 * The burst weight the ready replicas allow out of `wanted`: the wanted share scaled by the ready
 * share of the replicas needed, rounded down to a multiple of stepWeight; 0 with no ready replica.
 */
export function allowedBurstWeight(wanted: number, ready: number, needed: number, stepWeight: number): number {
  if (ready <= 0 || wanted <= 0) return 0;
  const share = Math.min(1, ready / Math.max(1, needed));
  return Math.min(wanted, Math.floor((wanted * share) / stepWeight + 1e-9) * stepWeight);
}

function readyText(g: Gate): string {
  return g.pool ? `${g.pool.ready} of ${g.needed} ready` : "burst pool unknown";
}

function decideWeights(state: State, sample: Sample, policy: Policy, now: number, gate: Gate | undefined): Decision {
  if (sample.kind !== "value") {
    const next: State = {
      ...state,
      upStreak: 0,
      downStreak: 0,
      // the stabilization window needs samples: it starts again with the next one
      dataSince: null,
      recent: [],
      noDataStreak: sample.kind === "nodata" ? state.noDataStreak + 1 : state.noDataStreak,
      errorStreak: sample.kind === "error" ? state.errorStreak + 1 : state.errorStreak,
    };
    const fallback = gate && capacityFallback(next, gate, policy, now, undefined);
    if (fallback) return fallback;
    return sample.kind === "nodata"
      ? hold(next, "no-data", `no data (${sample.reason}): holding weights`)
      : hold(next, "query-error", `query failed (${sample.message}): holding weights`);
  }

  const rps = sample.rps;
  let s: State = { ...state, noDataStreak: 0, errorStreak: 0 };
  if (s.burstBlockedUntil !== null && now >= s.burstBlockedUntil) s = { ...s, burstBlockedUntil: null };

  // Health guard: traffic on burst and burst failing -> everything back to primary, dwell or not.
  if (policy.health.enabled && s.weights.burst > 0) {
    const ratio = sample.burstSuccessRatio;
    const failing = ratio !== undefined && ratio < policy.health.minSuccessRatio;
    const unhealthyStreak = failing ? s.unhealthyStreak + 1 : ratio === undefined ? s.unhealthyStreak : 0;
    s = { ...s, unhealthyStreak };
    if (unhealthyStreak >= policy.health.unhealthySamples) {
      const reason =
        `burst pool unhealthy: success ratio ${fmt(ratio ?? NaN)} < ${fmt(policy.health.minSuccessRatio)} ` +
        `for ${unhealthyStreak} samples; all traffic back to primary, no burst for ${fmt(policy.health.retryAfterMs / 1000)}s`;
      return change({ ...s, burstBlockedUntil: now + policy.health.retryAfterMs }, PRIMARY_ONLY, "health-fallback", reason, policy, now);
    }
  } else if (s.unhealthyStreak !== 0) {
    s = { ...s, unhealthyStreak: 0 };
  }

  // What the mode asks for: more burst from the fast view, at once; less burst from the slow view,
  // only as far as every sample of the stabilization window agrees.
  const upRps = sample.upRps ?? rps;
  const window = remember(s, recommendation(rps, upRps, s, policy), policy, now);
  s = { ...s, dataSince: window.dataSince, recent: window.recent };
  const downTo = window.full ? Math.max(...window.recent.map((r) => r.burst)) : s.weights.burst;
  const stable = `${fmt(policy.downStabilizationMs / 1000)}s`;
  let target: Weights | undefined;
  let action: Action = "hold";
  let why = "";
  if (policy.mode === "switch") {
    if (s.phase === "natural") {
      const up = upRps > policy.highRps;
      s = { ...s, upStreak: up ? s.upStreak + 1 : 0, downStreak: 0 };
      if (up && s.upStreak >= policy.confirmSamples) {
        target = policy.burst;
        action = "to-burst";
        why = `observed ${fmt(upRps)} rps > HIGH_RPS ${fmt(policy.highRps)}${streakText(s.upStreak)}`;
      }
    } else {
      const down = downTo <= policy.natural.burst;
      s = { ...s, downStreak: down ? s.downStreak + 1 : 0, upStreak: 0 };
      if (down && s.downStreak >= policy.confirmSamples) {
        target = policy.natural;
        action = "to-natural";
        why = `observed ${fmt(rps)} rps < LOW_RPS ${fmt(policy.lowRps)}, and every sample of the last ${stable} below it`;
      } else if (gate && !down && s.weights.burst < policy.burst.burst) {
        // in burst below the burst weights (capped by the ready share): rise as replicas become ready
        target = policy.burst;
        action = "step-up";
        why = `burst replicas becoming ready`;
      }
    }
  } else {
    const current = s.weights.burst;
    const upTo = overflowBurstWeight(upRps, policy);
    if (upTo > current) {
      s = { ...s, upStreak: s.upStreak + 1, downStreak: 0 };
      if (s.upStreak >= policy.confirmSamples) {
        target = { primary: 100 - upTo, burst: upTo };
        action = "step-up";
        why = `observed ${fmt(upRps)} rps over PRIMARY_CAPACITY_RPS ${fmt(policy.primaryCapacityRps)}${streakText(s.upStreak)}: burst share ${upTo}%`;
      }
    } else if (downTo < current) {
      s = { ...s, downStreak: s.downStreak + 1, upStreak: 0 };
      if (s.downStreak >= policy.confirmSamples) {
        target = { primary: 100 - downTo, burst: downTo };
        action = "step-down";
        why = `observed ${fmt(rps)} rps (+${fmt(policy.overflowBandRps)} band) needs less burst for the last ${stable}: burst share ${downTo}%`;
      }
    } else {
      s = { ...s, upStreak: 0, downStreak: 0 };
    }
  }

  if (gate) {
    const fallback = capacityFallback(s, gate, policy, now, target);
    if (fallback) return fallback;
    if (target && target.burst > s.weights.burst) {
      const allowed = gate.pool ? allowedBurstWeight(target.burst, gate.pool.ready, gate.needed, policy.stepWeight) : 0;
      if (allowed <= s.weights.burst) {
        const waiting = gate.pool ? `waiting for burst replicas: ${readyText(gate)}` : "waiting for the burst pool's status (its last read failed)";
        return hold(s, "wait-capacity", `${why}; ${waiting}`);
      }
      if (allowed < target.burst) {
        target = { primary: 100 - allowed, burst: allowed };
        why = `${why}; capped at ${allowed}% by the ready burst replicas (${readyText(gate)})`;
      }
    }
  }
  if (!target || sameWeights(target, s.weights)) return hold(s, "hold", `observed ${fmt(rps)} rps: holding weights`);

  if (target.burst > s.weights.burst && s.burstBlockedUntil !== null) {
    return hold(s, "burst-blocked", `${why}; burst not used until ${new Date(s.burstBlockedUntil).toISOString()} after a health fallback`);
  }
  if (s.lastChangeAt !== null && now - s.lastChangeAt < policy.minDwellMs) {
    return hold(s, "dwell", `${why}; waiting for MIN_DWELL ${fmt(policy.minDwellMs / 1000)}s since the last change`);
  }
  return change(s, target, action, why, policy, now);
}

/**
 * The burst weight one sample asks for. switch: the burst weights unless both views are below
 * LOW_RPS; overflow: the share that keeps primary under its capacity at the fast view, or at the slow
 * view plus the band, whichever is higher.
 */
function recommendation(rps: number, upRps: number, s: State, policy: Policy): number {
  if (policy.mode === "switch") return Math.max(rps, upRps) < policy.lowRps ? policy.natural.burst : Math.max(policy.burst.burst, s.weights.burst);
  return Math.max(overflowBurstWeight(upRps, policy), overflowBurstWeight(rps + policy.overflowBandRps, policy));
}

/** Adds a recommendation to the window; `full` once samples have covered the whole window. */
function remember(s: State, burst: number, policy: Policy, now: number): { dataSince: number; recent: Recommendation[]; full: boolean } {
  const dataSince = s.dataSince ?? now;
  const from = now - policy.downStabilizationMs;
  const recent = [...s.recent.filter((r) => r.at > from), { at: now, burst }];
  return { dataSince, recent, full: dataSince <= from };
}

/**
 * Burst carries more weight than its ready replicas allow (the pool died, or was scaled away): cut
 * the burst weight to what they allow at once (MIN_DWELL does not apply). A planned move further
 * down is taken instead when it goes lower. undefined: nothing to cut.
 */
function capacityFallback(s: State, gate: Gate, policy: Policy, now: number, target: Weights | undefined): Decision | undefined {
  if (!gate.pool || s.weights.burst <= 0) return undefined;
  const allowed = allowedBurstWeight(Math.max(s.weights.burst, gate.sizedFor), gate.pool.ready, gate.needed, policy.stepWeight);
  if (allowed >= s.weights.burst) return undefined;
  const to = Math.min(allowed, target?.burst ?? allowed);
  const reason = `burst carries ${s.weights.burst}% but only ${readyText(gate)} burst replicas: cut to ${to}%`;
  return change({ ...s, upStreak: 0, downStreak: 0 }, { primary: 100 - to, burst: to }, "capacity-fallback", reason, policy, now);
}

function streakText(n: number): string {
  return n > 1 ? ` for ${n} samples` : "";
}

function hold(state: State, action: Action, reason: string): Decision {
  return { state, weights: state.weights, changed: false, action, reason };
}

function change(state: State, weights: Weights, action: Action, why: string, policy: Policy, now: number): Decision {
  const reason = `${why}: weights ${state.weights.primary},${state.weights.burst} -> ${weights.primary},${weights.burst}`;
  const next: State = {
    ...state,
    weights,
    phase: phaseOf(weights, policy),
    lastChangeAt: now,
    lastChangeReason: reason,
    upStreak: 0,
    downStreak: 0,
    unhealthyStreak: 0,
  };
  return { state: next, weights, changed: !sameWeights(weights, state.weights), action, reason };
}
