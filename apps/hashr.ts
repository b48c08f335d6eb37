import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { HashrRouting } from "../istio/routing";
import { WatcherDeployment, WatcherSettings, watcherSettingsErrors } from "../watcher/deployment";
import { FrontendApp } from "./frontend-app";
import { NAMES, Weights, dnsLabelError, intError } from "./k8s-common";
import { MeshNamespace, RESERVED_NAMESPACES } from "./namespace";
import { RedisCache, RedisCredentials } from "./redis";
import { WorkerPool } from "./worker-pool";

/** Image refs of the programs (pin them: digest or unique tag). */
export interface HashrImages {
  /** frontend image. Required. */
  frontend: pulumi.Input<string>;
  /** worker image (both pools). Required. */
  worker: pulumi.Input<string>;
  /** watcher image. Required. */
  watcher: pulumi.Input<string>;
  /** Redis image. Default `redis:7.4-alpine`. */
  redis?: pulumi.Input<string>;
}

/** Pod counts. */
export interface HashrReplicas {
  /** frontend pods, 0..1. Default 1 (the request rate and socket.io sessions live in one process). */
  frontend?: number;
  /** worker pods in the primary cluster, >= 0. Default 1. */
  primaryWorkers?: number;
  /** worker pods in the burst cluster, >= 0. Default 1 (the node pool autoscales under them). */
  burstWorkers?: number;
}

export interface HashrAppArgs {
  /** Kubernetes provider of the primary cluster (Redis, frontend, primary workers, routing, watcher). Required. */
  primaryProvider: k8s.Provider;
  /** Kubernetes provider of the burst cluster (burst workers, Service stubs). Required, and not the primary provider. */
  burstProvider: k8s.Provider;
  /** Namespace, the same in both clusters, with sidecar injection. Default `default` (as config.ts and local mode: the watcher's default query names it); a DNS-1123 label, not `kube-*`/`istio-system`. `default` is labelled in place, any other is created. */
  namespace?: string;
  /** Image refs. Required (redis optional). */
  images: HashrImages;
  /** Pod counts. Defaults: see HashrReplicas. */
  replicas?: HashrReplicas;
  /** Prometheus base URL the watcher queries (primary cluster), e.g. `http://prometheus.istio-system:9090`. Required. */
  prometheusUrl: pulumi.Input<string>;
  /** Watcher policy; its `naturalWeights` are also the weights the worker VirtualService is created with. Required; validated. */
  watcher: WatcherSettings;
  /** sha256 rounds per hash for both worker pools (`HASH_ROUNDS`), >= 1. Default 1. */
  hashRounds?: number;
  /** Prefix of the burst workers' hashes (`PREFIX` there, `BURST_PREFIX` in the frontend). Default `bursty-`; non-empty. */
  burstPrefix?: string;
  /** Labels of the Istio ingress gateway pods. Default `{ istio: "ingressgateway" }`. */
  ingressGatewaySelector?: Record<string, string>;
  /** Host names the frontend answers on. Default `["*"]`. */
  frontendHosts?: string[];
  /** Resources to wait for per cluster (the Istio installs: CRDs, istiod, injector). Default none. */
  dependsOn?: { primary?: pulumi.Input<pulumi.Resource>[]; burst?: pulumi.Input<pulumi.Resource>[] };
}

/**
 * The whole String Hashr application across both clusters: namespace with injection in each, Redis
 * password and its Secret in each, Redis + frontend + primary worker pool in primary, burst worker
 * pool (`PREFIX=bursty-`) + the `worker-service`/`redis-cache-service` Services in burst, the Istio
 * routing objects, and the watcher.
 */
export class HashrApp extends pulumi.ComponentResource {
  /** the namespace name (both clusters) */
  public readonly namespace: pulumi.Output<string>;
  /** `frontend-service` (primary); the ingress gateway routes to it */
  public readonly frontendServiceName: pulumi.Output<string>;
  public readonly frontendService: k8s.core.v1.Service;
  /** `worker-virtual-service` */
  public readonly workerVirtualServiceName: pulumi.Output<string>;
  /** the weights the worker VirtualService was created with */
  public readonly naturalWeights: Weights;
  /** the validated watcher settings */
  public readonly watcherSettings: WatcherSettings;

  public readonly primaryNamespace: MeshNamespace;
  public readonly burstNamespace: MeshNamespace;
  public readonly redisCredentials: RedisCredentials;
  public readonly redis: RedisCache;
  public readonly burstRedisService: RedisCache;
  public readonly frontend: FrontendApp;
  public readonly primaryWorkers: WorkerPool;
  public readonly burstWorkers: WorkerPool;
  public readonly routing: HashrRouting;
  public readonly watcher: WatcherDeployment;

