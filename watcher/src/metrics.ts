/** The watcher's Prometheus metrics (on top of the process metrics of createRegistry). */
import { Counter, Gauge, type Registry } from "prom-client";
import { ACTIONS, NO_DATA_REASONS, WEIGHT_CHANGE_ACTIONS } from "@istio-burst/contract";

export interface WatcherMetrics {
  readonly observedRps: Gauge;
  readonly observedUpRps: Gauge;
  readonly burstSuccessRatio: Gauge;
  readonly weight: Gauge<"subset">;
  readonly inBurst: Gauge;
  readonly lastChange: Gauge;
  readonly decisions: Counter<"action">;
  readonly weightChanges: Counter<"action">;
  readonly switches: Counter<"to">;
  readonly queryErrors: Counter;
  readonly noData: Counter<"reason">;
  readonly routerErrors: Counter<"op">;
  readonly routerConflicts: Counter;
  readonly burstReplicas: Gauge<"kind">;
  readonly scaleRequests: Counter<"result">;
  readonly poolReadErrors: Counter;
  readonly leader: Gauge;
}

export function createWatcherMetrics(registry: Registry): WatcherMetrics {
  const registers = [registry];
  const m: WatcherMetrics = {
    observedRps: new Gauge({ name: "watcher_observed_rps", help: "worker-service requests/s from the last successful query (the slow view, for coming back)", registers }),
    observedUpRps: new Gauge({ name: "watcher_observed_up_rps", help: "worker-service requests/s over the last scrape interval (the fast view, for bursting)", registers }),
    burstSuccessRatio: new Gauge({ name: "watcher_burst_success_ratio", help: "Burst pool success ratio from the last health query (when measured)", registers }),
    weight: new Gauge({ name: "watcher_weight", help: "Current route weight per subset (percent)", labelNames: ["subset"], registers }),
    inBurst: new Gauge({ name: "watcher_in_burst", help: "1 while the burst weight is above the natural one, else 0", registers }),
    lastChange: new Gauge({ name: "watcher_last_change_timestamp_seconds", help: "Unix time of the last weight change (0: none since start)", registers }),
    decisions: new Counter({ name: "watcher_decisions_total", help: "Decisions taken, one per poll, by action", labelNames: ["action"], registers }),
    weightChanges: new Counter({ name: "watcher_weight_changes_total", help: "Weight changes applied (or logged, in DRY_RUN), by action", labelNames: ["action"], registers }),
    switches: new Counter({ name: "watcher_switches_total", help: "Switches between natural and burst (phase changes), by the phase entered", labelNames: ["to"], registers }),
    queryErrors: new Counter({ name: "watcher_query_errors_total", help: "Prometheus queries that failed (HTTP error, timeout, invalid answer)", registers }),
    noData: new Counter({ name: "watcher_no_data_total", help: "Polls whose query answered without a usable value, by reason", labelNames: ["reason"], registers }),
    routerErrors: new Counter({ name: "watcher_router_errors_total", help: "Failed reads (get) and writes (set) of the weights", labelNames: ["op"], registers }),
    routerConflicts: new Counter({ name: "watcher_router_conflicts_total", help: "Weight patches refused as stale and retried after a re-read", registers }),
    burstReplicas: new Gauge({ name: "watcher_burst_replicas", help: "Burst worker replicas as last read (SCALER): desired (asked for) and ready", labelNames: ["kind"], registers }),
    scaleRequests: new Counter({ name: "watcher_scale_requests_total", help: "Scale requests to the burst pool, by result (ok, error)", labelNames: ["result"], registers }),
    poolReadErrors: new Counter({ name: "watcher_pool_read_errors_total", help: "Failed reads of the burst pool (weights that would grow burst are held)", registers }),
    leader: new Gauge({ name: "watcher_leader", help: "1 while this watcher acts: it holds the leader election's Lease, or runs without election; 0 while it stands by", registers }),
  };
  // Every label value exists from the start, so rate() and absent() work before the first event.
  for (const a of ACTIONS) m.decisions.inc({ action: a }, 0);
  for (const a of WEIGHT_CHANGE_ACTIONS) m.weightChanges.inc({ action: a }, 0);
  for (const to of ["burst", "natural"]) m.switches.inc({ to }, 0);
  for (const reason of NO_DATA_REASONS) m.noData.inc({ reason }, 0);
  for (const op of ["get", "set"]) m.routerErrors.inc({ op }, 0);
  for (const result of ["ok", "error"]) m.scaleRequests.inc({ result }, 0);
  return m;
}
