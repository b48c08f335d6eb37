/**
 * Names every part agrees on: Kubernetes object names that Istio hosts, DNS and the watcher key on,
 * ports, the Redis channel, the burst prefix, the Istio cluster names and the route subsets.
 */

/** Fixed object names (Istio hosts, DNS names and the watcher's default query depend on them). */
export const NAMES = {
  frontendDeployment: "frontend-deployment",
  frontendService: "frontend-service",
  workerDeployment: "worker-deployment",
  workerService: "worker-service",
  redisDeployment: "redis-cache",
  redisService: "redis-cache-service",
  redisSecret: "redis-credentials",
  workerVirtualService: "worker-virtual-service",
  workerDestinationRule: "worker-destination-rule",
  redisVirtualService: "redis-virtual-service",
  frontendGateway: "frontend-gateway",
  frontendVirtualService: "frontend-ingress-virtual-service",
  peerAuthentication: "default",
  watcher: "istio-watcher",
  /** the watchers' leader election Lease, in the app namespace */
  watcherLease: "istio-watcher-leader",
} as const;

/** Ports of the three programs and of Redis. */
export const PORTS = {
  frontend: 8080,
  worker: 8081,
  watcher: 8082,
  redis: 6379,
  /** the port both HTTP Services listen on (the 2018 codelab's 80 -> container port) */
  service: 80,
} as const;

/** The Redis channel the workers publish hashes on and the frontend subscribes to. */
export const CHANNEL = "calculation";

/** The burst workers' `PREFIX`, and the frontend's `BURST_PREFIX`: a hash starting with it came from burst. */
export const BURST_PREFIX = "bursty-";

/** The app's namespace unless configured (the watcher's default query names it). */
export const DEFAULT_NAMESPACE = "default";

/** The two sides of the burst, in the order weights are written (`primary,burst`). */
export type Side = "primary" | "burst";
export const SIDES: readonly Side[] = ["primary", "burst"];

/** Istio cluster names (`global.multiCluster.clusterName`; the `destination_cluster` metric label). */
export const ISTIO_CLUSTERS: Readonly<Record<Side, string>> = { primary: "primary", burst: "burst" };

/** DestinationRule subset names of worker-service; the watcher finds the route destinations by them. */
export const SUBSETS: Readonly<Record<Side, string>> = { primary: "primary", burst: "burst" };

/** The pod label the subsets select on, and its value per cluster. */
export const CLUSTER_TYPE_LABEL = "cluster-type";
export const CLUSTER_TYPE: Readonly<Record<Side, string>> = { primary: "primary-cluster", burst: "burst-cluster" };

/** The namespace of Istio's control plane and gateways, in both clusters. */
export const ISTIO_NAMESPACE = "istio-system";

/** Helm release name of an east-west gateway (as in Istio's multicluster guides), in each cluster's ISTIO_NAMESPACE. */
export const EAST_WEST_RELEASE = "istio-eastwestgateway";

/**
 * The primary cluster's Secret, in the app's namespace, that holds the watcher scaler's kubeconfig
 * for the burst cluster (only the watcher mounts it), and the key of that kubeconfig in it.
 */
export const BURST_KUBECONFIG_SECRET = "istio-watcher-burst-kubeconfig";
export const BURST_KUBECONFIG_KEY = "kubeconfig";

/** Keys inside the Redis credentials Secret. */
export const REDIS_SECRET_KEYS = {
  /** the bare password (Redis' `--requirepass`) */
  password: "password",
  /** `redis://:<password>@redis-cache-service:6379` for the frontend and the workers */
  url: "url",
} as const;

/** A Service's cluster-local DNS name. */
export function serviceFqdn(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}
