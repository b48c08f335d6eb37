import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  CLUSTER_TYPE,
  DEFAULT_APP_UID,
  NAMES,
  PORTS,
  TMP_MOUNT,
  TMP_VOLUME,
  Weights,
  intError,
  meshPodAnnotations,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  weightsError,
} from "../apps/k8s-common";

/** `switch`: natural <-> burst weights (the 2018 codelab); `overflow`: only the excess over `primaryCapacityRps` goes to burst. */
export type WatcherMode = "switch" | "overflow";
export const WATCHER_MODES: readonly WatcherMode[] = ["switch", "overflow"];

/** A Prometheus-style duration (`250ms`, `1s`, `2m`, `1m30s`) or a number of seconds. */
export type Duration = string | number;

/**
 * The watcher's policy, field names as the stack config keys (`istio-burst:<field>`). Each field
 * becomes one env var of the watcher Deployment.
 */
export interface WatcherSettings {
  /** `HIGH_RPS`: above this many requests/s the watcher bursts. Finite, > lowRps. Default 15. */
  highRps: number;
  /** `LOW_RPS`: below this many requests/s it returns to the natural weights. Finite, >= 0, < highRps. Default 10. */
  lowRps: number;
  /** `POLL_INTERVAL`: time between two Prometheus queries. Duration >= 50ms (the watcher's floor). Default `1s`. */
  pollInterval: Duration;
  /** `MIN_DWELL`: minimum time between two weight changes. Duration >= 0. Default `30s`. */
  minDwell: Duration;
  /** `MODE`: `switch` or `overflow`. Default `switch`. */
  mode: WatcherMode;
  /** `NATURAL_WEIGHTS`: `[primary, burst]` when load is low; also the weights the VirtualService is created with. Integers summing to 100. Default `[100, 0]`. */
  naturalWeights: Weights;
  /** `BURST_WEIGHTS`: `[primary, burst]` in switch mode when load is high. Integers summing to 100, with a burst weight above naturalWeights' (the watcher refuses anything else). Default `[0, 100]`. */
  burstWeights: Weights;
  /** `PRIMARY_CAPACITY_RPS`: requests/s the primary pool takes before overflow mode sends the excess to burst. Finite, > 0. Default 15 (= highRps). */
  primaryCapacityRps: number;
  /** `STEP_WEIGHT`: overflow mode moves the burst weight in multiples of this. Integer 1..100. Default 10. */
  stepWeight: number;
  /** `MAX_BURST_WEIGHT`: ceiling of the burst weight in overflow mode. Integer, from naturalWeights' burst weight to 100. Default 100. */
  maxBurstWeight: number;
  /** `QUERY`: PromQL returning one number (requests/s). Optional: when absent the env var is not set and the watcher uses its default query (requests reported by the frontend's sidecar). */
  query?: string;
  /** `DRY_RUN`: decide and log, never patch. Default false. */
  dryRun: boolean;
}

/** The documented defaults (DESIGN.md: HIGH_RPS 15, LOW_RPS 10, POLL_INTERVAL 1s, weights 100,0 / 0,100; the rest as config.ts). */
export const DEFAULT_WATCHER_SETTINGS: Readonly<WatcherSettings> = Object.freeze({
  highRps: 15,
  lowRps: 10,
  pollInterval: "1s",
  minDwell: "30s",
  mode: "switch",
  naturalWeights: [100, 0] as const,
  burstWeights: [0, 100] as const,
  primaryCapacityRps: 15,
  stepWeight: 10,
  maxBurstWeight: 100,
  dryRun: false,
});

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration (`250ms`, `1s`, `1m30s`, or a number of seconds), or undefined when it is not one. */
export function durationMs(d: unknown): number | undefined {
  if (typeof d === "number") return Number.isFinite(d) && d >= 0 ? d * 1000 : undefined;
  if (typeof d !== "string") return undefined;
  const s = d.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNIT_MS[m[2]];
  return total;
}