  constructor(name: string, args: HashrAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:HashrApp", name, {}, opts);

    // Validation first: nothing is created when any argument is wrong.
    if (!args.primaryProvider) throw new pulumi.ResourceError("primaryProvider is required (no default Kubernetes provider is used)", this);
    if (!args.burstProvider) throw new pulumi.ResourceError("burstProvider is required (no default Kubernetes provider is used)", this);
    if (args.primaryProvider === args.burstProvider) {
      throw new pulumi.ResourceError("burstProvider must be the burst cluster's provider, not the primary one", this);
    }
    const namespace = args.namespace ?? "default";
    const badNs = dnsLabelError("namespace", namespace);
    if (badNs) throw new pulumi.ResourceError(badNs, this);
    if (!args.images?.frontend || !args.images.worker || !args.images.watcher) {
      throw new pulumi.ResourceError("images.frontend, images.worker and images.watcher are required", this);
    }
    if (!args.prometheusUrl) throw new pulumi.ResourceError("prometheusUrl is required (the watcher's PROMETHEUS_URL)", this);
    if (!args.watcher) throw new pulumi.ResourceError("watcher settings are required", this);
    const errors = watcherSettingsErrors(args.watcher);
    if (errors.length > 0) throw new pulumi.ResourceError(`invalid watcher settings: ${errors.join("; ")}`, this);
    const replicaErrors = [
      intError("replicas.frontend", args.replicas?.frontend ?? 1, 0, 1),
      intError("replicas.primaryWorkers", args.replicas?.primaryWorkers ?? 1, 0),
      intError("replicas.burstWorkers", args.replicas?.burstWorkers ?? 1, 0),
      intError("hashRounds", args.hashRounds ?? 1, 1),
    ].filter((e): e is string => e !== undefined);
    if (replicaErrors.length > 0) throw new pulumi.ResourceError(replicaErrors.join("; "), this);
    if (RESERVED_NAMESPACES.has(namespace)) throw new pulumi.ResourceError(`namespace must not be the system namespace ${JSON.stringify(namespace)}`, this);
    const burstPrefix = args.burstPrefix ?? "bursty-";
    if (typeof burstPrefix !== "string" || burstPrefix === "") {
      throw new pulumi.ResourceError(`burstPrefix must be a non-empty string, got ${JSON.stringify(burstPrefix)}`, this);
    }

    const primary = args.primaryProvider;
    const burst = args.burstProvider;
    const replicas = args.replicas ?? {};

    this.primaryNamespace = new MeshNamespace(`${name}-primary-ns`, { provider: primary, name: namespace, dependsOn: args.dependsOn?.primary }, { parent: this });
    this.burstNamespace = new MeshNamespace(`${name}-burst-ns`, { provider: burst, name: namespace, dependsOn: args.dependsOn?.burst }, { parent: this });
    const primaryNs = this.primaryNamespace.name;
    const burstNs = this.burstNamespace.name;

    this.redisCredentials = new RedisCredentials(
      `${name}-redis-credentials`,
      { targets: { primary: { provider: primary, namespace: primaryNs }, burst: { provider: burst, namespace: burstNs } } },
      { parent: this },
    );
    // Referencing the Secrets' names orders every pod after its Secret.
    const primarySecret = this.redisCredentials.secrets.primary!.metadata.name;
    const burstSecret = this.redisCredentials.secrets.burst!.metadata.name;

    this.redis = new RedisCache(
      `${name}-redis`,
      { provider: primary, namespace: primaryNs, cluster: "primary", image: args.images.redis, passwordSecretName: primarySecret },
      { parent: this },
    );
    this.burstRedisService = new RedisCache(`${name}-burst-redis`, { provider: burst, namespace: burstNs, cluster: "burst" }, { parent: this });

    this.primaryWorkers = new WorkerPool(
      `${name}-primary-workers`,
      {
        provider: primary,
        namespace: primaryNs,
        cluster: "primary",
        image: args.images.worker,
        prefix: "",
        replicas: replicas.primaryWorkers,
        hashRounds: args.hashRounds,
        redisSecretName: primarySecret,
      },
      { parent: this },
    );
    this.burstWorkers = new WorkerPool(
      `${name}-burst-workers`,
      {
        provider: burst,
        namespace: burstNs,
        cluster: "burst",
        image: args.images.worker,
        prefix: burstPrefix,
        replicas: replicas.burstWorkers,
        hashRounds: args.hashRounds,
        redisSecretName: burstSecret,
      },
      { parent: this },
    );

    this.frontend = new FrontendApp(
      `${name}-frontend`,
      {
        provider: primary,
        namespace: primaryNs,
        image: args.images.frontend,
        replicas: replicas.frontend,
        burstPrefix,
        redisSecretName: primarySecret,
      },
      { parent: this },
    );

    this.routing = new HashrRouting(
      `${name}-routing`,
      {
        provider: primary,
        namespace: primaryNs,
        naturalWeights: args.watcher.naturalWeights,
        ingressGatewaySelector: args.ingressGatewaySelector,
        frontendHosts: args.frontendHosts,
        dependsOn: args.dependsOn?.primary,
      },
      { parent: this },
    );

    this.watcher = new WatcherDeployment(
      `${name}-watcher`,
      {
        provider: primary,
        namespace: primaryNs,
        image: args.images.watcher,
        prometheusUrl: args.prometheusUrl,
        settings: args.watcher,
        virtualServiceName: NAMES.workerVirtualService,
        // the watcher reads the VirtualService at start
        dependsOn: [this.routing.workerVirtualService],
      },
      { parent: this },
    );

    this.namespace = primaryNs;
    this.frontendService = this.frontend.service;
    this.frontendServiceName = this.frontend.serviceName;
    this.workerVirtualServiceName = this.routing.workerVirtualServiceName;
    this.naturalWeights = this.routing.naturalWeights;
    this.watcherSettings = this.watcher.settings;

    this.registerOutputs({
      namespace: this.namespace,
      frontendServiceName: this.frontendServiceName,
      workerVirtualServiceName: this.workerVirtualServiceName,
      naturalWeights: this.naturalWeights,
      watcherSettings: this.watcherSettings,
    });
  }
}
