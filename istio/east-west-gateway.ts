import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EAST_WEST_RELEASE } from "../packages/contract/src";
import type { ChartSource } from "../k8s/charts";
import { istioChart, loadBalancerAddress } from "./common";

/** Pod labels of an east-west gateway; the expose-istiod and cross-network Gateways select on `istio`. */
export const EAST_WEST_LABELS: Readonly<{ istio: string; app: string }> = Object.freeze({ istio: "eastwestgateway", app: "istio-eastwestgateway" });

/** Helm release name of an east-west gateway (the contract's: `npm run doctor` reads its Service). */
export { EAST_WEST_RELEASE };

/** GKE's annotation for an internal (VPC-only) passthrough load balancer. */
export const GKE_INTERNAL_LB_ANNOTATION = { "networking.gke.io/load-balancer-type": "Internal" } as const;

/** How an east-west gateway's load balancer is exposed. */
export interface EastWestExposure {
  /** the Istio network this gateway serves (`networkGateway`) */
  network: string;
  /** behind an internal, VPC-only GKE load balancer (only meaningful on GKE) */
  internal: boolean;
  /** CIDRs allowed to reach the load balancer (`service.loadBalancerSourceRanges`); empty = no restriction */
  sourceRanges: string[];
  /**
   * An address reserved for the load balancer (`service.loadBalancerIP`): it survives a re-created
   * Service, and is known before the load balancer exists; absent = whatever the cloud assigns
   */
  address?: pulumi.Input<string>;
}

/**
 * The gateway chart's values for an east-west gateway. With `networkGateway` set, the chart
 * (templates/service.yaml) renders the Service's ports itself: 15021 status, 15443 tls, 15012
 * tls-istiod, 15017 tls-webhook; it ignores `service.ports`, so none are passed. It also labels the
 * Service and the pods `topology.istio.io/network` and sets the pods' ISTIO_META_REQUESTED_NETWORK_VIEW
 * (templates/deployment.yaml), so that label is not repeated in `labels`. The Service is a plain L4
 * LoadBalancer: TLS goes through it untouched (no annotation terminates it), to the gateway, which
 * passes it through as well.
 */
export function eastWestGatewayValues(exposure: EastWestExposure): Record<string, unknown> {
  return {
    networkGateway: exposure.network,
    labels: { ...EAST_WEST_LABELS },
    service: {
      type: "LoadBalancer",
      annotations: exposure.internal ? { ...GKE_INTERNAL_LB_ANNOTATION } : {},
      ...(exposure.address !== undefined ? { loadBalancerIP: exposure.address } : {}),
      ...(exposure.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...exposure.sourceRanges] } : {}),
    },
  };
}

/** What an east-west gateway is installed with (a cluster's Istio charts, namespace and exposure). */
export interface EastWestGatewayArgs extends EastWestExposure {
  /** Kubernetes provider of the cluster the gateway runs in */
  provider: k8s.Provider;
  /** pinned Istio release = gateway chart version */
  version: string;
  /** where the Istio charts come from */
  charts: ChartSource;
  /** that cluster's istio-system namespace (an output, so the release waits for it) */
  namespace: pulumi.Input<string>;
  /** what the gateway waits for: the Istio install that injects it and serves its configuration */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The east-west gateway's Helm release and its load balancer's address: the reserved one when given
 * (known at preview), else read back from the Service once the release is ready. Used by IstioPrimary for the primary's gateway and by EastWestGateway for
 * the burst cluster's: `name` is the release's logical name, `<name>-svc` the Service read.
 */
export function eastWestGatewayRelease(
  name: string,
  args: EastWestGatewayArgs,
  parent: pulumi.Resource,
): { release: k8s.helm.v3.Release; address: pulumi.Output<string> } {
  const k = { parent, provider: args.provider };
  const release = new k8s.helm.v3.Release(
    name,
    {
      ...istioChart("gateway", args.version, args.charts),
      name: EAST_WEST_RELEASE,
      namespace: args.namespace,
      values: eastWestGatewayValues(args),
    },
    { ...k, dependsOn: args.dependsOn },
  );
  // A reserved address is the gateway's from the start: the burst cluster's install need not wait for
  // the load balancer (npm run doctor checks the Service got it).
  const address =
    args.address !== undefined
      ? pulumi.output(args.address)
      : loadBalancerAddress(`${name}-svc`, pulumi.interpolate`${release.status.namespace}/${release.status.name}`, { ...k, dependsOn: [release] });
  return { release, address };
}

/**
 * The burst cluster's east-west gateway, on two networks: the primary's sidecars reach the burst
 * workers through it (15443, the cross-network Gateway in the primary configures it, as istiod serves
 * the burst cluster's gateways from the primary's config). Its pods are injected and configured by the
 * primary's istiod, so it waits for the remote install and the remote secret.
 */
export class EastWestGateway extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  /** the load balancer's address (IP, else hostname) */
  public readonly address: pulumi.Output<string>;

  constructor(name: string, args: EastWestGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:EastWestGateway", name, {}, opts);
    ({ release: this.release, address: this.address } = eastWestGatewayRelease(name, args, this));
    this.registerOutputs({ address: this.address });
  }
}
