/**
 * Pod and container specs shared by every workload the stack runs (the app in apps/, the watcher in
 * watcher/stack/deployment.ts): labels, the restricted security contexts, the writable /tmp, the mesh pod
 * annotations, the Node service container and its ClusterIP Service.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CLUSTER_TYPE, CLUSTER_TYPE_LABEL, PORTS, type Side } from "../packages/contract/src";

/** Non-root uid and gid of the Node programs' containers (the `node` user of the official images). */
export const APP_UID = 1000;

/** Pod labels: `app`, `version` and the `cluster-type` the DestinationRule subsets select on. */
export function podLabels(app: string, side: Side): Record<string, string> {
  return { app, version: "v1", [CLUSTER_TYPE_LABEL]: CLUSTER_TYPE[side] };
}

/**
 * The container security context of every container the stack declares: non-root with a fixed uid,
 * read-only root filesystem, no privilege escalation, every capability dropped, runtime seccomp.
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
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

/**
 * Pod annotations for mesh workloads: start the app only once its sidecar is ready (the programs talk
 * to Redis or Prometheus at start), and let Istio merge the app's `/metrics` into the sidecar's scrape endpoint.
 */
export function meshPodAnnotations(metricsPort: number): Record<string, string> {
  return {
    "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }),
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(metricsPort),
    "prometheus.io/path": "/metrics",
  };
}

/** A writable emptyDir at /tmp: the root filesystem is read-only. */
export const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
export const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };

/** An env var read from a key of a Secret. */
export function secretEnv(envName: string, secretName: pulumi.Input<string>, key: string): k8s.types.input.core.v1.EnvVar {
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

/** What differs between the Node services' containers (worker, frontend). */
export interface NodeServiceContainerArgs {
  name: string;
  image: pulumi.Input<string>;
  port: number;
  env: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  resources: k8s.types.input.core.v1.ResourceRequirements;
}

/**
 * A container of one of the Node services: the 2018 codelab's probes (readiness on `/_healthz`,
 * liveness on `/`, with its probe cookie), the restricted security context and the writable /tmp
 * (pair it with TMP_VOLUME). Image refs are pinned (digest or unique tag): `IfNotPresent`.
 */
export function nodeServiceContainer(a: NodeServiceContainerArgs): k8s.types.input.core.v1.Container {
  const probeHeaders = (kind: string) => [{ name: "Cookie", value: `istio_session-id=x-${kind}-probe` }];
  return {
    name: a.name,
    image: a.image,
    imagePullPolicy: "IfNotPresent",
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
    securityContext: restrictedContainerSecurityContext(APP_UID),
    volumeMounts: [TMP_MOUNT],
  };
}

/** What differs between the pods of the programs (frontend, workers, watcher). */
export interface MeshPodArgs {
  labels: Record<string, string>;
  /** the program's port, whose `/metrics` Istio merges into the sidecar's scrape endpoint */
  metricsPort: number;
  containers: k8s.types.input.core.v1.Container[];
  /** the pods' own ServiceAccount; absent: the namespace's default */
  serviceAccountName?: pulumi.Input<string>;
  /** whether the pods get an API token (only the watcher calls the Kubernetes API) */
  automountServiceAccountToken: boolean;
  /** where the pods may run; absent: anywhere */
  placement?: PodPlacement;
  /** volumes besides the writable /tmp */
  volumes?: k8s.types.input.core.v1.Volume[];
}

/**
 * The pod template of one of the programs in the mesh: its labels and the mesh annotations, the
 * restricted pod security context, 15 s to stop (the programs drain within 10 s of SIGTERM), /tmp.
 */
export function meshPodTemplate(a: MeshPodArgs): k8s.types.input.core.v1.PodTemplateSpec {
  return {
    metadata: { labels: a.labels, annotations: meshPodAnnotations(a.metricsPort) },
    spec: {
      ...(a.serviceAccountName === undefined ? {} : { serviceAccountName: a.serviceAccountName }),
      automountServiceAccountToken: a.automountServiceAccountToken,
      ...(a.placement ? { nodeSelector: a.placement.nodeSelector, tolerations: a.placement.tolerations } : {}),
      securityContext: restrictedPodSecurityContext(APP_UID),
      terminationGracePeriodSeconds: 15,
      containers: a.containers,
      volumes: [TMP_VOLUME, ...(a.volumes ?? [])],
    },
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

/**
 * The burst cluster's worker node pool: its nodes carry this label and this taint, so only pods that
 * select and tolerate them (the burst workers) land there, and everything else stays on the small
 * system pool. The pool autoscales from 0: with no burst worker pending, it has no node.
 */
export const BURST_WORKER_NODES = {
  label: { key: "istio-burst/pool", value: "burst-workers" },
  taint: { key: "istio-burst/pool", value: "burst-workers", effect: "NoSchedule" },
} as const;

/** Where a pod may run: a node selector and the tolerations that go with it. */
export interface PodPlacement {
  nodeSelector: Record<string, string>;
  tolerations: k8s.types.input.core.v1.Toleration[];
}

/** The placement of the burst workers: on the burst worker node pool, and nowhere else. */
export function burstWorkerPlacement(): PodPlacement {
  const { label, taint } = BURST_WORKER_NODES;
  return {
    nodeSelector: { [label.key]: label.value },
    tolerations: [{ key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect }],
  };
}

/** GKE's spelling of a Kubernetes taint effect (`NoSchedule` -> `NO_SCHEDULE`). */
export function gkeTaintEffect(effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute"): string {
  return effect.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
