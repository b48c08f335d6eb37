import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FrontendApp } from "./frontend-app";
import { MeshNamespace } from "./namespace";
import { RedisCache, RedisCredentials } from "./redis";
import { WorkerPool } from "./worker-pool";
import { requireTwoClusters } from "../k8s/kubeconfig";
import type { PodPlacement } from "../k8s/workload";

export interface HashrAppArgs {
  /** Kubernetes provider of the primary cluster (Redis, frontend, primary workers). */
  primaryProvider: k8s.Provider;
  /** Kubernetes provider of the burst cluster (burst workers, Service stubs); not the primary provider. */
  burstProvider: k8s.Provider;
  /** Namespace, the same in both clusters, with sidecar injection: `default` is labelled in place, any other is created. */
  namespace: string;
  /** Image refs (pin them: digest or unique tag). */
  images: { frontend: pulumi.Input<string>; worker: pulumi.Input<string> };
  /**
   * Pod counts: frontend 0..1, worker pools >= 0. `burstWorkers` is only the count the burst
   * Deployment is created with (the watcher's `burstMinReplicas`): the watcher owns it afterwards.
   */
  replicas: { frontend: number; primaryWorkers: number; burstWorkers: number };
  /** Where the burst workers run (the burst cluster's worker node pool); default anywhere. */
  burstWorkerPlacement?: PodPlacement;
  /** sha256 rounds per hash for both worker pools (`HASH_ROUNDS`), >= 1. */
  hashRounds: number;
  /** The watcher's base URL the frontend reads the routing from (`WATCHER_URL`); unset: the page says routing is not configured. */
  watcherUrl?: pulumi.Input<string>;
  /** Resources to wait for per cluster: the Istio install (CRDs, istiod, injector) serving it. */
  dependsOn: { primary: pulumi.Input<pulumi.Resource>[]; burst: pulumi.Input<pulumi.Resource>[] };
}

/**
 * The String Hashr application's workloads across both clusters: the namespace with injection in
 * each, the Redis password and its Secret in each, Redis + frontend + the primary worker pool in
 * primary, and in burst the burst worker pool (`PREFIX=bursty-`) with the `worker-service` and
 * `redis-cache-service` Services; the burst pool's size belongs to the watcher after creation. Its routing (istio/routing.ts) and the watcher
 * (watcher/deployment.ts) are composed beside it in index.ts.
 */
export class HashrApp extends pulumi.ComponentResource {
  /** the namespace name (both clusters); resolves once the primary namespace exists */
  public readonly namespace: pulumi.Output<string>;
  /** `frontend-service` (primary); the ingress gateway routes to it */
  public readonly frontendServiceName: pulumi.Output<string>;
  /** `frontend` (primary): the frontend pods' ServiceAccount, their identity in the mesh */
  public readonly frontendServiceAccountName: pulumi.Output<string>;
  public readonly primaryNamespace: MeshNamespace;
  public readonly burstNamespace: MeshNamespace;
  public readonly redisCredentials: RedisCredentials;
  public readonly redis: RedisCache;
  public readonly burstRedisService: RedisCache;
  public readonly frontend: FrontendApp;
  public readonly primaryWorkers: WorkerPool;
  public readonly burstWorkers: WorkerPool;

  constructor(name: string, args: HashrAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:HashrApp", name, {}, opts);

    requireTwoClusters(args.primaryProvider, args.burstProvider, this);
    const primary = args.primaryProvider;
    const burst = args.burstProvider;
    const child = { parent: this };

    this.primaryNamespace = new MeshNamespace(`${name}-primary-ns`, { provider: primary, name: args.namespace, dependsOn: args.dependsOn.primary }, child);
    this.burstNamespace = new MeshNamespace(`${name}-burst-ns`, { provider: burst, name: args.namespace, dependsOn: args.dependsOn.burst }, child);
    const primaryNs = this.primaryNamespace.name;
    const burstNs = this.burstNamespace.name;

    this.redisCredentials = new RedisCredentials(
      `${name}-redis-credentials`,
      { targets: { primary: { provider: primary, namespace: primaryNs }, burst: { provider: burst, namespace: burstNs } } },
      child,
    );
    // Referencing the Secrets' names orders every pod after its Secret.
    const primarySecret = this.redisCredentials.secrets.primary.metadata.name;
    const burstSecret = this.redisCredentials.secrets.burst.metadata.name;

    this.redis = new RedisCache(`${name}-redis`, { provider: primary, namespace: primaryNs, cluster: "primary", passwordSecretName: primarySecret }, child);
    this.burstRedisService = new RedisCache(`${name}-burst-redis`, { provider: burst, namespace: burstNs, cluster: "burst" }, child);

    const workers = { image: args.images.worker, hashRounds: args.hashRounds };
    this.primaryWorkers = new WorkerPool(
      `${name}-primary-workers`,
      { ...workers, provider: primary, namespace: primaryNs, cluster: "primary", replicas: args.replicas.primaryWorkers, redisSecretName: primarySecret },
      child,
    );
    this.burstWorkers = new WorkerPool(
      `${name}-burst-workers`,
      {
        ...workers,
        provider: burst,
        namespace: burstNs,
        cluster: "burst",
        replicas: args.replicas.burstWorkers,
        replicasOwnedElsewhere: true,
        placement: args.burstWorkerPlacement,
        redisSecretName: burstSecret,
      },
      child,
    );

    this.frontend = new FrontendApp(
      `${name}-frontend`,
      {
        provider: primary,
        namespace: primaryNs,
        image: args.images.frontend,
        replicas: args.replicas.frontend,
        redisSecretName: primarySecret,
        watcherUrl: args.watcherUrl,
      },
      child,
    );

    this.namespace = primaryNs;
    this.frontendServiceName = this.frontend.serviceName;
    this.frontendServiceAccountName = this.frontend.serviceAccountName;

    this.registerOutputs({ namespace: this.namespace, frontendServiceName: this.frontendServiceName });
  }
}
