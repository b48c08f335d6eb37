/**
 * Pre-warm: what calls for burst replicas while burst carries no traffic, by the policy's `prewarm`,
 * how long an unused warm pool is kept, and how long replicas take to become ready.
 *
 * - `off`: only the mode wanting burst (the fast view above highRps in switch mode, above
 *   primaryCapacityRps in overflow mode) calls for replicas: they are started when traffic is due to
 *   move, and it waits for them.
 * - `level`: that, or the fast view above prewarmRps.
 * - `trend` (trend.ts): the fast view above the burst threshold clear of its noise, or on course to
 *   be above it, clear of the noise, by the time replicas take to become ready (the pool's own recent
 *   scale-ups, scaleUpTime until one was measured). Replicas ready for prewarmTimeout without
 *   carrying traffic go back to burstMinReplicas, and the trend does not warm the pool again until
 *   the rate has been below lowRps (the hysteresis that keeps a rate hovering in the band
 *   from starting and stopping replicas every minute).
 */
import { burstThresholdOf } from "@istio-burst/contract";
import { strategyOf } from "./modes";
import { formatNumber, formatSeconds, settingName } from "./outcome";
import { clearlyAbove, onCourse, readTrend, TREND_SIGMAS, type Trend } from "./trend";
import { readyTimeOf, RECENT_SCALE_UPS, type Policy, type PoolReading, type ReplicaNeed, type ScaleUp, type State } from "./types";

/** Why replicas are called for, and the rate to size overflow mode's replicas for. */
export interface Call {
  readonly why: string;
  readonly sizeRps: number;
}

/** What the pre-warm makes of one sample while burst carries no traffic. */
export interface PrewarmReading {
  /** replicas are called for; undefined: none */
  readonly call?: Call;
  /** the mode wants burst but the trend pre-warm starts no replicas for it, and why */
  readonly declined?: string;
}

/** The rate above which the mode bursts (the contract's BURST_THRESHOLDS: highRps in switch mode, primaryCapacityRps in overflow mode), and its setting. */
function burstThreshold(policy: Policy): { readonly rps: number; readonly name: string } {
  const { key, rps } = burstThresholdOf(policy);
  return { rps, name: settingName(key) };
}

/** What calls for replicas at this sample (`state.rates` already holding it) while burst carries no traffic. */
export function prewarmReading(state: State, rates: { rps: number; upRps: number }, policy: Policy, now: number): PrewarmReading {
  const { upRps } = rates;
  const wanted = strategyOf(policy.mode).wantsBurst(upRps, policy);
  const calls = { why: `observed ${formatNumber(upRps)} rps calls for burst`, sizeRps: upRps };
  if (policy.prewarm === "off") return wanted ? { call: calls } : {};
  if (policy.prewarm === "level") {
    if (wanted) return { call: calls };
    const above = upRps > policy.prewarmRps;
    return above ? { call: { why: `observed ${formatNumber(upRps)} rps > ${settingName("prewarmRps")} ${formatNumber(policy.prewarmRps)}`, sizeRps: upRps } } : {};
  }
  const trend = readTrend(state.rates, policy, now, burstThreshold(policy).rps);
  return trend ? trendReading(trend, state, wanted, policy) : {};
}

