import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  CLUSTER_TYPE,
  ClusterRole,
  DEFAULT_APP_UID,
  NAMES,
  PORTS,
  REDIS_SECRET_KEYS,
  TMP_VOLUME,
  intError,
  meshPodAnnotations,
  redisSecretEnv,
  restrictedPodSecurityContext,
  nodeServiceContainer,
  httpServiceSpec,
} from "./k8s-common";

export interface WorkerPoolArgs {
  /** Kubernetes provider of the cluster. Required. */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). Required. */
  namespace: pulumi.Input<string>;
  /** Which cluster: sets the pods' `cluster-type` label (`primary-cluster` / `burst-cluster`), which the DestinationRule subsets select on. Required. */
  cluster: ClusterRole;
  /** Worker image ref. Required. */
  image: pulumi.Input<string>;
  /** Hash prefix (`PREFIX`). Default `""` in the primary cluster and `bursty-` in the burst cluster. */
  prefix?: string;
  /** Pod replicas, >= 0. Default 1. */
  replicas?: number;
  /** sha256 rounds per hash (`HASH_ROUNDS`), >= 1. Default 1. */
  hashRounds?: number;
  /** Secret with the clients' Redis URL under key `url` (see RedisCredentials). Default `redis-credentials`. */
  redisSecretName?: pulumi.Input<string>;
  /** Container resources. Default requests 200m CPU / 128Mi, limits 1 CPU / 256Mi. */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** Non-root uid (and gid) of the container. Default 1000 (`node`); 0 is refused. */
  runAsUser?: number;
  /** Value of the pods' `version` label. Default `v1`. */
  version?: string;
  /** Image pull policy. Default `IfNotPresent` (image refs are expected to be pinned by digest or unique tag). */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/**
 * One cluster's worker pool: Deployment `worker-deployment` (pods labelled `app: worker`, `version`,
 * `cluster-type`) and the ClusterIP Service `worker-service` (80 -> 8081), the same Service in both
 * clusters so the mesh sees one service with endpoints in both.
 */
export class WorkerPool extends pulumi.ComponentResource {
  /** `worker-service` */
  public readonly serviceName: pulumi.Output<string>;
  public readonly service: k8s.core.v1.Service;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** the `cluster-type` label value of these pods */
  public readonly clusterType: string;

  constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:WorkerPool", name, {}, opts);

    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);
    if (args.cluster !== "primary" && args.cluster !== "burst") {
      throw new pulumi.ResourceError(`cluster must be "primary" or "burst", got ${JSON.stringify(args.cluster)}`, this);
    }
    const replicas = args.replicas ?? 1;
    const hashRounds = args.hashRounds ?? 1;
    const uid = args.runAsUser ?? DEFAULT_APP_UID;
    const bad =
      intError(`worker replicas (${args.cluster})`, replicas, 0) ??
      intError("hashRounds", hashRounds, 1) ??
      intError("worker runAsUser", uid, 1);
    if (bad) throw new pulumi.ResourceError(bad, this);
    const prefix = args.prefix ?? (args.cluster === "burst" ? "bursty-" : "");
    if (typeof prefix !== "string") throw new pulumi.ResourceError(`prefix must be a string, got ${JSON.stringify(prefix)}`, this);

    this.clusterType = CLUSTER_TYPE[args.cluster];
    const selector = { app: "worker" };
    const podLabels = { ...selector, version: args.version ?? "v1", "cluster-type": this.clusterType };

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: NAMES.workerDeployment, namespace: args.namespace, labels: podLabels },
        spec: {
          replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: podLabels, annotations: meshPodAnnotations(PORTS.worker) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(uid),
              // the worker drains in-flight requests within 10 s of SIGTERM
              terminationGracePeriodSeconds: 15,
              containers: [
                nodeServiceContainer({
                  name: "worker",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  port: PORTS.worker,
                  env: [
                    { name: "PORT", value: String(PORTS.worker) },
                    redisSecretEnv("REDIS_URL", REDIS_SECRET_KEYS.url, args.redisSecretName ?? NAMES.redisSecret),
                    { name: "PREFIX", value: prefix },
                    { name: "HASH_ROUNDS", value: String(hashRounds) },
                  ],
                  resources: args.resources ?? {
                    requests: { cpu: "200m", memory: "128Mi" },
                    limits: { cpu: "1", memory: "256Mi" },
                  },
                  uid,
                }),
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      { parent: this, provider: args.provider },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      httpServiceSpec({ name: NAMES.workerService, namespace: args.namespace, selector, targetPort: PORTS.worker, hasLocalPods: replicas > 0 }),
      { parent: this, provider: args.provider },
    );
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({ serviceName: this.serviceName, clusterType: this.clusterType });
  }
}
