import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ISTIO_CLUSTERS, NAMES, PORTS, WIRING_ENV, watcherSettingsEnv, watcherWiringEnv, type WatcherSettings, type WatcherWiring } from "../../packages/contract/src";
import { accountWithRole } from "../../k8s/rbac";
import { APP_UID, TMP_MOUNT, httpServiceSpec, meshPodTemplate, podLabels, restrictedContainerSecurityContext } from "../../k8s/workload";

export interface WatcherDeploymentArgs {
  /** Kubernetes provider of the primary cluster (where the worker VirtualService and Prometheus are). */
  provider: k8s.Provider;
  /** Namespace of the worker VirtualService (`NAMESPACE`); the watcher runs there too. */
  namespace: pulumi.Input<string>;
  /** Watcher image ref. */
  image: pulumi.Input<string>;
  /** Prometheus base URL (`PROMETHEUS_URL`), e.g. `http://prometheus.istio-system.svc.cluster.local:9090`. */
  prometheusUrl: pulumi.Input<string>;
  /** The policy, as config.ts read and checked it: each setting becomes its env var (`watcherSettingsEnv`). */
  settings: WatcherSettings;
  /** Watcher replicas (`watcherReplicas`): above 1, they elect a leader on the Lease NAMES.watcherLease (LEASE_NAME) and a PodDisruptionBudget keeps one; default 1. */
  replicas?: number;
  /** Resources the Deployment waits for: the worker VirtualService it reads at start. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /**
   * The burst worker pool the watcher scales (`SCALER=kubernetes`): the Secret in the watcher's
   * namespace holding a kubeconfig for the burst cluster (BurstScalerAccess), mounted read-only at
   * BURST_KUBECONFIG_PATH, and the Deployment it scales there. Absent: no scaler env, no mount.
   */
  burstScaler?: {
    /** name of the kubeconfig Secret (pass the Secret's output to order the pod after it) */
    kubeconfigSecretName: pulumi.Input<string>;
    /** the key of the kubeconfig in that Secret */
    kubeconfigKey: string;
    /** namespace of the burst worker Deployment (`BURST_NAMESPACE`) */
    namespace: pulumi.Input<string>;
    /** the burst worker Deployment (`BURST_DEPLOYMENT`) */
    deployment: string;
  };
}

/** Where the burst cluster's kubeconfig is mounted in the watcher's container (`BURST_KUBECONFIG`). */
export const BURST_KUBECONFIG_DIR = "/var/run/burst";
export const BURST_KUBECONFIG_PATH = `${BURST_KUBECONFIG_DIR}/kubeconfig`;
const BURST_KUBECONFIG_VOLUME = "burst-kubeconfig";

/** The watcher's pod labels that its Service and its AuthorizationPolicy select on. */
export const WATCHER_SELECTOR: Readonly<Record<string, string>> = Object.freeze({ app: NAMES.watcher });

/**
 * The watcher's in-cluster base URL, through its Service (`istio-watcher`, port 80 -> 8082) in the
 * namespace of the caller: the frontend's `WATCHER_URL`. Only `GET /status` answers a caller that the
 * watcher's AuthorizationPolicy names (istio/watcher-access.ts).
 */
export const WATCHER_SERVICE_URL = `http://${NAMES.watcher}`;

/**
 * The watcher in the primary cluster: its own ServiceAccount `istio-watcher`, a Role that can only
 * get and patch the worker VirtualService and create Events in its namespace (with election, its Lease
 * too), the RoleBinding, a Deployment `istio-watcher` of `replicas` (above 1: leader election on a
 * Lease, and a PodDisruptionBudget) configured entirely through env: the wiring (`ROUTER=istio`,
 * `VIRTUAL_SERVICE`, `NAMESPACE`, `PROMETHEUS_URL`, `BURST_CLUSTER`, `PORT`; with `burstScaler`, `SCALER=kubernetes`,
 * `BURST_KUBECONFIG`, `BURST_DEPLOYMENT`, `BURST_NAMESPACE` and the kubeconfig mounted read-only) and every setting, and the
 * ClusterIP Service `istio-watcher` (80 -> 8082, port name `http` so that the sidecars treat it as HTTP
 * and the AuthorizationPolicy's path and method rules apply) through which the frontend reads `/status`.
 */
export class WatcherDeployment extends pulumi.ComponentResource {
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  public readonly role: k8s.rbac.v1.Role;
  public readonly roleBinding: k8s.rbac.v1.RoleBinding;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  /** with more than one replica: at most one watcher evicted at a time */
  public readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget | undefined;
  /** `istio-watcher` */
  public readonly deploymentName: pulumi.Output<string>;
  /** `istio-watcher` (the Service) */
  public readonly serviceName: pulumi.Output<string>;
  /** the labels of the watcher's pods (WATCHER_SELECTOR) */
  public readonly podSelector: Record<string, string> = { ...WATCHER_SELECTOR };

