import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  CLUSTER_TYPE,
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

export interface FrontendAppArgs {
  /** Kubernetes provider of the primary cluster (the frontend runs there only). Required. */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). Required. */
  namespace: pulumi.Input<string>;
  /** Frontend image ref. Required. */
  image: pulumi.Input<string>;
  /** Pod replicas, 0..1. Default 1: the request rate (`freq`) and the socket.io sessions live in one process. */
  replicas?: number;
  /** Prefix that marks a hash as served by the burst cluster (`BURST_PREFIX`). Default `bursty-`; must match the burst workers' prefix. */
  burstPrefix?: string;
  /** Worker URL (`PROCESSOR_URL`). Default `http://worker-service` (the VirtualService splits it between the clusters). */
  processorUrl?: string;
  /** Secret with the clients' Redis URL under key `url` (see RedisCredentials). Default `redis-credentials`. */
  redisSecretName?: pulumi.Input<string>;
  /** Container resources. Default requests 100m CPU / 128Mi, limits 1 CPU / 256Mi. */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** Non-root uid (and gid) of the container. Default 1000 (`node`); 0 is refused. */
  runAsUser?: number;
  /** Value of the pods' `version` label. Default `v1`. */
  version?: string;
  /** Image pull policy. Default `IfNotPresent`. */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/**
 * The String Hashr frontend in the primary cluster: Deployment `frontend-deployment` (the watcher's
 * default query keys on `source_workload="frontend-deployment"`) and the ClusterIP Service
 * `frontend-service` (80 -> 8080), reached from outside through the Istio ingress gateway only.
 */
export class FrontendApp extends pulumi.ComponentResource {
  /** `frontend-service` */
  public readonly serviceName: pulumi.Output<string>;
  public readonly service: k8s.core.v1.Service;
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: FrontendAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:FrontendApp", name, {}, opts);

    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);
    const replicas = args.replicas ?? 1;
    const uid = args.runAsUser ?? DEFAULT_APP_UID;
    const bad = intError("frontend replicas", replicas, 0, 1) ?? intError("frontend runAsUser", uid, 1);
    if (bad) throw new pulumi.ResourceError(bad, this);
    const burstPrefix = args.burstPrefix ?? "bursty-";
    if (typeof burstPrefix !== "string" || burstPrefix === "") {
      throw new pulumi.ResourceError(`burstPrefix must be a non-empty string, got ${JSON.stringify(burstPrefix)}`, this);
    }
    const processorUrl = args.processorUrl ?? `http://${NAMES.workerService}`;
    if (!/^https?:\/\//.test(processorUrl)) {
      throw new pulumi.ResourceError(`processorUrl must be an http(s) URL, got ${JSON.stringify(processorUrl)}`, this);
    }

    const selector = { app: "frontend" };
    const podLabels = { ...selector, version: args.version ?? "v1", "cluster-type": CLUSTER_TYPE.primary };

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: NAMES.frontendDeployment, namespace: args.namespace, labels: podLabels },
        spec: {
          replicas,
          // never two generators at once: each would send `freq` requests per second
          strategy: { type: "Recreate" },
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: podLabels, annotations: meshPodAnnotations(PORTS.frontend) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(uid),
              terminationGracePeriodSeconds: 15,
              containers: [
                nodeServiceContainer({
                  name: "frontend",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  port: PORTS.frontend,
                  env: [
                    { name: "PORT", value: String(PORTS.frontend) },
                    { name: "PROCESSOR_URL", value: processorUrl },
                    redisSecretEnv("REDIS_URL", REDIS_SECRET_KEYS.url, args.redisSecretName ?? NAMES.redisSecret),
                    { name: "BURST_PREFIX", value: burstPrefix },
                  ],
                  resources: args.resources ?? {
                    requests: { cpu: "100m", memory: "128Mi" },
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
      httpServiceSpec({ name: NAMES.frontendService, namespace: args.namespace, selector, targetPort: PORTS.frontend, hasLocalPods: replicas > 0 }),
      { parent: this, provider: args.provider },
    );
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({ serviceName: this.serviceName });
  }
}
