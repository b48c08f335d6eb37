import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** The GKE clusters the stack may create, each with its own subnet. */
export type GkeClusterRole = "primary" | "burst";

/** One GKE cluster's address ranges: the subnet's primary range (nodes) and its two named secondary ranges. */
export interface GkeRanges {
  /** the subnet's primary range: node addresses (and internal load balancers' addresses) */
  nodes: string;
  /** the secondary range named `pods`: pod addresses, the cross-cluster firewall rule's source */
  pods: string;
  /** the secondary range named `services`: ClusterIP addresses */
  services: string;
}

/**
 * The fixed ranges of the stack's own network, one set per GKE cluster. None overlaps another
 * (tests/infra/network.test.ts), all in 10.0.0.0/8 away from the auto-mode networks' 10.128.0.0/9,
 * sized as GKE's defaults (a /14 of pods: 1024 nodes of 110 pods; a /20 of Services). Being fixed, the
 * pod ranges are known at preview: the firewall rule names them exactly. README: "The stack's network".
 */
export const GKE_RANGES: Readonly<Record<GkeClusterRole, Readonly<GkeRanges>>> = Object.freeze({
  primary: Object.freeze({ nodes: "10.10.0.0/20", pods: "10.16.0.0/14", services: "10.10.16.0/20" }),
  burst: Object.freeze({ nodes: "10.11.0.0/20", pods: "10.20.0.0/14", services: "10.11.16.0/20" }),
});

/** Names of the secondary ranges in each subnet (the clusters' `clusterSecondaryRangeName`, `servicesSecondaryRangeName`). */
export const SECONDARY_RANGE_NAMES = { pods: "pods", services: "services" } as const;

/** One GKE cluster's subnet, as GkeCluster takes it. */
export interface GkeSubnet {
  /** the subnet's name (an output of the subnet, so the cluster waits for it) */
  name: pulumi.Output<string>;
  /** its ranges (fixed: GKE_RANGES) */
  ranges: Readonly<GkeRanges>;
  /** the secondary range of the pods */
  podRangeName: string;
  /** the secondary range of the Services */
  serviceRangeName: string;
}

export interface GkeNetworkArgs {
  /** the network's name; unique per project (carries the stack's random suffix); subnets are named `<networkName>-<cluster>` */
  networkName: pulumi.Input<string>;
  /** Google Cloud project id */
  project: pulumi.Input<string>;
  /** region of the subnets (the clusters' zone's region), e.g. `us-west1` */
  region: pulumi.Input<string>;
  /** the GKE clusters that get a subnet (only the ones the stack creates); not empty */
  clusters: GkeClusterRole[];
  /** the GCP provider */
  gcpProvider: gcp.Provider;
  /** resources to wait for (the Compute API) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The stack's own VPC network for its GKE clusters: custom mode (no automatic subnets), regional
 * routing, and one subnet per cluster with its pods and Services as named secondary ranges. No
 * cluster shares a subnet, so no two clusters add ranges to one subnet at the same time, and nothing
 * depends on the project's `default` network (which may not exist).
 */
export class GkeNetwork extends pulumi.ComponentResource {
  public readonly network: gcp.compute.Network;
  /** the network's name (the clusters' and the firewall rule's network, the `gkeNetwork` stack output) */
  public readonly networkName: pulumi.Output<string>;
  /** the subnet of each cluster given */
  public readonly subnets: Partial<Record<GkeClusterRole, GkeSubnet>>;

  constructor(name: string, args: GkeNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:GkeNetwork", name, {}, opts);
    if (args.clusters.length === 0) throw new pulumi.ResourceError(`${name}: clusters must not be empty`, this);
    const gcpOpts = { parent: this, provider: args.gcpProvider };

    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      {
        name: args.networkName,
        project: args.project,
        description: "istio-burst: the GKE clusters' network",
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
      },
      { ...gcpOpts, dependsOn: args.dependsOn },
    );
    this.networkName = this.network.name;

    this.subnets = {};
    for (const cluster of [...new Set(args.clusters)]) {
      const ranges = GKE_RANGES[cluster];
      const subnet = new gcp.compute.Subnetwork(
        `${name}-${cluster}`,
        {
          name: pulumi.interpolate`${args.networkName}-${cluster}`,
          project: args.project,
          region: args.region,
          network: this.network.name,
          description: `istio-burst: the ${cluster} GKE cluster's nodes, pods and Services`,
          ipCidrRange: ranges.nodes,
          secondaryIpRanges: [
            { rangeName: SECONDARY_RANGE_NAMES.pods, ipCidrRange: ranges.pods },
            { rangeName: SECONDARY_RANGE_NAMES.services, ipCidrRange: ranges.services },
          ],
          // nodes without external addresses (none today) still reach Google's APIs and Artifact Registry
          privateIpGoogleAccess: true,
        },
        gcpOpts,
      );
      this.subnets[cluster] = {
        name: subnet.name,
        ranges,
        podRangeName: SECONDARY_RANGE_NAMES.pods,
        serviceRangeName: SECONDARY_RANGE_NAMES.services,
      };
    }

    this.registerOutputs({ networkName: this.networkName });
  }
}
