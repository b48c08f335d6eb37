/**
 * The watcher's configuration: every environment variable read once, at start, into a validated
 * object. The policy settings come from the contract's settings table (the same parser the stack runs
 * on the env it generates); the wiring (where Prometheus, the router and the metrics are) is read
 * here. A bad value throws a ConfigError whose message is one line naming the variable.
 */
import { existsSync, statSync } from "node:fs";
import { ConfigError, Env } from "@istio-burst/common";
import {
  DEFAULT_NAMESPACE,
  defaultHealthQuery,
  defaultRateQuery,
  defaultUpRateQuery,
  formatDuration,
  HEALTH_OFF,
  ISTIO_CLUSTERS,
  NAMES,
  parseWatcherSettings,
  PORTS,
  type WatcherSettings,
} from "@istio-burst/contract";
import type { Policy } from "./decide";

export type RouterKind = "istio" | "local";
/** The capacity side: `none` (off: the burst pool is neither scaled nor looked at), the burst cluster's Deployment, or local mode's pool. */
export type ScalerKind = "none" | "kubernetes" | "local";
export const SCALER_KINDS: readonly ScalerKind[] = ["none", "kubernetes", "local"];

export interface WatcherConfig {
  /** The policy settings (contract table; durations in ms). */
  readonly settings: WatcherSettings;
  readonly port: number;
  readonly prometheusUrl: string;
  /** The PromQL that yields worker-service requests/s, the slow view: QUERY, or the default over RATE_WINDOW. */
  readonly query: string;
  /** The fast view: UP_QUERY, or the default irate() over UP_RATE_WINDOW. */
  readonly upQuery: string;
  /** The burst pool's success ratio query; undefined when the health guard is off. */
  readonly burstHealthQuery: string | undefined;
  /** The burst cluster's Istio cluster name, the `destination_cluster` of the default health query. */
  readonly burstCluster: string;
  readonly router: RouterKind;
  readonly virtualService: string;
  readonly namespace: string;
  /** The local mesh's admin URL (ROUTER=local). */
  readonly meshUrl: string | undefined;
  /** The capacity side (SCALER). */
  readonly scaler: ScalerKind;
  /** SCALER=kubernetes: the burst cluster's kubeconfig file (BURST_KUBECONFIG). */
  readonly burstKubeconfig: string | undefined;
  /** SCALER=kubernetes: the burst worker Deployment (BURST_DEPLOYMENT) and its namespace (BURST_NAMESPACE). */
  readonly burstDeployment: string;
  readonly burstNamespace: string;
  /** SCALER=local: local mode's burst pool manager (SCALER_URL). */
  readonly scalerUrl: string | undefined;
}

export const DEFAULT_PROMETHEUS_URL = "http://prometheus.istio-system.svc.cluster.local:9090";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const ISTIO_CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function matching(env: Env, name: string, re: RegExp, requirement: string, fallback: string): string {
  const raw = env.raw(name);
  if (raw === undefined) return fallback;
  if (!re.test(raw)) throw new ConfigError(name, requirement, raw);
  return raw;
}

export function loadConfig(vars: NodeJS.ProcessEnv = process.env): WatcherConfig {
  const env = new Env(vars);
  const { settings, problems } = parseWatcherSettings((spec) => env.raw(spec.env));
  if (problems.length > 0) {
    const p = problems[0];
    throw new ConfigError(p.spec.env, p.requirement, p.raw);
  }
  const port = env.port("PORT", PORTS.watcher);
  const prometheusUrl = env.url("PROMETHEUS_URL", DEFAULT_PROMETHEUS_URL).replace(/\/+$/, "");
  const namespace = matching(env, "NAMESPACE", DNS_LABEL, "a Kubernetes namespace name (lowercase letters, digits, '-')", DEFAULT_NAMESPACE);
  const burstCluster = matching(env, "BURST_CLUSTER", ISTIO_CLUSTER_NAME, "an Istio cluster name (letters, digits, '-', '_', '.')", ISTIO_CLUSTERS.burst);
  const router = env.oneOf<RouterKind>("ROUTER", ["istio", "local"], "istio");
  const virtualService = matching(env, "VIRTUAL_SERVICE", DNS_SUBDOMAIN, "a Kubernetes object name", NAMES.workerVirtualService);
  const meshUrl = router === "local" ? env.url("MESH_URL").replace(/\/+$/, "") : env.raw("MESH_URL") === undefined ? undefined : env.url("MESH_URL");
  const scaler = env.oneOf<ScalerKind>("SCALER", SCALER_KINDS, "none");
  let burstKubeconfig: string | undefined;
  if (scaler === "kubernetes") {
    const raw = env.raw("BURST_KUBECONFIG");
    const requirement = "the path of a kubeconfig file for the burst cluster (with SCALER=kubernetes)";
    if (raw === undefined || raw.trim() === "") throw new ConfigError("BURST_KUBECONFIG", requirement);
    if (!existsSync(raw) || !statSync(raw).isFile()) throw new ConfigError("BURST_KUBECONFIG", `${requirement}; no such file`, raw);
    burstKubeconfig = raw;
  }
  const burstDeployment = matching(env, "BURST_DEPLOYMENT", DNS_SUBDOMAIN, "a Kubernetes object name", NAMES.workerDeployment);
  const burstNamespace = matching(env, "BURST_NAMESPACE", DNS_LABEL, "a Kubernetes namespace name (lowercase letters, digits, '-')", namespace);
  const scalerUrl = scaler === "local" ? env.url("SCALER_URL").replace(/\/+$/, "") : env.raw("SCALER_URL") === undefined ? undefined : env.url("SCALER_URL");
  const window = formatDuration(settings.rateWindow);
  const health = settings.burstHealthQuery;
  return {
    settings,
    port,
    prometheusUrl,
    query: settings.query ?? defaultRateQuery(namespace, window),
    upQuery: settings.upQuery ?? defaultUpRateQuery(namespace, formatDuration(settings.upRateWindow)),
    burstHealthQuery: health === HEALTH_OFF ? undefined : (health ?? defaultHealthQuery(namespace, window, burstCluster)),
    burstCluster,
    router,
    virtualService,
    namespace,
    meshUrl,
    scaler,
    burstKubeconfig,
    burstDeployment,
    burstNamespace,
    scalerUrl,
  };
}

/** The decision policy of a configuration. */
export function policyFromConfig(c: WatcherConfig): Policy {
  const s = c.settings;
  return {
    mode: s.mode,
    highRps: s.highRps,
    lowRps: s.lowRps,
    minDwellMs: s.minDwell,
    downStabilizationMs: s.downStabilization,
    confirmSamples: s.confirmSamples,
    natural: s.naturalWeights,
    burst: s.burstWeights,
    primaryCapacityRps: s.primaryCapacityRps,
    stepWeight: s.stepWeight,
    maxBurstWeight: s.maxBurstWeight,
    overflowBandRps: s.overflowBandRps,
    health: {
      enabled: c.burstHealthQuery !== undefined,
      minSuccessRatio: s.burstMinSuccess,
      unhealthySamples: s.burstUnhealthySamples,
      retryAfterMs: s.burstRetryAfter,
    },
    capacity:
      c.scaler === "none"
        ? undefined
        : {
            minReplicas: s.burstMinReplicas,
            maxReplicas: s.burstMaxReplicas,
            switchReplicas: s.burstReplicas,
            podCapacityRps: s.burstPodCapacityRps,
            prewarmRps: s.prewarmRps,
            cooldownMs: s.scaleDownCooldown,
          },
  };
}
