/**
 * The watcher's configuration: every environment variable read once, at start, into a validated
 * object. A bad value throws a ConfigError whose message is one line naming the variable.
 */
import { ConfigError, Env } from "@istio-burst/common";
import type { Mode, Policy } from "./decide";
import { formatWeights, parseWeights, type Weights } from "./weights";

export type RouterKind = "istio" | "local";

export interface WatcherConfig {
  readonly port: number;
  readonly prometheusUrl: string;
  /** The PromQL that yields worker-service requests/s (one series). */
  readonly query: string;
  /** True when QUERY was given (RATE_WINDOW then plays no part). */
  readonly queryFromEnv: boolean;
  readonly rateWindow: string;
  readonly queryTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly mode: Mode;
  readonly highRps: number;
  readonly lowRps: number;
  readonly minDwellMs: number;
  readonly confirmSamples: number;
  readonly naturalWeights: Weights;
  readonly burstWeights: Weights;
  readonly primaryCapacityRps: number;
  readonly stepWeight: number;
  readonly maxBurstWeight: number;
  readonly overflowBandRps: number;
  /**
   * PromQL for the burst pool's success ratio (0..1): by default built from NAMESPACE, RATE_WINDOW
   * and BURST_CLUSTER (see defaultHealthQuery); undefined (guard off) with BURST_HEALTH_QUERY=off.
   */
  readonly burstHealthQuery: string | undefined;
  /** True when BURST_HEALTH_QUERY was given (a query, or off). */
  readonly burstHealthQueryFromEnv: boolean;
  /** The burst cluster's Istio cluster name, the `destination_cluster` of the default health query. */
  readonly burstCluster: string;
  readonly burstMinSuccess: number;
  readonly burstUnhealthySamples: number;
  readonly burstRetryAfterMs: number;
  readonly router: RouterKind;
  readonly virtualService: string;
  readonly namespace: string;
  readonly meshUrl: string | undefined;
  readonly dryRun: boolean;
}

export const DEFAULT_PROMETHEUS_URL = "http://prometheus.istio-system.svc.cluster.local:9090";
export const DEFAULT_VIRTUAL_SERVICE = "worker-virtual-service";

/**
 * The default query: worker-service requests/s as reported by the frontend's sidecar
 * (`reporter="source"`), which sees every request whichever cluster serves it.
 */
export function defaultQuery(namespace: string, rateWindow: string): string {
  return (
    `sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",` +
    `destination_service="worker-service.${namespace}.svc.cluster.local"}[${rateWindow}]))`
  );
}

/**
 * The default burst health query: the share of the frontend's calls to worker-service served by the
 * burst cluster that got an answer other than 5xx, over the same window as the default query.
 * `response_code` 0 (no answer: the caller gave up or disconnected) counts as a failure too. The
 * `or vector(0)` makes a pool that has never answered successfully read as 0 (not as no data);
 * without any burst calls in the window the denominator is missing or 0, and the answer is no data
 * (the guard neither counts nor resets).
 */
export function defaultHealthQuery(namespace: string, rateWindow: string, burstCluster = "burst"): string {
  const sel =
    `reporter="source",source_workload="frontend-deployment",` +
    `destination_service="worker-service.${namespace}.svc.cluster.local",destination_cluster="${burstCluster}"`;
  return (
    `(sum(rate(istio_requests_total{${sel},response_code!~"0|5.."}[${rateWindow}])) or vector(0))` +
    ` / sum(rate(istio_requests_total{${sel}}[${rateWindow}]))`
  );
}

/** BURST_HEALTH_QUERY values that turn the health guard off. */
export const HEALTH_OFF = ["off", "none", "false", "0", "disabled"];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const PROM_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

function weights(env: Env, name: string, fallback: Weights): Weights {
  const raw = env.raw(name);
  if (raw === undefined) return fallback;
  const w = parseWeights(raw);
  if (!w) throw new ConfigError(name, "two integers primary,burst in 0..100 summing to 100 (e.g. 100,0)", raw);
  return w;
}

function matching(env: Env, name: string, re: RegExp, requirement: string, fallback: string): string {
  const raw = env.raw(name);
  if (raw === undefined) return fallback;
  if (!re.test(raw)) throw new ConfigError(name, requirement, raw);
  return raw;
}

