import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  CLUSTER_TYPE,
  CLUSTER_TYPE_LABEL,
  NAMES,
  PORTS,
  SIDES,
  SUBSETS,
  formatWeights,
  serviceFqdn,
  type Weights,
} from "../packages/contract/src";
import { ISTIO_SECURITY, istioObject } from "./common";

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

export interface HashrRoutingArgs {
  /** Kubernetes provider of the primary cluster: istiod reads its configuration there and pushes it to the sidecars of both clusters. */
  provider: k8s.Provider;
  /** The workloads' namespace. */
  namespace: pulumi.Input<string>;
  /** Weights the worker VirtualService is created with (the watcher owns them afterwards); config.ts checks them. */
  naturalWeights: Weights;
  /** Labels of the Istio ingress gateway pods the frontend Gateway binds to; not empty. */
  ingressGatewaySelector: Record<string, string>;
  /** Resources that must exist first: the Istio install that defines the networking/security CRDs. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Istio traffic objects of String Hashr, in the primary cluster:
 * - Gateway `frontend-gateway` + VirtualService `frontend-ingress-virtual-service`: HTTP on the ingress gateway (any host) -> `frontend-service`;
 * - VirtualService `redis-virtual-service`: TCP route to `redis-cache-service` (burst workers reach primary's Redis through the mesh);
 * - VirtualService `worker-virtual-service`: `worker-service` split between subsets `primary` and `burst` at the natural weights,
 *   weights left to the watcher afterwards (see WORKER_WEIGHTS_IGNORE_CHANGES);
 * - DestinationRule `worker-destination-rule`: subsets by the `cluster-type` label;
 * - PeerAuthentication `default`: mutual TLS STRICT for the namespace.
 */
export class HashrRouting extends pulumi.ComponentResource {
  /** `worker-virtual-service` (the watcher's VIRTUAL_SERVICE) */
  public readonly workerVirtualServiceName: pulumi.Output<string>;
  public readonly gateway: k8s.apiextensions.CustomResource;
  public readonly frontendVirtualService: k8s.apiextensions.CustomResource;
  public readonly redisVirtualService: k8s.apiextensions.CustomResource;
  public readonly workerVirtualService: k8s.apiextensions.CustomResource;
  public readonly workerDestinationRule: k8s.apiextensions.CustomResource;
  public readonly peerAuthentication: k8s.apiextensions.CustomResource;

  constructor(name: string, args: HashrRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:HashrRouting", name, {}, opts);

    const weights = args.naturalWeights;
    const selector = args.ingressGatewaySelector;
    if (Object.keys(selector).length === 0) {
      throw new pulumi.ResourceError("ingressGatewaySelector must not be empty (it would bind the Gateway to every gateway pod)", this);
    }
    const ns = args.namespace;
    const fqdn = (service: string) => pulumi.output(ns).apply((n) => serviceFqdn(service, n));
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

    const ingress = frontendIngress(name, ns, selector, fqdn, childOpts);
    this.gateway = ingress.gateway;
    this.frontendVirtualService = ingress.virtualService;
    this.redisVirtualService = redisRoute(name, ns, fqdn, childOpts);
    this.workerDestinationRule = workerSubsets(name, ns, fqdn, childOpts);
    // The subsets must exist before a route names them, or sidecars get 503 NR for a moment.
    this.workerVirtualService = workerSplit(name, ns, fqdn, weights, {
      ...childOpts,
      dependsOn: [...args.dependsOn, this.workerDestinationRule],
      ignoreChanges: WORKER_WEIGHTS_IGNORE_CHANGES,
    });
    this.workerVirtualServiceName = this.workerVirtualService.metadata.name;
    this.peerAuthentication = istioObject(
      `${name}-mtls`,
      { apiVersion: ISTIO_SECURITY, kind: "PeerAuthentication", metadata: { name: NAMES.peerAuthentication, namespace: ns }, spec: { mtls: { mode: "STRICT" } } },
      childOpts,
    );

    this.registerOutputs({ workerVirtualServiceName: this.workerVirtualServiceName });
  }
}

/** A Service's cluster-local name in the workloads' namespace. */
type Fqdn = (service: string) => pulumi.Output<string>;
type Namespace = pulumi.Input<string>;

/** Gateway `frontend-gateway` on the ingress gateway (HTTP, any host) and the VirtualService to `frontend-service`. */
function frontendIngress(name: string, namespace: Namespace, selector: Record<string, string>, fqdn: Fqdn, opts: pulumi.CustomResourceOptions) {
  // any host: the frontend is the only thing behind the ingress gateway
  const hosts = ["*"];
  const gateway = istioObject(
    `${name}-frontend-gateway`,
    {
      kind: "Gateway",
      metadata: { name: NAMES.frontendGateway, namespace },
      spec: { selector, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts }] },
    },
    opts,
  );
  const virtualService = istioObject(
    `${name}-frontend-vs`,
    {
      kind: "VirtualService",
      metadata: { name: NAMES.frontendVirtualService, namespace },
      spec: {
        hosts,
        gateways: [NAMES.frontendGateway],
        http: [{ route: [{ destination: { host: fqdn(NAMES.frontendService), port: { number: PORTS.service } } }] }],
      },
    },
    opts,
  );
  return { gateway, virtualService };
}

/** VirtualService `redis-virtual-service`: the TCP route to `redis-cache-service` (burst workers reach primary's Redis through the mesh). */
function redisRoute(name: string, namespace: Namespace, fqdn: Fqdn, opts: pulumi.CustomResourceOptions) {
  const host = fqdn(NAMES.redisService);
  return istioObject(
    `${name}-redis-vs`,
    {
      kind: "VirtualService",
      metadata: { name: NAMES.redisVirtualService, namespace },
      spec: { hosts: [host], gateways: ["mesh"], tcp: [{ match: [{ port: PORTS.redis }], route: [{ destination: { host, port: { number: PORTS.redis } } }] }] },
    },
    opts,
  );
}

/** DestinationRule `worker-destination-rule`: the subsets `primary` and `burst` by the `cluster-type` label. */
function workerSubsets(name: string, namespace: Namespace, fqdn: Fqdn, opts: pulumi.CustomResourceOptions) {
  return istioObject(
    `${name}-worker-dr`,
    {
      kind: "DestinationRule",
      metadata: { name: NAMES.workerDestinationRule, namespace },
      spec: {
        host: fqdn(NAMES.workerService),
        subsets: SIDES.map((side) => ({ name: SUBSETS[side], labels: { [CLUSTER_TYPE_LABEL]: CLUSTER_TYPE[side] } })),
      },
    },
    opts,
  );
}

/** VirtualService `worker-virtual-service`: `worker-service` split between the subsets at the natural weights (the watcher owns them afterwards). */
function workerSplit(name: string, namespace: Namespace, fqdn: Fqdn, weights: Weights, opts: pulumi.CustomResourceOptions) {
  const host = fqdn(NAMES.workerService);
  return istioObject(
    `${name}-worker-vs`,
    {
      kind: "VirtualService",
      metadata: {
        name: NAMES.workerVirtualService,
        namespace,
        annotations: { "istio-burst/weights-owner": NAMES.watcher, "istio-burst/natural-weights": formatWeights(weights) },
      },
      spec: {
        hosts: [host],
        gateways: ["mesh"],
        http: [
          {
            name: "worker-split",
            // primary first, burst second (the watcher finds them by subset name)
            route: SIDES.map((side) => ({ destination: { host, subset: SUBSETS[side], port: { number: PORTS.service } }, weight: weights[side] })),
          },
        ],
      },
    },
    opts,
  );
}
