/**
 * Shared pieces of the String Hashr Kubernetes components: names that Istio, DNS and the watcher key
 * on, the cluster-type labels, the restricted security context every container gets, and the
 * validation helpers the components run before creating anything.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Which cluster a component instance targets. */
export type ClusterRole = "primary" | "burst";

/** The `cluster-type` pod label per cluster (the DestinationRule subsets select on it). */
export const CLUSTER_TYPE: Record<ClusterRole, string> = {
  primary: "primary-cluster",
  burst: "burst-cluster",
};

/** Fixed object names: Istio hosts, DNS names and the watcher's default query depend on them. */
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

/** Keys inside the Redis credentials Secret. */
export const REDIS_SECRET_KEYS = {
  /** the bare password (Redis' `--requirepass`) */
  password: "password",
  /** `redis://:<password>@redis-cache-service:6379` for the frontend and the workers */
  url: "url",
} as const;

/** Weights as two integers `[primary, burst]` summing to 100. */
export type Weights = readonly [primary: number, burst: number];

/** Why `w` is not a valid weight pair (naming `field`), or undefined when it is. */
export function weightsError(field: string, w: unknown): string | undefined {
  if (!Array.isArray(w) || w.length !== 2) {
    return `${field} must be two integers [primary, burst] summing to 100, got ${JSON.stringify(w)}`;
  }
  const [p, b] = w as unknown[];
  const ok = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100;
  if (!ok(p) || !ok(b)) {
    return `${field} must be two integers in 0..100, got ${JSON.stringify(w)}`;
  }
  if ((p as number) + (b as number) !== 100) {
    return `${field} must sum to 100, got ${p}+${b}=${(p as number) + (b as number)}`;
  }
  return undefined;
}

/** Why `name` is not a DNS-1123 label (naming `field`), or undefined when it is. */
export function dnsLabelError(field: string, name: unknown): string | undefined {
  if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    return `${field} must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), got ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** Why `n` is not an integer in [min, max] (naming `field`), or undefined when it is. */
export function intError(field: string, n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): string | undefined {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    return `${field} must be an integer ${range}, got ${JSON.stringify(n)}`;
  }
  return undefined;
}

/** Default non-root user id (the `node` user of the official Node.js images). */
export const DEFAULT_APP_UID = 1000;

/**
 * The container security context of every container these components create: non-root with a fixed
 * uid, read-only root filesystem, no privilege escalation, every capability dropped, runtime seccomp.
 */
export function restrictedContainerSecurityContext(uid: number): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * The pod security context that goes with it. Istio's injected containers (istio-init, istio-proxy)
 * set their own container-level contexts, which take precedence over these pod-level defaults.
 */
export function restrictedPodSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Pod annotations for mesh workloads: start the app only once its sidecar is ready (the programs talk
 * to Redis at start), and let Istio merge the app's `/metrics` into the sidecar's scrape endpoint.
 */
export function meshPodAnnotations(metricsPort: number): Record<string, string> {
  return {
    "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }),
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(metricsPort),
    "prometheus.io/path": "/metrics",
  };
}

/** An env var read from the Redis credentials Secret. */
export function redisSecretEnv(envName: string, key: string, secretName: pulumi.Input<string>): k8s.types.input.core.v1.EnvVar {
  return { name: envName, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/**
 * Annotations of a Service that has no pods behind it in its cluster (the burst cluster's
 * `redis-cache-service`, or a pool scaled to 0): Pulumi's Service await waits for ready endpoints and
 * would time out after 10 minutes, so it is told not to wait.
 */
export function serviceAnnotations(hasLocalPods: boolean): Record<string, string> | undefined {
  return hasLocalPods ? undefined : { "pulumi.com/skipAwait": "true" };
}

/** A writable emptyDir at /tmp: the root filesystem is read-only. */
export const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
export const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };

/** What differs between the String Hashr Node services' containers. */
export interface NodeServiceContainerArgs {
  name: string;
  image: pulumi.Input<string>;
  imagePullPolicy?: pulumi.Input<string>;
  port: number;
  env: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  resources: pulumi.Input<k8s.types.input.core.v1.ResourceRequirements>;
  uid: number;
}

/**
 * A container of one of the Node services (worker, frontend): the 2018 codelab's probes (readiness on
 * `/_healthz`, liveness on `/`, with its probe cookie), the restricted security context and the
 * writable /tmp (pair it with TMP_VOLUME).
 */
export function nodeServiceContainer(a: NodeServiceContainerArgs): k8s.types.input.core.v1.Container {
  const probeHeaders = (kind: string) => [{ name: "Cookie", value: `istio_session-id=x-${kind}-probe` }];
  return {
    name: a.name,
    image: a.image,
    imagePullPolicy: a.imagePullPolicy ?? "IfNotPresent",
    ports: [{ name: "http", containerPort: a.port }],
    env: a.env,
    readinessProbe: {
      httpGet: { path: "/_healthz", port: a.port, httpHeaders: probeHeaders("readiness") },
      initialDelaySeconds: 5,
      periodSeconds: 5,
      timeoutSeconds: 2,
    },
    livenessProbe: {
      httpGet: { path: "/", port: a.port, httpHeaders: probeHeaders("liveness") },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    resources: a.resources,
    securityContext: restrictedContainerSecurityContext(a.uid),
    volumeMounts: [TMP_MOUNT],
  };
}

/** The ClusterIP Service (port 80 -> the app's port) in front of a Node service's pods. */
export function httpServiceSpec(a: {
  name: string;
  namespace: pulumi.Input<string>;
  selector: Record<string, string>;
  targetPort: number;
  hasLocalPods: boolean;
}): k8s.types.input.core.v1.Service {
  return {
    metadata: { name: a.name, namespace: a.namespace, labels: a.selector, annotations: serviceAnnotations(a.hasLocalPods) },
    spec: {
      type: "ClusterIP",
      selector: a.selector,
      ports: [{ name: "http", port: PORTS.service, targetPort: a.targetPort, protocol: "TCP" }],
    },
  };
}