export function loadConfig(vars: NodeJS.ProcessEnv = process.env): WatcherConfig {
  const env = new Env(vars);
  const port = env.port("PORT", 8082);
  const prometheusUrl = env.url("PROMETHEUS_URL", DEFAULT_PROMETHEUS_URL).replace(/\/+$/, "");
  const namespace = matching(env, "NAMESPACE", DNS_LABEL, "a Kubernetes namespace name (lowercase letters, digits, '-')", "default");
  const rateWindow = matching(env, "RATE_WINDOW", PROM_DURATION, "a Prometheus range such as 30s or 1m", "30s");
  const queryRaw = env.raw("QUERY");
  const queryTimeoutMs = env.duration("QUERY_TIMEOUT", 2_000, { minMs: 1 });
  const pollIntervalMs = env.duration("POLL_INTERVAL", 1_000, { minMs: 50 });
  const mode = env.oneOf<Mode>("MODE", ["switch", "overflow"], "switch");
  const highRps = env.number("HIGH_RPS", 15, { min: 0 });
  const lowRps = env.number("LOW_RPS", 10, { min: 0 });
  if (!(lowRps < highRps)) throw new ConfigError("LOW_RPS", `a number below HIGH_RPS (${highRps})`, String(env.raw("LOW_RPS") ?? lowRps));
  const minDwellMs = env.duration("MIN_DWELL", 10_000);
  const confirmSamples = env.integer("CONFIRM_SAMPLES", 1, { min: 1, max: 1000 });
  const naturalWeights = weights(env, "NATURAL_WEIGHTS", { primary: 100, burst: 0 });
  const burstWeights = weights(env, "BURST_WEIGHTS", { primary: 0, burst: 100 });
  if (!(burstWeights.burst > naturalWeights.burst)) {
    throw new ConfigError(
      "BURST_WEIGHTS",
      `weights that send more to burst than NATURAL_WEIGHTS (${formatWeights(naturalWeights)})`,
      env.raw("BURST_WEIGHTS") ?? formatWeights(burstWeights),
    );
  }
  const primaryCapacityRps = env.number("PRIMARY_CAPACITY_RPS", highRps, { min: 0 });
  const stepWeight = env.integer("STEP_WEIGHT", 10, { min: 1, max: 100 });
  const maxBurstWeight = env.integer("MAX_BURST_WEIGHT", 100, { min: 0, max: 100 });
  if (maxBurstWeight < naturalWeights.burst) {
    throw new ConfigError("MAX_BURST_WEIGHT", `an integer from ${naturalWeights.burst} (the natural burst weight) to 100`, String(maxBurstWeight));
  }
  const overflowBandRps = env.number("OVERFLOW_BAND_RPS", highRps - lowRps, { min: 0 });
  const burstCluster = matching(env, "BURST_CLUSTER", /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "an Istio cluster name (letters, digits, '-', '_', '.')", "burst");
  const healthRaw = env.raw("BURST_HEALTH_QUERY");
  const burstHealthQuery =
    healthRaw === undefined ? defaultHealthQuery(namespace, rateWindow, burstCluster) : HEALTH_OFF.includes(healthRaw.toLowerCase()) ? undefined : healthRaw;
  const burstMinSuccess = env.number("BURST_MIN_SUCCESS", 0.5, { min: 0, max: 1 });
  const burstUnhealthySamples = env.integer("BURST_UNHEALTHY_SAMPLES", 3, { min: 1, max: 1000 });
  const burstRetryAfterMs = env.duration("BURST_RETRY_AFTER", 60_000);
  const router = env.oneOf<RouterKind>("ROUTER", ["istio", "local"], "istio");
  const virtualService = matching(env, "VIRTUAL_SERVICE", DNS_SUBDOMAIN, "a Kubernetes object name", DEFAULT_VIRTUAL_SERVICE);
  const meshUrl = router === "local" ? env.url("MESH_URL").replace(/\/+$/, "") : env.raw("MESH_URL") === undefined ? undefined : env.url("MESH_URL");
  const dryRun = env.boolean("DRY_RUN", false);
  return {
    port,
    prometheusUrl,
    query: queryRaw ?? defaultQuery(namespace, rateWindow),
    queryFromEnv: queryRaw !== undefined,
    rateWindow,
    queryTimeoutMs,
    pollIntervalMs,
    mode,
    highRps,
    lowRps,
    minDwellMs,
    confirmSamples,
    naturalWeights,
    burstWeights,
    primaryCapacityRps,
    stepWeight,
    maxBurstWeight,
    overflowBandRps,
    burstHealthQuery,
    burstHealthQueryFromEnv: healthRaw !== undefined,
    burstCluster,
    burstMinSuccess,
    burstUnhealthySamples,
    burstRetryAfterMs,
    router,
    virtualService,
    namespace,
    meshUrl,
    dryRun,
  };
}

/** The decision policy a configuration describes. */
export function policyFromConfig(c: WatcherConfig): Policy {
  return {
    mode: c.mode,
    highRps: c.highRps,
    lowRps: c.lowRps,
    minDwellMs: c.minDwellMs,
    confirmSamples: c.confirmSamples,
    natural: c.naturalWeights,
    burst: c.burstWeights,
    primaryCapacityRps: c.primaryCapacityRps,
    stepWeight: c.stepWeight,
    maxBurstWeight: c.maxBurstWeight,
    overflowBandRps: c.overflowBandRps,
    health: {
      enabled: c.burstHealthQuery !== undefined,
      minSuccessRatio: c.burstMinSuccess,
      unhealthySamples: c.burstUnhealthySamples,
      retryAfterMs: c.burstRetryAfterMs,
    },
  };
}
