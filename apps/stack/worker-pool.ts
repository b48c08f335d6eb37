import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BURST_PREFIX, NAMES, PORTS, REDIS_SECRET_KEYS, type Side } from "../../packages/contract/src";
import { httpServiceSpec, meshPodTemplate, nodeServiceContainer, podLabels, type PodPlacement, secretEnv } from "../../k8s/workload";

export interface WorkerPoolArgs {
  /** Kubernetes provider of the cluster. */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). */
  namespace: pulumi.Input<string>;
  /** Which cluster: the pods' `cluster-type` label (what the DestinationRule subsets select on) and `PREFIX` (`bursty-` in burst, none in primary). */
  cluster: Side;
  /** Worker image ref. */
  image: pulumi.Input<string>;
  /** Pod replicas, >= 0; with `replicasOwnedElsewhere`, only the count the Deployment is created with. */
  replicas: number;
  /**
   * Someone else (the watcher's scaler) owns `spec.replicas` after creation: Pulumi ignores later
   * changes to it (WORKER_REPLICAS_IGNORE_CHANGES) and never puts `replicas` back. Default false.
   */
  replicasOwnedElsewhere?: boolean;
  /** Node selector and tolerations of the pods (the burst worker node pool); default none. */
  placement?: PodPlacement;
  /** sha256 rounds per hash (`HASH_ROUNDS`), >= 1. */
  hashRounds: number;
  /** Name of the Secret with the clients' Redis URL under key `url` (see RedisCredentials); pass the Secret's output to order the pods after it. */
  redisSecretName: pulumi.Input<string>;
}

/**
 * What Pulumi leaves alone on a worker Deployment whose size the watcher owns. With Server-Side Apply
 * (the default of @pulumi/kubernetes v4) the provider drops an ignored field from its apply while
 * another field manager owns it: once the watcher has patched the scale subresource, the next
 * `pulumi up` neither resets `spec.replicas` nor conflicts over it, and every other field stays managed.
 * A scalar field, unlike the VirtualService's atomic `spec.http` list (istio/routing.ts), can be
 * ignored on its own.
 */
export const WORKER_REPLICAS_IGNORE_CHANGES = ["spec.replicas"];

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

  constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:WorkerPool", name, {}, opts);

    const selector = { app: "worker" };
    const labels = podLabels("worker", args.cluster);

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: NAMES.workerDeployment, namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: selector },
          template: meshPodTemplate({
            labels,
            metricsPort: PORTS.worker,
            automountServiceAccountToken: false,
            placement: args.placement,
            containers: [workerContainer(args)],
          }),
        },
      },
      { parent: this, provider: args.provider, ...(args.replicasOwnedElsewhere ? { ignoreChanges: WORKER_REPLICAS_IGNORE_CHANGES } : {}) },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      httpServiceSpec({ name: NAMES.workerService, namespace: args.namespace, selector, targetPort: PORTS.worker, hasLocalPods: args.replicas > 0 && !args.replicasOwnedElsewhere }),
      { parent: this, provider: args.provider },
    );
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({ serviceName: this.serviceName });
  }
}

/** A worker's container: publishes on primary's Redis, its hashes prefixed `bursty-` in burst. */
function workerContainer(args: WorkerPoolArgs): k8s.types.input.core.v1.Container {
  return nodeServiceContainer({
    name: "worker",
    image: args.image,
    port: PORTS.worker,
    env: [
      { name: "PORT", value: String(PORTS.worker) },
      secretEnv("REDIS_URL", args.redisSecretName, REDIS_SECRET_KEYS.url),
      { name: "PREFIX", value: args.cluster === "burst" ? BURST_PREFIX : "" },
      { name: "HASH_ROUNDS", value: String(args.hashRounds) },
    ],
    resources: { requests: { cpu: "200m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
  });
}
