import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CLUSTER_TYPE, NAMES, PORTS, Weights, weightsError } from "../apps/k8s-common";

/**
 * The worker VirtualService paths Pulumi leaves alone after creation: the watcher patches the route
 * weights at run time, and the next `pulumi up` must not put the natural weights back.
 *
 * Why the whole `spec.http` and not `spec.http[0].route[0].weight`: with Server-Side Apply (the
 * default of @pulumi/kubernetes v4) the provider handles an ignored path by dropping it from the
 * apply when another field manager owns it, and it cannot address list items; Istio's `http` list is
 * atomic, so the watcher's patch makes it the owner of `.spec.http` as a whole. Consequence: later
 * edits to the http block (retries, timeouts) need the watcher stopped and a `pulumi up
 * --target`/replace, or a kubectl edit; everything else in the object is still managed.
 */
export const WORKER_WEIGHTS_IGNORE_CHANGES = ["spec.http"];

const ISTIO_NETWORKING = "networking.istio.io/v1";
const ISTIO_SECURITY = "security.istio.io/v1";

export interface HashrRoutingArgs {
  /** Kubernetes provider of the primary cluster: istiod reads its configuration there and pushes it to the sidecars of both clusters. Required. */
  provider: k8s.Provider;
  /** The workloads' namespace. Required. */
  namespace: pulumi.Input<string>;
  /** Weights `[primary, burst]` the worker VirtualService is created with (the watcher owns them afterwards). Required; two integers 0..100 summing to 100. */
  naturalWeights: Weights;
  /** Labels of the Istio ingress gateway pods the frontend Gateway binds to. Default `{ istio: "ingressgateway" }`. */
  ingressGatewaySelector?: Record<string, string>;
  /** Host names the frontend answers on through the ingress gateway. Default `["*"]`. */
  frontendHosts?: string[];
  /** Resources that must exist first: the Istio install that defines the networking/security CRDs. Default none. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Istio traffic objects of String Hashr, in the primary cluster:
 * - Gateway `frontend-gateway` + VirtualService `frontend-ingress-virtual-service`: HTTP on the ingress gateway -> `frontend-service`;
 * - VirtualService `redis-virtual-service`: TCP route to `redis-cache-service` (burst workers reach primary's Redis through the mesh);
 * - VirtualService `worker-virtual-service`: `worker-service` split between subsets `primary` and `burst` at the natural weights,
 *   weights left to the watcher afterwards (see WORKER_WEIGHTS_IGNORE_CHANGES);
 * - DestinationRule `worker-destination-rule`: subsets by the `cluster-type` label;
 * - PeerAuthentication `default`: mutual TLS STRICT for the namespace.
 */
export class HashrRouting extends pulumi.ComponentResource {
  /** `worker-virtual-service` (the watcher's VIRTUAL_SERVICE) */
  public readonly workerVirtualServiceName: pulumi.Output<string>;
  /** the weights the worker VirtualService was declared with */
  public readonly naturalWeights: Weights;
  public readonly gateway: k8s.apiextensions.CustomResource;
  public readonly frontendVirtualService: k8s.apiextensions.CustomResource;
  public readonly redisVirtualService: k8s.apiextensions.CustomResource;
  public readonly workerVirtualService: k8s.apiextensions.CustomResource;
  public readonly workerDestinationRule: k8s.apiextensions.CustomResource;
  public readonly peerAuthentication: k8s.apiextensions.CustomResource;

  constructor(name: string, args: HashrRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:HashrRouting", name, {}, opts);

    if (!args.provider) throw new pulumi.ResourceError("provider is required (no default Kubernetes provider is used)", this);
    const bad = weightsError("naturalWeights", args.naturalWeights);
    if (bad) throw new pulumi.ResourceError(bad, this);
    const selector = args.ingressGatewaySelector ?? { istio: "ingressgateway" };
    if (Object.keys(selector).length === 0) {
      throw new pulumi.ResourceError("ingressGatewaySelector must not be empty (it would bind the Gateway to every gateway pod)", this);
    }
    const frontendHosts = args.frontendHosts ?? ["*"];
    if (frontendHosts.length === 0) throw new pulumi.ResourceError("frontendHosts must name at least one host", this);

    this.naturalWeights = [args.naturalWeights[0], args.naturalWeights[1]];
    const ns = args.namespace;
    const fqdn = (service: string) => pulumi.interpolate`${service}.${ns}.svc.cluster.local`;
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

    this.gateway = new k8s.apiextensions.CustomResource(
      `${name}-frontend-gateway`,
      {
        apiVersion: ISTIO_NETWORKING,
        kind: "Gateway",
        metadata: { name: NAMES.frontendGateway, namespace: ns },
        spec: {
          selector,
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: frontendHosts }],
        },
      },
      childOpts,
    );