function trendReading(trend: Trend, state: State, wanted: boolean, policy: Policy): PrewarmReading {
  const threshold = burstThreshold(policy);
  const noise = `${TREND_SIGMAS} × its noise (${formatNumber(trend.noise)} rps${trend.noiseMeasured ? "" : `, a ninth of ${threshold.name} until measured`})`;
  if (clearlyAbove(trend, threshold.rps)) {
    return { call: { why: `observed ${formatNumber(trend.level)} rps > ${threshold.name} ${formatNumber(threshold.rps)} by more than ${noise}`, sizeRps: trend.level } };
  }
  const readyTime = readyTimeOf(state, policy);
  const ahead = state.prewarmDisarmed ? undefined : onCourse(trend, threshold.rps, readyTime.ms);
  if (ahead) {
    const perMinute = formatNumber((trend.line?.slope ?? 0) * 60_000);
    const why =
      `observed ${formatNumber(trend.level)} rps rising ${perMinute} rps/min: on course for ${formatNumber(ahead.value)} rps (at least ${formatNumber(ahead.low)}) ` +
      `within ${formatSeconds(readyTime.ms)} (${readyTime.measured ? "the pool's recent scale-ups" : settingName("scaleUpTime")}), above ${threshold.name} ${formatNumber(threshold.rps)}`;
    return { call: { why, sizeRps: ahead.value } };
  }
  if (!wanted) return {};
  return { declined: `observed ${formatNumber(trend.level)} rps is not above ${threshold.name} ${formatNumber(threshold.rps)} by ${noise}: no burst replicas started` };
}

/** The pool's keep after the cooldown's plan: the warm pool's clock, its timeout, and the re-arm. */
export interface WarmOutcome {
  readonly desired: number;
  readonly replicaNeeds: ReplicaNeed[];
  readonly reason?: string;
  readonly warmSince: number | null;
  readonly prewarmDisarmed: boolean;
}

/**
 * An unused warm pool: replicas above burstMinReplicas, ready, while burst carries no traffic. With
 * the trend pre-warm, one warm for prewarmTimeout goes back to burstMinReplicas and disarms the
 * trend; a rate below lowRps re-arms it.
 */
export function keepWarmPool(state: State, plan: { desired: number; replicaNeeds: ReplicaNeed[] }, pool: PoolReading | null, upRps: number | undefined, policy: Policy, now: number): WarmOutcome {
  const carrying = state.weights.burst > 0;
  const prewarmDisarmed = state.prewarmDisarmed && !(upRps !== undefined && upRps < policy.lowRps);
  const kept = !carrying && plan.desired > policy.burstMinReplicas;
  const ready = pool ? pool.ready > policy.burstMinReplicas : state.warmSince !== null;
  const warmSince = kept ? (state.warmSince ?? (ready ? now : null)) : null;
  if (policy.prewarm !== "trend" || warmSince === null || now - warmSince < policy.prewarmTimeout) return { ...plan, warmSince, prewarmDisarmed };
  const reason =
    `${plan.desired} burst replicas warm for ${formatSeconds(now - warmSince)} without carrying traffic: back to ${settingName("burstMinReplicas")} ${policy.burstMinReplicas} ` +
    `(${settingName("prewarmTimeout")} ${formatSeconds(policy.prewarmTimeout)}); no pre-warm on the trend until the rate is below ${settingName("lowRps")}`;
  return { desired: policy.burstMinReplicas, replicaNeeds: [], reason, warmSince: null, prewarmDisarmed: true };
}

/**
 * The scale-ups this watcher is timing: one starts when it asks for more replicas than the pool has,
 * and ends, timed, when that many are ready (or, untimed, when it asks for fewer again).
 */
export function timeScaleUps(state: State, pool: PoolReading | null, desired: number, now: number): { scaleUp: ScaleUp | null; scaleUpTimes: readonly number[] } {
  const { scaleUp, scaleUpTimes } = state;
  if (!pool) return { scaleUp, scaleUpTimes };
  if (scaleUp && pool.ready >= scaleUp.replicas) {
    return { scaleUp: null, scaleUpTimes: [...scaleUpTimes, now - scaleUp.at].slice(-RECENT_SCALE_UPS) };
  }
  if (scaleUp && desired < scaleUp.replicas) return { scaleUp: null, scaleUpTimes };
  if (desired > pool.desired && desired > pool.ready && !(scaleUp && scaleUp.replicas >= desired)) return { scaleUp: { at: now, replicas: desired }, scaleUpTimes };
  return { scaleUp, scaleUpTimes };
}
