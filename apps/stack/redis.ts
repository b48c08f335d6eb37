import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { NAMES, PORTS, REDIS_SECRET_KEYS, SIDES, type Side } from "../../packages/contract/src";
import { podLabels, restrictedContainerSecurityContext, restrictedPodSecurityContext, secretEnv, serviceAnnotations } from "../../k8s/workload";

/** The `redis` user of the official image. */
const REDIS_UID = 999;

/** Where a copy of the Redis credentials Secret goes. */
export interface RedisSecretTarget {
  /** Kubernetes provider of that cluster. */
  provider: k8s.Provider;
  /** Namespace of the Secret (the workloads' namespace). */
  namespace: pulumi.Input<string>;
}

export interface RedisCredentialsArgs {
  /** The Secret's namespace and provider in each cluster (primary runs Redis and its clients, burst the workers). */
  targets: Record<Side, RedisSecretTarget>;
  /** The password, when the operator gives one (letters and digits); default: generated once by `@pulumi/random`. */
  password?: pulumi.Input<string>;
}

/**
 * The Redis password, generated once with `@pulumi/random` (32 letters and digits, so the URL needs
 * no escaping) unless one is given, and a Kubernetes Secret `redis-credentials` carrying it in each cluster: key
 * `password` (for Redis' `--requirepass`) and key `url` (`redis://:<password>@redis-cache-service:6379`,
 * the clients' `REDIS_URL`). The password only exists as a Pulumi secret.
 */
export class RedisCredentials extends pulumi.ComponentResource {
  /** the password (secret) */
  public readonly password: pulumi.Output<string>;
  /** the clients' `REDIS_URL` (secret) */
  public readonly url: pulumi.Output<string>;
  /** the Secret objects, by cluster */
  public readonly secrets: Record<Side, k8s.core.v1.Secret>;

  constructor(name: string, args: RedisCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:RedisCredentials", name, {}, opts);

    const password =
      args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: false, minLower: 1, minUpper: 1, minNumeric: 1 }, { parent: this }).result;
    this.password = pulumi.secret(password);
    this.url = pulumi.secret(pulumi.interpolate`redis://:${password}@${NAMES.redisService}:${PORTS.redis}`);

    const secret = (side: Side) =>
      new k8s.core.v1.Secret(
        `${name}-${side}`,
        {
          metadata: { name: NAMES.redisSecret, namespace: args.targets[side].namespace, labels: { app: NAMES.redisDeployment, "app.kubernetes.io/part-of": "hashr" } },
          type: "Opaque",
          stringData: { [REDIS_SECRET_KEYS.password]: this.password, [REDIS_SECRET_KEYS.url]: this.url },
        },
        { parent: this, provider: args.targets[side].provider },
      );
    this.secrets = Object.fromEntries(SIDES.map((side) => [side, secret(side)])) as Record<Side, k8s.core.v1.Secret>;

    this.registerOutputs({ password: this.password, url: this.url });
  }
}

export interface RedisCacheArgs {
  /** Kubernetes provider of the cluster. */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). */
  namespace: pulumi.Input<string>;
  /** Which cluster: `primary` runs Redis itself; `burst` gets only the Service (so DNS resolves; the mesh sends the traffic to primary's Redis). */
  cluster: Side;
  /** Name of the Secret holding the password under key `password` (see RedisCredentials); pass the Secret's output to order Redis after it. Default `redis-credentials`; unused in burst. */
  passwordSecretName?: pulumi.Input<string>;
}

/**
 * Redis for the hashes' pub/sub channel: in the primary cluster a single-replica Deployment
 * `redis-cache` (`redis:7.4-alpine`, password from the Secret through `--requirepass $(REDIS_PASSWORD)`,
 * no persistence, probes, limits, non-root uid 999, read-only root) and the ClusterIP Service
 * `redis-cache-service`; in the burst cluster that Service only. Never exposed outside the cluster.
 */
export class RedisCache extends pulumi.ComponentResource {
  /** `redis-cache-service` */
  public readonly serviceName: pulumi.Output<string>;
  public readonly service: k8s.core.v1.Service;
  /** the Deployment (primary only) */
  public readonly deployment?: k8s.apps.v1.Deployment;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:RedisCache", name, {}, opts);

    const labels = { app: NAMES.redisDeployment };

    if (args.cluster === "primary")
      this.deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        redisDeployment(args.namespace, args.passwordSecretName ?? NAMES.redisSecret, podLabels(NAMES.redisDeployment, args.cluster), labels),
        { parent: this, provider: args.provider },
      );

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

/** The primary's single Redis, recreated rather than rolled: two at once would split the pub/sub subscribers. */
function redisDeployment(
  namespace: pulumi.Input<string>,
  secretName: pulumi.Input<string>,
  podLabelSet: Record<string, string>,
  selector: Record<string, string>,
): k8s.apps.v1.DeploymentArgs {
  return {
    metadata: { name: NAMES.redisDeployment, namespace, labels: podLabelSet },
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: podLabelSet },
        spec: {
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(REDIS_UID),
          terminationGracePeriodSeconds: 10,
          containers: [redisContainer(secretName)],
          volumes: [{ name: "redis-data", emptyDir: { sizeLimit: "256Mi" } }],
        },
      },
    },
  };
}

/** `redis:7.4-alpine` with the password from the Secret, no persistence, probes, limits, non-root uid 999, read-only root. */
function redisContainer(secretName: pulumi.Input<string>): k8s.types.input.core.v1.Container {
  return {
    name: "redis",
    image: "redis:7.4-alpine",
    command: ["redis-server"],
    // $(REDIS_PASSWORD) is expanded by the kubelet from the env below: the pod spec never holds the password.
    // Only pub/sub is used: no snapshots, no AOF.
    args: ["--requirepass", "$(REDIS_PASSWORD)", "--save", "", "--appendonly", "no", "--dir", "/data"],
    env: [
      secretEnv("REDIS_PASSWORD", secretName, REDIS_SECRET_KEYS.password),
      // redis-cli (the readiness probe) reads the password from REDISCLI_AUTH.
      secretEnv("REDISCLI_AUTH", secretName, REDIS_SECRET_KEYS.password),
    ],
    ports: [{ name: "tcp-redis", containerPort: PORTS.redis }],
    readinessProbe: { exec: { command: ["sh", "-c", "redis-cli ping | grep -q PONG"] }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2 },
    livenessProbe: { tcpSocket: { port: PORTS.redis }, initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 6 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: restrictedContainerSecurityContext(REDIS_UID),
    volumeMounts: [{ name: "redis-data", mountPath: "/data" }],
  };
}
