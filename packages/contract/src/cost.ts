/**
 * What the burst pool costs: its replicas integrated over time (replica-seconds, paid from the
 * moment a replica is asked for), priced at burstReplicaHourlyCost, beside what a pool of
 * burstReplicas running all the time would have cost over the same time. The watcher reports it in
 * `/status` (`cost`), the frontend passes it on in `/api/routing`, and local mode logs it with each
 * pool change.
 */
import type { WatcherSettings } from "./watcher-settings";

/** The cost of the burst pool since `since`. */
export interface BurstCost {
  /** replicas asked for, integrated over time */
  readonly burstReplicaSeconds: number;
  /** burstReplicaSeconds at burstReplicaHourlyCost */
  readonly burstCost: number;
  /** what burstReplicas replicas running all the time since `since` would have cost */
  readonly alwaysOnCost: number;
  readonly currency: string;
  /** ISO time the count started (the watcher's, or local mode's, start) */
  readonly since: string;
}

/** The settings a cost is priced with, under their own names. */
export type Pricing = Pick<WatcherSettings, "burstReplicaHourlyCost" | "currency" | "burstReplicas">;

/** Counts replica-seconds: the replicas in force, integrated from one change to the next. */
export class ReplicaMeter {
  private replicas: number;
  private lastAt: number;
  private seconds = 0;

  constructor(
    /** epoch ms the count starts */
    readonly sinceMs: number,
    replicas = 0,
  ) {
    this.replicas = replicas;
    this.lastAt = sinceMs;
  }

  /** The pool has `replicas` from `nowMs` on (the time before counts at the previous size). */
  set(replicas: number, nowMs: number): void {
    this.advance(nowMs);
    this.replicas = replicas;
  }

  /** Replica-seconds up to `nowMs`. */
  replicaSeconds(nowMs: number): number {
    this.advance(nowMs);
    return this.seconds;
  }

  /** The cost up to `nowMs`. */
  cost(nowMs: number, pricing: Pricing): BurstCost {
    return burstCostOf(this.replicaSeconds(nowMs), this.sinceMs, nowMs, pricing);
  }

  private advance(nowMs: number): void {
    if (nowMs > this.lastAt) this.seconds += (this.replicas * (nowMs - this.lastAt)) / 1000;
    this.lastAt = Math.max(this.lastAt, nowMs);
  }
}

/** Money as the cost reports it: to a millionth, so that seconds of one replica show. */
const money = (n: number) => Math.round(n * 1e6) / 1e6;

/** The cost of `replicaSeconds` since `sinceMs`, and of the always-on pool over the same time. */
export function burstCostOf(replicaSeconds: number, sinceMs: number, nowMs: number, pricing: Pricing): BurstCost {
  const perSecond = pricing.burstReplicaHourlyCost / 3600;
  const elapsedS = Math.max(0, nowMs - sinceMs) / 1000;
  return {
    burstReplicaSeconds: Math.round(replicaSeconds * 10) / 10,
    burstCost: money(replicaSeconds * perSecond),
    alwaysOnCost: money(pricing.burstReplicas * elapsedS * perSecond),
    currency: pricing.currency,
    since: new Date(sinceMs).toISOString(),
  };
}

/** A cost in words: `0.0123 USD (always on: 0.0456 USD)`. */
export function formatCost(cost: BurstCost): string {
  const amount = (n: number) => `${n.toFixed(4)} ${cost.currency}`;
  return `${amount(cost.burstCost)} for ${Math.round(cost.burstReplicaSeconds)} replica-s (always on: ${amount(cost.alwaysOnCost)})`;
}
