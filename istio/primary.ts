import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_CLUSTERS } from "../packages/contract/src";
import { PINNED_VERSION_RE, type ChartSource } from "../k8s/charts";
import { baseAndIstiod, ISTIO_NAMESPACE, istioChart, istioObject, istioSystemNamespace, loadBalancerAddress, type K8sChildOpts } from "./common";
import { EAST_WEST_LABELS, eastWestGatewayRelease, type EastWestGatewayArgs } from "./east-west-gateway";

export interface IstioPrimaryArgs {
  /** Kubernetes provider of the primary cluster */
  provider: k8s.Provider;
  /** pinned Istio release = chart version, e.g. `1.31.4` */
  version: string;
  /** where the Istio charts come from (a Helm repository, an OCI registry or a folder) */
  charts: ChartSource;
  /** `global.meshID` */
  meshId: string;
  /** this cluster's Istio network: `global.network`, the istio-system label, the east-west gateway's `networkGateway` */
  network: string;
  /** `global.multiCluster.clusterName` of this cluster (default `ISTIO_CLUSTERS.primary`) */
  clusterName?: string;
  /** put the east-west gateway behind an internal (VPC-only, GKE) load balancer (default true) */
  eastWestInternal?: boolean;
  /** CIDRs allowed to reach the east-west gateway's load balancer (`service.loadBalancerSourceRanges`); default none: unrestricted */
  eastWestSourceRanges?: string[];
  /** an address reserved for the east-west gateway's load balancer (the burst cluster's `remotePilotAddress`); default: whatever the cloud assigns */
  eastWestAddress?: pulumi.Input<string>;
  /**
   * expose every mesh service (`*.local`) on the east-west gateways with the cross-network Gateway
   * (15443, AUTO_PASSTHROUGH): for clusters on different networks only (default false)
   */
  exposeServices?: boolean;
}

/**
 * Istio on the primary cluster from the official Helm charts: `base`, `istiod` serving as external
 * control plane for remote clusters, the ingress gateway, and an east-west gateway exposing istiod
 * (15012 xDS/CA, 15017 webhooks) to the burst cluster with the expose-istiod Gateway/VirtualService.
 * On two networks, also the cross-network Gateway: every mesh service on 15443 of the east-west
 * gateways of both clusters (istiod serves the burst cluster's gateway from this cluster's config).
 * Everything crossing a gateway stays TLS end to end: the Gateways pass it through, never terminate it.
 */
export class IstioPrimary extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly base: k8s.helm.v3.Release;
  public readonly istiod: k8s.helm.v3.Release;
  public readonly ingressGateway: k8s.helm.v3.Release;
  public readonly eastWestGateway: k8s.helm.v3.Release;
  /** the cross-network Gateway `cross-network-gateway` (only with `exposeServices`) */
  public readonly crossNetworkGateway?: k8s.apiextensions.CustomResource;
  /** name of the istio-system namespace (depends on its creation) */
  public readonly namespaceName: pulumi.Output<string>;
  /** address (IP, else hostname) of the east-west gateway's load balancer: the burst cluster's `remotePilotAddress` */
  public readonly eastWestGatewayAddress: pulumi.Output<string>;
  /** public address of the ingress gateway (the frontend's URL host) */
  public readonly ingressGatewayAddress: pulumi.Output<string>;
  /** label selector of the ingress gateway pods, for `Gateway.spec.selector` */
  public readonly ingressGatewaySelector: { istio: string };

  constructor(name: string, args: IstioPrimaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:IstioPrimary", name, {}, opts);
    if (!PINNED_VERSION_RE.test(args.version))
      throw new pulumi.ResourceError(`${name}: Istio version ${JSON.stringify(args.version)} must be pinned, like 1.31.4`, this);
    const clusterName = args.clusterName ?? ISTIO_CLUSTERS.primary;
    const k = { parent: this, provider: args.provider };

    this.namespace = istioSystemNamespace(name, args.network, k);
    this.namespaceName = this.namespace.metadata.name;
    const core = baseAndIstiod(
      name,
      args,
      this.namespaceName,
      // This istiod also serves the remote (burst) cluster.
      { base: { defaultRevision: "default" }, istiod: { global: { meshID: args.meshId, multiCluster: { clusterName }, network: args.network, externalIstiod: true } } },
      k,
    );
    this.base = core.base;
    this.istiod = core.istiod;
    this.ingressGateway = new k8s.helm.v3.Release(
      `${name}-ingressgateway`,
      { ...istioChart("gateway", args.version, args.charts), name: "istio-ingressgateway", namespace: this.namespaceName, values: { service: { type: "LoadBalancer" } } },
      { ...k, dependsOn: [this.istiod] },
    );
    this.ingressGatewaySelector = { istio: "ingressgateway" };

    const eastWest = eastWestGatewayRelease(`${name}-eastwestgateway`, eastWestArgs(args, this.namespaceName, this.istiod), this);
    this.eastWestGateway = eastWest.release;
    this.eastWestGatewayAddress = eastWest.address;

    const gatewayDeps = [this.base, this.istiod, this.eastWestGateway];
    exposeIstiod(name, this.namespaceName, gatewayDeps, k);
    if (args.exposeServices) this.crossNetworkGateway = crossNetworkGateway(name, this.namespaceName, gatewayDeps, k);

    this.ingressGatewayAddress = loadBalancerAddress(
      `${name}-ingressgateway-svc`,
      pulumi.interpolate`${this.ingressGateway.status.namespace}/${this.ingressGateway.status.name}`,
      { ...k, dependsOn: [this.ingressGateway] },
    );

    this.registerOutputs({
      namespaceName: this.namespaceName,
      eastWestGatewayAddress: this.eastWestGatewayAddress,
      ingressGatewayAddress: this.ingressGatewayAddress,
    });
  }
}