/** Every problem with a settings object, each naming its field; empty when valid. */
export function watcherSettingsErrors(s: WatcherSettings): string[] {
  const errors: string[] = [];
  const finite = (field: string, n: unknown, min: number, strict = false) => {
    if (typeof n !== "number" || !Number.isFinite(n) || (strict ? n <= min : n < min)) {
      errors.push(`${field} must be a finite number ${strict ? ">" : ">="} ${min}, got ${JSON.stringify(n)}`);
      return false;
    }
    return true;
  };
  const highOk = finite("highRps", s.highRps, 0, true);
  const lowOk = finite("lowRps", s.lowRps, 0);
  if (highOk && lowOk && s.lowRps >= s.highRps) {
    errors.push(`lowRps (${s.lowRps}) must be below highRps (${s.highRps})`);
  }
  const poll = durationMs(s.pollInterval);
  if (poll === undefined || poll < 50) {
    errors.push(`pollInterval must be a duration of at least 50ms such as "1s" or "250ms" (or seconds as a number), got ${JSON.stringify(s.pollInterval)}`);
  }
  if (durationMs(s.minDwell) === undefined) {
    errors.push(`minDwell must be a duration such as "10s" or "2m" (or seconds as a number), got ${JSON.stringify(s.minDwell)}`);
  }
  if (!WATCHER_MODES.includes(s.mode)) {
    errors.push(`mode must be one of ${WATCHER_MODES.join(", ")}, got ${JSON.stringify(s.mode)}`);
  }
  const natural = weightsError("naturalWeights", s.naturalWeights);
  const burst = weightsError("burstWeights", s.burstWeights);
  if (natural) errors.push(natural);
  if (burst) errors.push(burst);
  // the watcher refuses to start otherwise (bursting must send more to burst than the natural weights)
  if (!natural && !burst && !(s.burstWeights[1] > s.naturalWeights[1])) {
    errors.push(`burstWeights (${s.burstWeights.join(",")}) must send more to burst than naturalWeights (${s.naturalWeights.join(",")})`);
  }
  finite("primaryCapacityRps", s.primaryCapacityRps, 0, true);
  const step = intError("stepWeight", s.stepWeight, 1, 100);
  if (step) errors.push(step);
  const max = intError("maxBurstWeight", s.maxBurstWeight, 0, 100);
  if (max) errors.push(max);
  else if (!natural && s.maxBurstWeight < s.naturalWeights[1]) {
    errors.push(`maxBurstWeight (${s.maxBurstWeight}) must be at least the burst weight of naturalWeights (${s.naturalWeights[1]})`);
  }
  if (s.query !== undefined && (typeof s.query !== "string" || s.query.trim() === "")) {
    errors.push(`query must be a non-empty PromQL expression when set, got ${JSON.stringify(s.query)}`);
  }
  if (typeof s.dryRun !== "boolean") errors.push(`dryRun must be true or false, got ${JSON.stringify(s.dryRun)}`);
  return errors;
}

/** The env vars for these settings (validated first by the caller). `QUERY` only when a query is set. */
export function watcherSettingsEnv(s: WatcherSettings): { name: string; value: string }[] {
  const env = [
    { name: "HIGH_RPS", value: String(s.highRps) },
    { name: "LOW_RPS", value: String(s.lowRps) },
    { name: "POLL_INTERVAL", value: String(s.pollInterval) },
    { name: "MIN_DWELL", value: String(s.minDwell) },
    { name: "MODE", value: s.mode },
    { name: "NATURAL_WEIGHTS", value: `${s.naturalWeights[0]},${s.naturalWeights[1]}` },
    { name: "BURST_WEIGHTS", value: `${s.burstWeights[0]},${s.burstWeights[1]}` },
    { name: "PRIMARY_CAPACITY_RPS", value: String(s.primaryCapacityRps) },
    { name: "STEP_WEIGHT", value: String(s.stepWeight) },
    { name: "MAX_BURST_WEIGHT", value: String(s.maxBurstWeight) },
    { name: "DRY_RUN", value: String(s.dryRun) },
  ];
  if (s.query !== undefined) env.push({ name: "QUERY", value: s.query });
  return env;
}

export interface WatcherDeploymentArgs {
  /** Kubernetes provider of the primary cluster (where the VirtualService and Prometheus are). Required. */
  provider: k8s.Provider;
  /** Namespace of the worker VirtualService; the watcher runs there too. Required. */
  namespace: pulumi.Input<string>;
  /** Watcher image ref. Required. */
  image: pulumi.Input<string>;
  /** Prometheus base URL (`PROMETHEUS_URL`), e.g. `http://prometheus.istio-system:9090`. Required. */
  prometheusUrl: pulumi.Input<string>;
  /** The policy (see WatcherSettings). Required; validated, each field named in the error. */
  settings: WatcherSettings;
  /**
   * Istio cluster name of the burst cluster (`BURST_CLUSTER`): the `destination_cluster` of the
   * watcher's default burst health query, which is on unless `BURST_HEALTH_QUERY=off`. Default
   * `burst`, the name the stack gives it (`global.multiCluster.clusterName`).
   */
  burstClusterName?: string;
  /** Name of the VirtualService it may read and patch (`VIRTUAL_SERVICE`, and the Role's only resourceName). Default `worker-virtual-service`. */
  virtualServiceName?: string;
  /** Container resources. Default requests 50m CPU / 64Mi, limits 250m CPU / 128Mi. */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** Non-root uid (and gid) of the container. Default 1000 (`node`); 0 is refused. */
  runAsUser?: number;
  /** Value of the pod's `version` label. Default `v1`. */
  version?: string;
  /** Image pull policy. Default `IfNotPresent`. */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Resources the Deployment waits for, e.g. the worker VirtualService it reads at start. Default none. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The watcher in the primary cluster: its own ServiceAccount `istio-watcher`, a Role that can only
 * get and patch the one worker VirtualService and create Events in its namespace, the RoleBinding,
 * and a single-replica Deployment `istio-watcher` configured entirely through env (`ROUTER=istio`).
 */
export class WatcherDeployment extends pulumi.ComponentResource {
  /** the validated settings the Deployment runs with */
  public readonly settings: WatcherSettings;
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  public readonly role: k8s.rbac.v1.Role;
  public readonly roleBinding: k8s.rbac.v1.RoleBinding;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** `istio-watcher` */
  public readonly deploymentName: pulumi.Output<string>;