  constructor(name: string, args: WatcherDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:watcher:WatcherDeployment", name, {}, opts);
    const childOpts = { parent: this, provider: args.provider };
    const metadata = { name: NAMES.watcher, namespace: args.namespace, labels: { ...WATCHER_SELECTOR } };

    const elected = (args.replicas ?? 1) > 1;
    const rbac = accountWithRole(name, { metadata, rules: watcherRules(elected) }, childOpts);
    this.serviceAccount = rbac.serviceAccount;
    this.role = rbac.role;
    this.roleBinding = rbac.roleBinding;
    this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, watcherDeployment(args, this.serviceAccount.metadata.name), {
      ...childOpts,
      dependsOn: args.dependsOn,
    });
    this.deploymentName = this.deployment.metadata.name;

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      httpServiceSpec({ name: NAMES.watcher, namespace: args.namespace, selector: { ...WATCHER_SELECTOR }, targetPort: PORTS.watcher, hasLocalPods: true }),
      childOpts,
    );
    this.serviceName = this.service.metadata.name;
    this.disruptionBudget = elected
      ? new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: { ...WATCHER_SELECTOR } } } }, childOpts)
      : undefined;

    this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName });
  }
}

/**
 * What the watcher may do in its namespace: the worker VirtualService only, and Events; with leader
 * election, its Lease too (get and update on its name; create, which RBAC cannot limit by name, for
 * the first watcher to make it).
 */
export function watcherRules(elected: boolean): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    // read the current weights and patch them: that one VirtualService only
    { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], resourceNames: [NAMES.workerVirtualService], verbs: ["get", "patch"] },
    // a core/v1 Event per weight change, on that VirtualService
    { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ...(elected
      ? [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [NAMES.watcherLease], verbs: ["get", "update"] },
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        ]
      : []),
  ];
}

/** The scaler's part of the pod: its wiring, and the burst kubeconfig from a Secret only this pod mounts, read-only. */
function scalerParts(scaler: WatcherDeploymentArgs["burstScaler"]) {
  if (!scaler) return { wiring: {}, volumes: [], mounts: [] };
  const wiring: WatcherWiring<pulumi.Input<string>> = {
    scaler: "kubernetes",
    burstKubeconfig: BURST_KUBECONFIG_PATH,
    burstDeployment: scaler.deployment,
    burstNamespace: scaler.namespace,
  };
  return {
    wiring,
    volumes: [
      {
        name: BURST_KUBECONFIG_VOLUME,
        secret: { secretName: scaler.kubeconfigSecretName, items: [{ key: scaler.kubeconfigKey, path: "kubeconfig" }], defaultMode: 0o440 },
      },
    ],
    mounts: [{ name: BURST_KUBECONFIG_VOLUME, mountPath: BURST_KUBECONFIG_DIR, readOnly: true }],
  };
}

/**
 * The watcher's env: its wiring in the cluster (the contract's WIRING_ENV), the scaler's, with election
 * the Lease and the pod's name as its identity (the downward API), then every setting (`watcherSettingsEnv`).
 */
function watcherEnv(args: WatcherDeploymentArgs, scalerWiring: WatcherWiring<pulumi.Input<string>>): k8s.types.input.core.v1.EnvVar[] {
  const elected = (args.replicas ?? 1) > 1;
  const wiring = watcherWiringEnv<pulumi.Input<string>>({
    port: String(PORTS.watcher),
    prometheusUrl: args.prometheusUrl,
    router: "istio",
    virtualService: NAMES.workerVirtualService,
    namespace: args.namespace,
    // The default queries (from NAMESPACE, RATE_WINDOW and this cluster name) count the
    // frontend sidecar's reporter="source" requests; the health guard those served by burst.
    burstCluster: ISTIO_CLUSTERS.burst,
    ...scalerWiring,
    ...(elected ? { leaseName: NAMES.watcherLease } : {}),
  });
  const settings = Object.entries(watcherSettingsEnv(args.settings));
  const identity: k8s.types.input.core.v1.EnvVar[] = elected ? [{ name: WIRING_ENV.identity, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] : [];
  return [...wiring.map(([name, value]) => ({ name, value })), ...identity, ...settings.map(([name, value]) => ({ name, value }))];
}

/**
 * The Deployment `istio-watcher`. One replica is recreated rather than rolled (two watchers without
 * election would fight over the weights); more elect a leader and roll one at a time (the standby
 * takes over when the leader goes: a stopped leader releases its Lease).
 */
function watcherDeployment(args: WatcherDeploymentArgs, serviceAccountName: pulumi.Input<string>): k8s.apps.v1.DeploymentArgs {
  const labels = podLabels(NAMES.watcher, "primary");
  const scaler = scalerParts(args.burstScaler);
  const container: k8s.types.input.core.v1.Container = {
    name: "watcher",
    image: args.image,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: "http", containerPort: PORTS.watcher }],
    env: watcherEnv(args, scaler.wiring),
    readinessProbe: { httpGet: { path: "/_healthz", port: PORTS.watcher }, initialDelaySeconds: 3, periodSeconds: 5, timeoutSeconds: 2 },
    // liveness only checks the process answers: a Prometheus outage must not restart it
    livenessProbe: { tcpSocket: { port: PORTS.watcher }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
    securityContext: restrictedContainerSecurityContext(APP_UID),
    volumeMounts: [TMP_MOUNT, ...scaler.mounts],
  };
  return {
    metadata: { name: NAMES.watcher, namespace: args.namespace, labels },
    spec: {
      replicas: args.replicas ?? 1,
      strategy: (args.replicas ?? 1) > 1 ? { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } : { type: "Recreate" },
      selector: { matchLabels: { ...WATCHER_SELECTOR } },
      template: meshPodTemplate({
        labels,
        metricsPort: PORTS.watcher,
        containers: [container],
        serviceAccountName,
        automountServiceAccountToken: true,
        volumes: scaler.volumes,
      }),
    },
  };
}