/** samples/multicluster/expose-istiod.yaml: TLS passthrough of 15012 and 15017 on the east-west gateway to istiod. */
function exposeIstiod(name: string, namespace: pulumi.Input<string>, dependsOn: pulumi.Resource[], k: K8sChildOpts): void {
  const exposeGateway = istioObject(
    `${name}-istiod-gateway`,
    {
      kind: "Gateway",
      metadata: { name: "istiod-gateway", namespace },
      spec: {
        selector: { istio: EAST_WEST_LABELS.istio },
        servers: [
          { port: { name: "tls-istiod", number: 15012, protocol: "tls" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
          { port: { name: "tls-istiodwebhook", number: 15017, protocol: "tls" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
        ],
      },
    },
    { ...k, dependsOn },
  );
  const istiodHost = `istiod.${ISTIO_NAMESPACE}.svc.cluster.local`;
  istioObject(
    `${name}-istiod-vs`,
    {
      kind: "VirtualService",
      metadata: { name: "istiod-vs", namespace },
      spec: {
        hosts: ["*"],
        gateways: ["istiod-gateway"],
        tls: [
          { match: [{ port: 15012, sniHosts: ["*"] }], route: [{ destination: { host: istiodHost, port: { number: 15012 } } }] },
          { match: [{ port: 15017, sniHosts: ["*"] }], route: [{ destination: { host: istiodHost, port: { number: 443 } } }] },
        ],
      },
    },
    { ...k, dependsOn: [exposeGateway] },
  );
}

/**
 * samples/multicluster/expose-services.yaml: mTLS from the sidecars of the other network, passed
 * through by SNI (AUTO_PASSTHROUGH) to the destination pod's sidecar, which terminates it.
 */
function crossNetworkGateway(name: string, namespace: pulumi.Input<string>, dependsOn: pulumi.Resource[], k: K8sChildOpts): k8s.apiextensions.CustomResource {
  return istioObject(
    `${name}-cross-network-gateway`,
    {
      kind: "Gateway",
      metadata: { name: "cross-network-gateway", namespace },
      spec: {
        selector: { istio: EAST_WEST_LABELS.istio },
        servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
      },
    },
    { ...k, dependsOn },
  );
}

/** The primary's east-west gateway: internal unless told, after istiod. */
function eastWestArgs(args: IstioPrimaryArgs, namespace: pulumi.Input<string>, istiod: k8s.helm.v3.Release): EastWestGatewayArgs {
  return {
    provider: args.provider,
    version: args.version,
    charts: args.charts,
    namespace,
    network: args.network,
    internal: args.eastWestInternal ?? true,
    sourceRanges: args.eastWestSourceRanges ?? [],
    address: args.eastWestAddress,
    dependsOn: [istiod],
  };
}
