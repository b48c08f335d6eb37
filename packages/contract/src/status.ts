/**
 * The watcher's `GET /status` answer, typed once: the watcher builds it, local mode follows the weight
 * changes through it, and the frontend shows it.
 */
import type { BurstCost } from "./cost";
import type { Action, Mode, NoDataReason, Phase } from "./decisions";
import type { WatcherPolicy } from "./policy";
import type { Weights } from "./weights";

/** One weight change the watcher made (or, in dry run, would have made). */
export interface WeightChange {
  /** ISO time of the decision */
  readonly at: string;
  /** 1 for the first change since the watcher started, then counting up */
  readonly seq: number;
  readonly action: Action;
  /** why, in the watcher's words */
  readonly reason: string;
  readonly from: Weights;
  readonly to: Weights;
  readonly dryRun: boolean;
}

/** The last poll's observation. */
export type StatusSample =
  | { readonly at: string; readonly kind: "value"; readonly rps: number; readonly upRps?: number; readonly burstSuccessRatio?: number }
  | { readonly at: string; readonly kind: "nodata"; readonly reason: NoDataReason }
  | { readonly at: string; readonly kind: "error"; readonly message: string };

/** How many recent changes /status lists. */
export const RECENT_CHANGES = 20;

export interface WatcherStatus {
  readonly service: "watcher";
  /** true once the current weights have been read */
  readonly ready: boolean;
  readonly mode: Mode;
  readonly dryRun: boolean;
  /** what the router talks to, e.g. `VirtualService default/worker-virtual-service` */
  readonly router: string;
  readonly prometheusUrl: string;
  /** the slow view (coming back) */
  readonly query: string;
  /** the fast view (bursting) */
  readonly upQuery: string;
  /** null: the health guard is off */
  readonly healthQuery: string | null;
  readonly pollIntervalMs: number;
  /** the policy in force: the settings decide() reads, under their settings-table names (durations in ms) */
  readonly thresholds: WatcherPolicy;
  /** polls since start */
  readonly polls: number;
  readonly lastSample: StatusSample | null;
  readonly lastDecision: { readonly at: string; readonly action: Action; readonly reason: string } | null;
  /** null until the weights have been read */
  readonly weights: Weights | null;
  readonly phase: Phase | null;
  /** weight changes since start (the `seq` of the last one) */
  readonly changes: number;
  readonly lastChange: WeightChange | null;
  /** the last RECENT_CHANGES changes, oldest first */
  readonly recentChanges: readonly WeightChange[];
  /** the burst worker pool, when the watcher scales it (SCALER); null otherwise */
  readonly burstPool: BurstPoolStatus | null;
  /** what the burst pool has cost since the watcher started, when it scales the pool (SCALER); null otherwise */
  readonly cost: BurstCost | null;
  /** leader election (LEASE_NAME): this watcher's role and who holds the Lease; null without election */
  readonly election: ElectionStatus | null;
}

/** A watcher's place in the leader election: the leader polls and writes, a standby waits to take over. */
export interface ElectionStatus {
  /** the Lease, e.g. `Lease default/istio-watcher-leader` */
  readonly lease: string;
  readonly identity: string;
  readonly role: "leader" | "standby";
  /** the holder this watcher last saw ("" when released); null before its first read */
  readonly holder: string | null;
  /** the Lease's leader transitions; null before its first read */
  readonly transitions: number | null;
  readonly leaseDurationMs: number;
}

/** The burst worker pool as the watcher's scaler sees it. */
export interface BurstPoolStatus {
  /** the replicas asked for (the Deployment's spec.replicas, or local mode's pool size) */
  readonly desired: number;
  /** the replicas ready to serve */
  readonly ready: number;
  /** why the desired count is what it is, in the watcher's words; null before its first decision */
  readonly reason: string | null;
  /** ISO time of the last scale request this watcher made; null since start */
  readonly lastScaleAt: string | null;
  /** ms a scale-up took to get ready, as the trend pre-warm uses it: the pool's recent scale-ups, or scaleUpTime until one was measured */
  readonly scaleUpTimeMs: number;
  /** true once scaleUpTimeMs was measured on the pool's own scale-ups */
  readonly scaleUpTimeMeasured: boolean;
  /** scaling is paused because the pool cannot be read (its cluster's API server is away), why and since when (ISO); null otherwise */
  readonly paused: { readonly reason: string; readonly since: string } | null;
}