    this.frontendVirtualService = new k8s.apiextensions.CustomResource(
      `${name}-frontend-vs`,
      {
        apiVersion: ISTIO_NETWORKING,
        kind: "VirtualService",
        metadata: { name: NAMES.frontendVirtualService, namespace: ns },
        spec: {
          hosts: frontendHosts,
          gateways: [NAMES.frontendGateway],
          http: [{ route: [{ destination: { host: fqdn(NAMES.frontendService), port: { number: PORTS.service } } }] }],
        },
      },
      childOpts,
    );

    this.redisVirtualService = new k8s.apiextensions.CustomResource(
      `${name}-redis-vs`,
      {
        apiVersion: ISTIO_NETWORKING,
        kind: "VirtualService",
        metadata: { name: NAMES.redisVirtualService, namespace: ns },
        spec: {
          hosts: [fqdn(NAMES.redisService)],
          gateways: ["mesh"],
          tcp: [
            {
              match: [{ port: PORTS.redis }],
              route: [{ destination: { host: fqdn(NAMES.redisService), port: { number: PORTS.redis } } }],
            },
          ],
        },
      },
      childOpts,
    );

    this.workerDestinationRule = new k8s.apiextensions.CustomResource(
      `${name}-worker-dr`,
      {
        apiVersion: ISTIO_NETWORKING,
        kind: "DestinationRule",
        metadata: { name: NAMES.workerDestinationRule, namespace: ns },
        spec: {
          host: fqdn(NAMES.workerService),
          subsets: [
            { name: "primary", labels: { "cluster-type": CLUSTER_TYPE.primary } },
            { name: "burst", labels: { "cluster-type": CLUSTER_TYPE.burst } },
          ],
        },
      },
      childOpts,
    );

    const [primaryWeight, burstWeight] = this.naturalWeights;
    this.workerVirtualService = new k8s.apiextensions.CustomResource(
      `${name}-worker-vs`,
      {
        apiVersion: ISTIO_NETWORKING,
        kind: "VirtualService",
        metadata: {
          name: NAMES.workerVirtualService,
          namespace: ns,
          annotations: {
            "istio-burst/weights-owner": "istio-watcher",
            "istio-burst/natural-weights": `${primaryWeight},${burstWeight}`,
          },
        },
        spec: {
          hosts: [fqdn(NAMES.workerService)],
          gateways: ["mesh"],
          http: [
            {
              name: "worker-split",
              route: [
                { destination: { host: fqdn(NAMES.workerService), subset: "primary", port: { number: PORTS.service } }, weight: primaryWeight },
                { destination: { host: fqdn(NAMES.workerService), subset: "burst", port: { number: PORTS.service } }, weight: burstWeight },
              ],
            },
          ],
        },
      },
      // The subsets must exist before a route names them, or sidecars get 503 NR for a moment.
      { ...childOpts, dependsOn: [...(args.dependsOn ?? []), this.workerDestinationRule], ignoreChanges: WORKER_WEIGHTS_IGNORE_CHANGES },
    );
    this.workerVirtualServiceName = this.workerVirtualService.metadata.name;

    this.peerAuthentication = new k8s.apiextensions.CustomResource(
      `${name}-mtls`,
      {
        apiVersion: ISTIO_SECURITY,
        kind: "PeerAuthentication",
        metadata: { name: NAMES.peerAuthentication, namespace: ns },
        spec: { mtls: { mode: "STRICT" } },
      },
      childOpts,
    );

    this.registerOutputs({ workerVirtualServiceName: this.workerVirtualServiceName, naturalWeights: this.naturalWeights });
  }
}
