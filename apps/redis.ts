import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import {
  CLUSTER_TYPE,
  ClusterRole,
  NAMES,
  PORTS,
  REDIS_SECRET_KEYS,
  intError,
  redisSecretEnv,
  restrictedContainerSecurityContext,
  serviceAnnotations,
  restrictedPodSecurityContext,
} from "./k8s-common";

/** Where a copy of the Redis credentials Secret goes. */
export interface RedisSecretTarget {
  /** Kubernetes provider of that cluster. */
  provider: k8s.Provider;
  /** Namespace of the Secret (the workloads' namespace). */
  namespace: pulumi.Input<string>;
}

export interface RedisCredentialsArgs {
  /** One Secret per cluster that runs a Redis client or Redis itself; keys are `primary` / `burst`. Required, at least one. */
  targets: Partial<Record<ClusterRole, RedisSecretTarget>>;
  /** Password length, 16..128. Default 32 (letters and digits only, so the URL needs no escaping). */
  length?: number;
  /** Host in the URL. Default `redis-cache-service` (resolves in the workloads' namespace in both clusters). */
  host?: string;
  /** Name of the Secret in every cluster. Default `redis-credentials`. */
  secretName?: string;
}

/**
 * The Redis password, generated once with `@pulumi/random`, and a Kubernetes Secret carrying it in
 * each cluster: key `password` (for Redis' `--requirepass`) and key `url`
 * (`redis://:<password>@redis-cache-service:6379`, the clients' `REDIS_URL`). The password only
 * exists as a Pulumi secret.
 */
export class RedisCredentials extends pulumi.ComponentResource {
  /** the password (secret) */
  public readonly password: pulumi.Output<string>;
  /** the clients' `REDIS_URL` (secret) */
  public readonly url: pulumi.Output<string>;
  /** the name of the Secret in every cluster */
  public readonly secretName: string;
  /** the Secret objects, by cluster */
  public readonly secrets: Partial<Record<ClusterRole, k8s.core.v1.Secret>>;

  constructor(name: string, args: RedisCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:RedisCredentials", name, {}, opts);

    const length = args.length ?? 32;
    const bad = intError("redis password length", length, 16, 128);
    if (bad) throw new pulumi.ResourceError(bad, this);
    const roles = Object.keys(args.targets ?? {}) as ClusterRole[];
    if (roles.length === 0) throw new pulumi.ResourceError("targets must name at least one cluster (primary and/or burst)", this);
    for (const role of roles) {
      if (!args.targets[role]?.provider) throw new pulumi.ResourceError(`targets.${role}.provider is required (no default Kubernetes provider is used)`, this);
    }

    this.secretName = args.secretName ?? NAMES.redisSecret;
    const host = args.host ?? NAMES.redisService;

    const generated = new random.RandomPassword(`${name}-password`, { length, special: false, minLower: 1, minUpper: 1, minNumeric: 1 }, { parent: this });
    this.password = pulumi.secret(generated.result);
    this.url = pulumi.secret(pulumi.interpolate`redis://:${generated.result}@${host}:${PORTS.redis}`);

    this.secrets = {};
    for (const role of roles) {
      const target = args.targets[role]!;
      this.secrets[role] = new k8s.core.v1.Secret(
        `${name}-${role}`,
        {
          metadata: {
            name: this.secretName,
            namespace: target.namespace,
            labels: { app: NAMES.redisDeployment, "app.kubernetes.io/part-of": "hashr" },
          },
          type: "Opaque",
          stringData: {
            [REDIS_SECRET_KEYS.password]: this.password,
            [REDIS_SECRET_KEYS.url]: this.url,
          },
        },
        { parent: this, provider: target.provider },
      );
    }

    this.registerOutputs({ password: this.password, url: this.url, secretName: this.secretName });
  }
}

export interface RedisCacheArgs {
  /** Kubernetes provider of the cluster. Required. */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). Required. */
  namespace: pulumi.Input<string>;
  /** Which cluster: `primary` runs Redis itself; `burst` gets only the Service (so DNS resolves; the mesh sends the traffic to primary's Redis). Required. */
  cluster: ClusterRole;
  /** Redis image. Default `redis:7.4-alpine`. Ignored in the burst cluster. */
  image?: pulumi.Input<string>;
  /** Secret holding the password under key `password` (see RedisCredentials). Default `redis-credentials`. Ignored in the burst cluster. */
  passwordSecretName?: pulumi.Input<string>;
  /** Container resources. Default requests 100m CPU / 128Mi, limits 500m CPU / 256Mi. Ignored in the burst cluster. */
  resources?: k8s.types.input.core.v1.ResourceRequirements;
  /** Non-root uid (and gid) Redis runs as. Default 999, the `redis` user of the official image; 0 is refused. */
  runAsUser?: number;
  /** Value of the pods' `version` label. Default `v1`. */
  version?: string;
}

