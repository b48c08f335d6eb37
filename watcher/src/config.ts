/**
 * The watcher's configuration: every environment variable read once, at start, into a validated
 * object. The policy settings come from the contract's settings table (the same parser the stack runs
 * on the env it generates); the wiring (the contract's WIRING_ENV: variables and allowed values) is
 * read here, one reader per area: the watcher's own server, the router, the queries, the scaler. A bad value throws a ConfigError whose message is one line
 * naming the variable. The decision's policy is the contract's policyOf(settings).
 */
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
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
  ROUTER_KINDS,
  SCALER_KINDS,
  WIRING_ENV,
  type RouterKind,
  type ScalerKind,
  type WatcherSettings,
} from "@istio-burst/contract";

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
  /** Leader election on this Lease in `namespace` (LEASE_NAME); undefined: none, this is the only watcher. */
  readonly leaseName: string | undefined;
  /** This watcher's identity (POD_NAME): in the Lease, in its patches' field manager and its Events. */
  readonly identity: string;
}

export const DEFAULT_PROMETHEUS_URL = "http://prometheus.istio-system.svc.cluster.local:9090";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const ISTIO_CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const NAMESPACE_NAME = "a Kubernetes namespace name (lowercase letters, digits, '-')";
const OBJECT_NAME = "a Kubernetes object name";

/** Reads the environment into the watcher's configuration; throws a ConfigError for the first bad value. */
export function loadConfig(vars: NodeJS.ProcessEnv = process.env): WatcherConfig {
  const env = new Env(vars);
  const settings = readSettings(env);
  const server = readServer(env);
  const routing = readRouting(env);
  return {
    settings,
    ...server,
    ...routing,
    ...readQueries(env, settings, routing.namespace),
    ...readScaler(env, routing.namespace),
    ...readElection(env, routing.router),
  };
}

/** Leader election (LEASE_NAME, with the Istio router: the Lease lives beside the VirtualService) and this watcher's identity. */
function readElection(env: Env, router: RouterKind): Pick<WatcherConfig, "leaseName" | "identity"> {
  const leaseName = env.raw(WIRING_ENV.leaseName) === undefined ? undefined : matching(env, WIRING_ENV.leaseName, DNS_SUBDOMAIN, OBJECT_NAME, "");
  if (leaseName !== undefined && router !== "istio") throw new ConfigError(WIRING_ENV.leaseName, "unset unless ROUTER=istio (local mode runs one watcher)", leaseName);
  const identity = matching(env, WIRING_ENV.identity, DNS_SUBDOMAIN, "a pod name", `${hostname().toLowerCase()}-${process.pid}`);
  return { leaseName, identity };
}

function matching(env: Env, name: string, re: RegExp, requirement: string, fallback: string): string {
  const raw = env.raw(name);
  if (raw === undefined) return fallback;
  if (!re.test(raw)) throw new ConfigError(name, requirement, raw);
  return raw;
}

/** An http(s) URL without its trailing slashes: required when `required`, else optional. */
function baseUrl(env: Env, name: string, required: boolean): string | undefined {
  if (!required && env.raw(name) === undefined) return undefined;
  return env.url(name).replace(/\/+$/, "");
}

/** The policy settings: the contract's table, each under its own variable. */
function readSettings(env: Env): WatcherSettings {
  const { settings, problems } = parseWatcherSettings((spec) => env.raw(spec.env));
  const first = problems[0];
  if (first) throw new ConfigError(first.spec.env, first.requirement, first.raw);
  return settings;
}

/** Where the watcher serves its own endpoints and where Prometheus is. */
function readServer(env: Env): Pick<WatcherConfig, "port" | "prometheusUrl"> {
  return {
    port: env.port(WIRING_ENV.port, PORTS.watcher),
    prometheusUrl: env.url(WIRING_ENV.prometheusUrl, DEFAULT_PROMETHEUS_URL).replace(/\/+$/, ""),
  };
}

/** The traffic router: the Istio VirtualService in NAMESPACE, or local mode's mesh (MESH_URL). */
function readRouting(env: Env): Pick<WatcherConfig, "router" | "virtualService" | "namespace" | "meshUrl"> {
  const router = env.oneOf<RouterKind>(WIRING_ENV.router, ROUTER_KINDS, "istio");
  return {
    router,
    namespace: matching(env, WIRING_ENV.namespace, DNS_LABEL, NAMESPACE_NAME, DEFAULT_NAMESPACE),
    virtualService: matching(env, WIRING_ENV.virtualService, DNS_SUBDOMAIN, OBJECT_NAME, NAMES.workerVirtualService),
    meshUrl: baseUrl(env, WIRING_ENV.meshUrl, router === "local"),
  };
}

/** The queries: each as set, or derived from NAMESPACE, the rate windows and BURST_CLUSTER. */
function readQueries(env: Env, settings: WatcherSettings, namespace: string): Pick<WatcherConfig, "query" | "upQuery" | "burstHealthQuery" | "burstCluster"> {
  const burstCluster = matching(env, WIRING_ENV.burstCluster, ISTIO_CLUSTER_NAME, "an Istio cluster name (letters, digits, '-', '_', '.')", ISTIO_CLUSTERS.burst);
  const rateWindow = formatDuration(settings.rateWindow);
  const health = settings.burstHealthQuery;
  return {
    query: settings.query ?? defaultRateQuery(namespace, rateWindow),
    upQuery: settings.upQuery ?? defaultUpRateQuery(namespace, formatDuration(settings.upRateWindow)),
    burstHealthQuery: health === HEALTH_OFF ? undefined : (health ?? defaultHealthQuery(namespace, rateWindow, burstCluster)),
    burstCluster,
  };
}

/** The burst pool's scaler (SCALER) and what it needs: a kubeconfig and a Deployment, or local mode's pool URL. */
function readScaler(env: Env, namespace: string): Pick<WatcherConfig, "scaler" | "burstKubeconfig" | "burstDeployment" | "burstNamespace" | "scalerUrl"> {
  const scaler = env.oneOf<ScalerKind>(WIRING_ENV.scaler, SCALER_KINDS, "none");
  return {
    scaler,
    burstKubeconfig: scaler === "kubernetes" ? readKubeconfigFile(env, WIRING_ENV.burstKubeconfig) : undefined,
    burstDeployment: matching(env, WIRING_ENV.burstDeployment, DNS_SUBDOMAIN, OBJECT_NAME, NAMES.workerDeployment),
    burstNamespace: matching(env, WIRING_ENV.burstNamespace, DNS_LABEL, NAMESPACE_NAME, namespace),
    scalerUrl: baseUrl(env, WIRING_ENV.scalerUrl, scaler === "local"),
  };
}

function readKubeconfigFile(env: Env, name: string): string {
  const raw = env.raw(name);
  const requirement = "the path of a kubeconfig file for the burst cluster (with SCALER=kubernetes)";
  if (raw === undefined) throw new ConfigError(name, requirement);
  if (!existsSync(raw) || !statSync(raw).isFile()) throw new ConfigError(name, `${requirement}; no such file`, raw);
  return raw;
}