  constructor(name: string, args: WatcherDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:watcher:WatcherDeployment", name, {}, opts);

    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);
    if (!args.settings) throw new pulumi.ResourceError("settings are required", this);
    const errors = watcherSettingsErrors(args.settings);
    if (errors.length > 0) throw new pulumi.ResourceError(`invalid watcher settings: ${errors.join("; ")}`, this);
    const uid = args.runAsUser ?? DEFAULT_APP_UID;
    const badUid = intError("watcher runAsUser", uid, 1);
    if (badUid) throw new pulumi.ResourceError(badUid, this);
    const vsName = args.virtualServiceName ?? NAMES.workerVirtualService;
    const burstCluster = args.burstClusterName ?? "burst";
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(burstCluster)) {
      throw new pulumi.ResourceError(`burstClusterName must be an Istio cluster name (letters, digits, '-', '_', '.'), got ${JSON.stringify(burstCluster)}`, this);
    }
    if (!vsName) throw new pulumi.ResourceError("virtualServiceName must not be empty (the Role would match no object)", this);

    this.settings = { ...args.settings, naturalWeights: [...args.settings.naturalWeights], burstWeights: [...args.settings.burstWeights] } as WatcherSettings;
    const labels = { app: NAMES.watcher };
    const podLabels = { ...labels, version: args.version ?? "v1", "cluster-type": CLUSTER_TYPE.primary };
    const childOpts = { parent: this, provider: args.provider };

    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: NAMES.watcher, namespace: args.namespace, labels } },
      childOpts,
    );

    this.role = new k8s.rbac.v1.Role(
      `${name}-role`,
      {
        metadata: { name: NAMES.watcher, namespace: args.namespace, labels },
        rules: [
          // read the current weights and patch them: that one VirtualService only
          { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], resourceNames: [vsName], verbs: ["get", "patch"] },
          // a core/v1 Event per weight change, on that VirtualService
          { apiGroups: [""], resources: ["events"], verbs: ["create"] },
        ],
      },
      childOpts,
    );

    this.roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata: { name: NAMES.watcher, namespace: args.namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: this.serviceAccount.metadata.name, namespace: args.namespace }],
      },
      childOpts,
    );

    const httpProbe = { httpGet: { path: "/_healthz", port: PORTS.watcher } };
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: NAMES.watcher, namespace: args.namespace, labels: podLabels },
        spec: {
          replicas: 1,
          // two watchers would fight over the weights
          strategy: { type: "Recreate" },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels: podLabels, annotations: meshPodAnnotations(PORTS.watcher) },
            spec: {
              serviceAccountName: this.serviceAccount.metadata.name,
              automountServiceAccountToken: true,
              securityContext: restrictedPodSecurityContext(uid),
              terminationGracePeriodSeconds: 15,
              containers: [
                {
                  name: "watcher",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy ?? "IfNotPresent",
                  ports: [{ name: "http", containerPort: PORTS.watcher }],
                  env: [
                    { name: "PORT", value: String(PORTS.watcher) },
                    { name: "PROMETHEUS_URL", value: args.prometheusUrl },
                    { name: "ROUTER", value: "istio" },
                    { name: "VIRTUAL_SERVICE", value: vsName },
                    { name: "NAMESPACE", value: args.namespace },
                    // The burst health guard's default query (from NAMESPACE and this cluster name) counts
                    // the frontend sidecar's reporter="source" answers from that cluster: a burst pool that
                    // fails or answers nothing sends the traffic back to primary.
                    { name: "BURST_CLUSTER", value: burstCluster },
                    ...watcherSettingsEnv(this.settings),
                  ],
                  readinessProbe: { ...httpProbe, initialDelaySeconds: 3, periodSeconds: 5, timeoutSeconds: 2 },
                  // liveness only checks the process answers: a Prometheus outage must not restart it
                  livenessProbe: { tcpSocket: { port: PORTS.watcher }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
                  resources: args.resources ?? {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "250m", memory: "128Mi" },
                  },
                  securityContext: restrictedContainerSecurityContext(uid),
                  volumeMounts: [TMP_MOUNT],
                },
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      { ...childOpts, dependsOn: args.dependsOn },
    );
    this.deploymentName = this.deployment.metadata.name;

    this.registerOutputs({ settings: this.settings, deploymentName: this.deploymentName });
  }
}
