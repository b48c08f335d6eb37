import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BURST_PREFIX, NAMES, PORTS, REDIS_SECRET_KEYS } from "../../packages/contract/src";
import { httpServiceSpec, meshPodTemplate, nodeServiceContainer, podLabels, secretEnv } from "../../k8s/workload";

export interface FrontendAppArgs {
  /** Kubernetes provider of the primary cluster (the frontend runs there only). */
  provider: k8s.Provider;
  /** Namespace (with sidecar injection). */
  namespace: pulumi.Input<string>;
  /** Frontend image ref. */
  image: pulumi.Input<string>;
  /** Pod replicas, 0..1: the request rate (`freq`) and the socket.io sessions live in one process. */
  replicas: number;
  /** Name of the Secret with the clients' Redis URL under key `url` (see RedisCredentials); pass the Secret's output to order the pods after it. */
  redisSecretName: pulumi.Input<string>;
  /** The watcher's base URL (`WATCHER_URL`; its `/status` feeds the page's routing panel); unset: the panel says routing is not configured. */
  watcherUrl?: pulumi.Input<string>;
}

/** The frontend's ServiceAccount: its mesh identity (`<trust domain>/ns/<namespace>/sa/frontend`), which the watcher's AuthorizationPolicy names. */
export const FRONTEND_SERVICE_ACCOUNT = "frontend";

/**
 * The String Hashr frontend in the primary cluster: Deployment `frontend-deployment` (the watcher's
 * default query keys on `source_workload="frontend-deployment"`) calling `http://worker-service` and
 * marking hashes that start with `bursty-` as burst, and the ClusterIP Service `frontend-service`
 * (80 -> 8080), reached from outside through the Istio ingress gateway only. Its pods run under their own
 * ServiceAccount `frontend`, without an API token: the account only gives them a mesh identity.
 */
export class FrontendApp extends pulumi.ComponentResource {
  /** `frontend-service` */
  public readonly serviceName: pulumi.Output<string>;
  public readonly service: k8s.core.v1.Service;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  /** `frontend`: the pods' ServiceAccount, the principal the watcher lets read its /status */
  public readonly serviceAccountName: pulumi.Output<string>;

  constructor(name: string, args: FrontendAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:apps:FrontendApp", name, {}, opts);

    const selector = { app: "frontend" };
    const labels = podLabels("frontend", "primary");

    // No API token anywhere: the frontend never calls the Kubernetes API. The sidecar gets its mesh
    // certificate with its own projected token (istio-token), not with this account's mounted one.
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: FRONTEND_SERVICE_ACCOUNT, namespace: args.namespace, labels: selector }, automountServiceAccountToken: false },
      { parent: this, provider: args.provider },
    );
    this.serviceAccountName = this.serviceAccount.metadata.name;

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: NAMES.frontendDeployment, namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas,
          // never two generators at once: each would send `freq` requests per second
          strategy: { type: "Recreate" },
          selector: { matchLabels: selector },
          template: meshPodTemplate({
            labels,
            metricsPort: PORTS.frontend,
            serviceAccountName: this.serviceAccountName,
            automountServiceAccountToken: false,
            containers: [frontendContainer(args)],
          }),
        },
      },
      { parent: this, provider: args.provider },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      httpServiceSpec({ name: NAMES.frontendService, namespace: args.namespace, selector, targetPort: PORTS.frontend, hasLocalPods: args.replicas > 0 }),
      { parent: this, provider: args.provider },
    );
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({ serviceName: this.serviceName, serviceAccountName: this.serviceAccountName });
  }
}

/** The frontend's container: calls worker-service, subscribes to Redis, marks burst hashes, reads the watcher's routing. */
function frontendContainer(args: FrontendAppArgs): k8s.types.input.core.v1.Container {
  return nodeServiceContainer({
    name: "frontend",
    image: args.image,
    port: PORTS.frontend,
    env: [
      { name: "PORT", value: String(PORTS.frontend) },
      { name: "PROCESSOR_URL", value: `http://${NAMES.workerService}` },
      secretEnv("REDIS_URL", args.redisSecretName, REDIS_SECRET_KEYS.url),
      { name: "BURST_PREFIX", value: BURST_PREFIX },
      ...(args.watcherUrl === undefined ? [] : [{ name: "WATCHER_URL", value: args.watcherUrl }]),
    ],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
  });
}
