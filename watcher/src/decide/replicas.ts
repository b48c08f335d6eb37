/**
 * The burst pool's replicas, as the HPA computes its own: the replicas the sample needs now, and the
 * replicas the pool keeps, the highest need within the last scaleDownCooldown (up at once, down a
 * cooldown after the need was last that high), never below burstMinReplicas; with the trend
 * pre-warm, an unused warm pool no longer than prewarmTimeout (prewarm.ts).
 */
import { strategyOf } from "./modes";
import { formatSeconds, settingName } from "./outcome";
import { keepWarmPool, prewarmReading, timeScaleUps } from "./prewarm";
import { rememberRate } from "./trend";
import { observedRates, type Policy, type PoolReading, type ReplicaNeed, type Sample, type State } from "./types";

/** The replicas one sample needs, and why. */
export interface ReplicaNeedNow {
  /** 0: no burst needed */
  readonly replicas: number;
  readonly why: string;
  /** the mode wants burst but the trend pre-warm starts no replicas for it, and why */
  readonly declined?: string;
}

/** What the burst pool should have after a sample. */
export interface ReplicaPlan {
  readonly neededNow: ReplicaNeedNow;
  /** the replicas the pool should have */
  readonly desired: number;
  /** why it should have them */
  readonly reason: string;
  /** what the next state remembers of the pool: the cooldown window, the rates, the warm pool, the scale-up timing */
  readonly memory: Pick<State, "replicaNeeds" | "rates" | "warmSince" | "prewarmDisarmed" | "scaleUp" | "scaleUpTimes">;
}

/** The replicas the pool should have after `sample`, read with the pool, and what the next state remembers of it. */
export function planReplicas(state: State, sample: Sample, policy: Policy, now: number): ReplicaPlan {
  const rates = observedRates(sample);
  const withRate: State = { ...state, rates: rates === undefined ? [] : rememberRate(state.rates, rates.upRps, policy, now) };
  const neededNow = replicasNeededNow(withRate, sample, policy, now);
  const replicaNeeds = rememberReplicaNeed(state.replicaNeeds, neededNow.replicas, sample.pool ?? null, policy, now);
  const highest = replicaNeeds[0];
  const cooled = { desired: Math.max(policy.burstMinReplicas, highest.replicas), replicaNeeds };
  const warm = keepWarmPool(withRate, cooled, sample.pool ?? null, rates?.upRps, policy, now);
  return {
    neededNow,
    desired: warm.desired,
    reason: warm.reason ?? scaleReason(neededNow, highest, policy, now),
    memory: {
      replicaNeeds: warm.replicaNeeds,
      rates: withRate.rates,
      warmSince: warm.warmSince,
      prewarmDisarmed: warm.prewarmDisarmed,
      ...timeScaleUps(state, sample.pool ?? null, warm.desired, now),
    },
  };
}

/**
 * The replicas this sample needs: while burst carries traffic, or while the pre-warm calls for them
 * (prewarm.ts), what the mode asks for at the highest of the views and the call's rate (switch mode:
 * burstReplicas; overflow mode: one replica per burstPodCapacityRps of the excess over
 * primaryCapacityRps). Without a rate, what the mode keeps while burst carries traffic.
 */
function replicasNeededNow(state: State, sample: Sample, policy: Policy, now: number): ReplicaNeedNow {
  const mode = strategyOf(policy.mode);
  const inUse = state.weights.burst > 0;
  const rates = observedRates(sample);
  if (rates === undefined) {
    if (!inUse) return { replicas: 0, why: "" };
    const replicas = mode.replicasWithoutRate(sample.pool, policy);
    return { replicas, why: `burst carries ${state.weights.burst}% and the rate is unknown: keeping ${replicas}` };
  }
  const { rps, upRps } = rates;
  const reading = inUse ? { call: { why: `burst carries ${state.weights.burst}%`, sizeRps: upRps } } : prewarmReading(state, rates, policy, now);
  if (!reading.call) return { replicas: 0, why: "", declined: reading.declined };
  return mode.replicasFor(Math.max(rps, upRps, reading.call.sizeRps), reading.call.why, policy);
}

/**
 * The cooldown window with this need added: needs older than scaleDownCooldown and needs no higher
 * than this one drop out, so the first is the highest. The first decision seeds the window with the
 * replicas the pool has (a restart keeps them for one cooldown).
 */
function rememberReplicaNeed(previous: readonly ReplicaNeed[] | null, replicas: number, pool: PoolReading | null, policy: Policy, now: number): ReplicaNeed[] {
  let window: ReplicaNeed[];
  if (previous === null) {
    const found = pool ? Math.min(pool.desired, policy.burstMaxReplicas) : 0;
    window = found > policy.burstMinReplicas ? [{ at: now, replicas: found }] : [];
  } else {
    window = previous.filter((need) => need.at > now - policy.scaleDownCooldown);
  }
  return [...window.filter((need) => need.replicas > replicas), { at: now, replicas }];
}

function scaleReason(neededNow: ReplicaNeedNow, highest: ReplicaNeed, policy: Policy, now: number): string {
  if (neededNow.replicas > 0 && neededNow.replicas >= highest.replicas) return neededNow.why;
  if (highest.replicas <= policy.burstMinReplicas) return `no burst needed: ${settingName("burstMinReplicas")} ${policy.burstMinReplicas}`;
  return (
    `${highest.replicas} replicas needed ${formatSeconds(now - highest.at)} ago` +
    (neededNow.replicas > 0 ? ` (${neededNow.replicas} now)` : "") +
    `: kept for ${settingName("scaleDownCooldown")} ${formatSeconds(policy.scaleDownCooldown)}`
  );
}