/**
 * Redis for the hashes' pub/sub channel: in the primary cluster a single-replica Deployment
 * `redis-cache` (password from the Secret through `--requirepass $(REDIS_PASSWORD)`, no persistence,
 * probes, limits, non-root, read-only root) and the ClusterIP Service `redis-cache-service`; in the
 * burst cluster that Service only. Never exposed outside the cluster.
 */
export class RedisCache extends pulumi.ComponentResource {
  /** `redis-cache-service` */
  public readonly serviceName: pulumi.Output<string>;
  public readonly service: k8s.core.v1.Service;
  /** the Deployment (primary only) */
  public readonly deployment?: k8s.apps.v1.Deployment;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:RedisCache", name, {}, opts);

    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);
    if (args.cluster !== "primary" && args.cluster !== "burst") {
      throw new pulumi.ResourceError(`cluster must be "primary" or "burst", got ${JSON.stringify(args.cluster)}`, this);
    }
    const uid = args.runAsUser ?? 999;
    const badUid = intError("redis runAsUser", uid, 1);
    if (badUid) throw new pulumi.ResourceError(badUid, this);

    const labels = { app: NAMES.redisDeployment };
    const podLabels = { ...labels, version: args.version ?? "v1", "cluster-type": CLUSTER_TYPE[args.cluster] };

    if (args.cluster === "primary") {
      const secretName = args.passwordSecretName ?? NAMES.redisSecret;
      this.deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
          metadata: { name: NAMES.redisDeployment, namespace: args.namespace, labels: podLabels },
          spec: {
            replicas: 1,
            // One Redis: never two at once (pub/sub subscribers would split between them).
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: {
              metadata: { labels: podLabels },
              spec: {
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext(uid),
                terminationGracePeriodSeconds: 10,
                containers: [
                  {
                    name: "redis",
                    image: args.image ?? "redis:7.4-alpine",
                    command: ["redis-server"],
                    // $(REDIS_PASSWORD) is expanded by the kubelet from the env below: the pod spec never holds the password.
                    // Only pub/sub is used: no snapshots, no AOF.
                    args: ["--requirepass", "$(REDIS_PASSWORD)", "--save", "", "--appendonly", "no", "--dir", "/data"],
                    env: [
                      redisSecretEnv("REDIS_PASSWORD", REDIS_SECRET_KEYS.password, secretName),
                      // redis-cli (the readiness probe) reads the password from REDISCLI_AUTH.
                      redisSecretEnv("REDISCLI_AUTH", REDIS_SECRET_KEYS.password, secretName),
                    ],
                    ports: [{ name: "tcp-redis", containerPort: PORTS.redis }],
                    readinessProbe: {
                      exec: { command: ["sh", "-c", "redis-cli ping | grep -q PONG"] },
                      initialDelaySeconds: 2,
                      periodSeconds: 5,
                      timeoutSeconds: 2,
                    },
                    livenessProbe: {
                      tcpSocket: { port: PORTS.redis },
                      initialDelaySeconds: 10,
                      periodSeconds: 5,
                      failureThreshold: 6,
                    },
                    resources: args.resources ?? {
                      requests: { cpu: "100m", memory: "128Mi" },
                      limits: { cpu: "500m", memory: "256Mi" },
                    },
                    securityContext: restrictedContainerSecurityContext(uid),
                    volumeMounts: [{ name: "redis-data", mountPath: "/data" }],
                  },
                ],
                volumes: [{ name: "redis-data", emptyDir: { sizeLimit: "256Mi" } }],
              },
            },
          },
        },
        { parent: this, provider: args.provider },
      );
    }

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: NAMES.redisService, namespace: args.namespace, labels, annotations: serviceAnnotations(args.cluster === "primary") },
        spec: {
          type: "ClusterIP",
          selector: labels,
          // `tcp-` prefix: Istio treats it as opaque TCP (the mesh carries it across clusters with mTLS).
          ports: [{ name: "tcp-redis", port: PORTS.redis, targetPort: PORTS.redis, protocol: "TCP" }],
        },
      },
      { parent: this, provider: args.provider },
    );
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({ serviceName: this.serviceName });
  }
}
