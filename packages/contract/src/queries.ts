/**
 * The watcher's default PromQL. Each cluster's Prometheus scrapes only its own pods, so the requests
 * are counted as the frontend's sidecar reports them (`reporter="source"`): it sees every request,
 * whichever cluster serves it. Local mode's mesh exports the same series with the same labels.
 */
import { ISTIO_CLUSTERS, NAMES, serviceFqdn } from "./names";

function selector(namespace: string): string {
  return (
    `reporter="source",source_workload="${NAMES.frontendDeployment}",` +
    `destination_service="${serviceFqdn(NAMES.workerService, namespace)}"`
  );
}

/** worker-service requests/s averaged over the last `rateWindow` (a Prometheus range such as `30s`): the slow view. */
export function defaultRateQuery(namespace: string, rateWindow: string): string {
  return `sum(rate(istio_requests_total{${selector(namespace)}}[${rateWindow}]))`;
}

/**
 * worker-service requests/s over the last full scrape interval (`irate()` reads the last two samples
 * in `upRateWindow`; a window of a few scrape intervals tolerates a missed scrape): the fast view.
 */
export function defaultUpRateQuery(namespace: string, upRateWindow: string): string {
  return `sum(irate(istio_requests_total{${selector(namespace)}}[${upRateWindow}]))`;
}

/**
 * The burst pool's success ratio (0..1): the share of the frontend's calls served by the burst cluster
 * that got an answer other than 5xx. `response_code` 0 (no answer: the caller gave up) counts as a
 * failure. `or vector(0)` makes a pool that never answered successfully read 0 (not no data); without
 * burst calls in the window the answer is no data (the guard neither counts nor resets).
 */
export function defaultHealthQuery(namespace: string, rateWindow: string, burstCluster: string = ISTIO_CLUSTERS.burst): string {
  const sel = `${selector(namespace)},destination_cluster="${burstCluster}"`;
  return (
    `(sum(rate(istio_requests_total{${sel},response_code!~"0|5.."}[${rateWindow}])) or vector(0))` +
    ` / sum(rate(istio_requests_total{${sel}}[${rateWindow}]))`
  );
}
