import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** How the east-west gateways are exposed: internal (VPC-only) or public load balancers. */
export type EastWestExposure = "internal" | "public";

export interface EastWestAddressArgs {
  /** the address's name; unique per project and region (carries the stack's random suffix) */
  addressName: pulumi.Input<string>;
  /** Google Cloud project id */
  project: pulumi.Input<string>;
  /** region of the GKE primary (a passthrough load balancer's address is regional) */
  region: pulumi.Input<string>;
  /** `internal`: an address in the primary's subnet; `public`: a regional external address */
  exposure: EastWestExposure;
  /** the GKE primary's subnet (its name); required for `internal`, not used for `public` */
  subnetwork?: pulumi.Input<string>;
  /** the GCP provider */
  gcpProvider: gcp.Provider;
  /** resources to wait for (the Compute API) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The address reserved for the GKE primary's east-west gateway: its load balancer takes it
 * (`service.loadBalancerIP`), so the burst cluster's `remotePilotAddress` survives a re-created
 * Service or gateway release, and is known before the load balancer exists. Internal: a static
 * internal address in the primary's subnet (an internal passthrough load balancer takes its address
 * from the cluster's subnet); public: a static external regional address (Premium tier, as GKE's
 * passthrough load balancers).
 */
export class EastWestAddress extends pulumi.ComponentResource {
  public readonly reserved: gcp.compute.Address;
  /** the reserved IP address */
  public readonly address: pulumi.Output<string>;

  constructor(name: string, args: EastWestAddressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:EastWestAddress", name, {}, opts);
    if (args.exposure === "internal" && args.subnetwork === undefined)
      throw new pulumi.ResourceError(`${name}: an internal east-west address needs the primary's subnetwork`, this);
    const internal = args.exposure === "internal";

    this.reserved = new gcp.compute.Address(
      `${name}-ip`,
      {
        name: args.addressName,
        project: args.project,
        region: args.region,
        description: `istio-burst: the primary's east-west gateway (${args.exposure} load balancer), the burst cluster's remotePilotAddress`,
        // An internal address names its subnet and takes no network tier (internal traffic is always Premium).
        ...(internal ? { addressType: "INTERNAL", subnetwork: args.subnetwork, purpose: "GCE_ENDPOINT" } : { addressType: "EXTERNAL", networkTier: "PREMIUM" }),
      },
      { parent: this, provider: args.gcpProvider, dependsOn: args.dependsOn },
    );
    this.address = this.reserved.address;

    this.registerOutputs({ address: this.address });
  }
}
