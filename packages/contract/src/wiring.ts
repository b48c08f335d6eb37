/**
 * The watcher's wiring: the environment that says where its parts are and which ones it uses (its
 * port, Prometheus, the router and the scaler with what each needs), as opposed to how it decides
 * (the settings table, watcher-settings.ts). Written once here: the stack's WatcherDeployment and
 * local mode set these variables, the watcher reads them.
 */

/** The wiring's variables by key, in the order the watcher is given them. */
export const WIRING_ENV = {
  /** where the watcher serves /status, /metrics and /_healthz */
  port: "PORT",
  /** the Prometheus base URL */
  prometheusUrl: "PROMETHEUS_URL",
  /** which traffic router (ROUTER_KINDS) */
  router: "ROUTER",
  /** ROUTER=istio: the worker VirtualService, in NAMESPACE */
  virtualService: "VIRTUAL_SERVICE",
  /** the app's namespace (the VirtualService's; the default queries name it) */
  namespace: "NAMESPACE",
  /** ROUTER=local: the local mesh's admin URL */
  meshUrl: "MESH_URL",
  /** the burst cluster's Istio cluster name (the default health query's `destination_cluster`) */
  burstCluster: "BURST_CLUSTER",
  /** which scaler of the burst pool (SCALER_KINDS) */
  scaler: "SCALER",
  /** SCALER=kubernetes: the path of a kubeconfig for the burst cluster */
  burstKubeconfig: "BURST_KUBECONFIG",
  /** SCALER=kubernetes: the burst worker Deployment */
  burstDeployment: "BURST_DEPLOYMENT",
  /** SCALER=kubernetes: its namespace (default NAMESPACE) */
  burstNamespace: "BURST_NAMESPACE",
  /** SCALER=local: local mode's burst pool manager */
  scalerUrl: "SCALER_URL",
  /** leader election on this coordination.k8s.io Lease in NAMESPACE (ROUTER=istio); unset: no election, the only watcher */
  leaseName: "LEASE_NAME",
  /** this watcher's identity in the Lease and in its writes' field manager (the pod's name; default: host name and process id) */
  identity: "POD_NAME",
} as const;
export type WiringKey = keyof typeof WIRING_ENV;

/** The traffic routers: the Istio VirtualService through the Kubernetes API, or local mode's mesh. */
export type RouterKind = "istio" | "local";
export const ROUTER_KINDS: readonly RouterKind[] = ["istio", "local"];

/** The capacity side: `none` (off: the burst pool is neither scaled nor looked at), the burst cluster's Deployment, or local mode's pool. */
export type ScalerKind = "none" | "kubernetes" | "local";
export const SCALER_KINDS: readonly ScalerKind[] = ["none", "kubernetes", "local"];

/** A watcher's wiring by key, each value as its setter has it (text, or a Pulumi input); absent keys are left to the watcher's defaults. */
export type WatcherWiring<V = string> = { [K in WiringKey]?: K extends "router" ? RouterKind : K extends "scaler" ? ScalerKind : V };

/** The wiring given, as `[variable, value]` pairs in WIRING_ENV's order. */
export function watcherWiringEnv<V>(wiring: WatcherWiring<V>): [name: string, value: V | RouterKind | ScalerKind][] {
  return (Object.keys(WIRING_ENV) as WiringKey[]).flatMap((key) => {
    const value = wiring[key];
    return value === undefined ? [] : [[WIRING_ENV[key], value] as [string, V | RouterKind | ScalerKind]];
  });
}
