import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** The protocols of the 2018 codelab's `istio-multicluster-test-pods` rule (`--allow=tcp,udp,icmp,esp,ah,sctp`). */
export const CROSS_CLUSTER_PROTOCOLS = ["tcp", "udp", "icmp", "esp", "ah", "sctp"] as const;

export interface CrossClusterFirewallArgs {
  /** firewall rule name; unique per project (carries the stack's random suffix) */
  ruleName: pulumi.Input<string>;
  /** Google Cloud project id */
  project: pulumi.Input<string>;
  /** VPC network of both clusters (the stack's own network) */
  network: pulumi.Input<string>;
  /** pod ranges of every cluster (sources; the subnets' fixed pods ranges, known at preview); never 0.0.0.0/0 */
  sourceRanges: pulumi.Input<string>[];
  /** node network tags of every cluster (targets) */
  targetTags: pulumi.Input<string>[];
  /** the GCP provider */
  gcpProvider: gcp.Provider;
}

/**
 * Lets the pods of every cluster reach the nodes (and so the pods) of every cluster: one network for
 * the mesh, so sidecars talk pod-to-pod across clusters. Sources are exactly the clusters' pod ranges.
 */
export class CrossClusterFirewall extends pulumi.ComponentResource {
  public readonly firewall: gcp.compute.Firewall;
  public readonly ruleName: pulumi.Output<string>;
  public readonly sourceRanges: pulumi.Output<string[]>;
  public readonly targetTags: pulumi.Output<string[]>;

  constructor(name: string, args: CrossClusterFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:CrossClusterFirewall", name, {}, opts);
    if (args.sourceRanges.length === 0 || args.targetTags.length === 0)
      throw new pulumi.ResourceError(`${name}: sourceRanges and targetTags must not be empty`, this);
    const worldOpen = (r: string) => /^0\.0\.0\.0\/0$|^::\/0$/.test(r.trim());
    const openMessage = (r: string) => `${name}: source range ${r} would open the nodes to everyone; only pod ranges are allowed`;
    // Known ranges are checked now; computed ones (the clusters' pod ranges) once they are known.
    for (const r of args.sourceRanges) if (typeof r === "string" && worldOpen(r)) throw new pulumi.ResourceError(openMessage(r), this);

    this.sourceRanges = pulumi.all(args.sourceRanges).apply((ranges) => {
      for (const r of ranges) if (worldOpen(r)) throw new pulumi.ResourceError(openMessage(r), this);
      // Deterministic order, no duplicates: a re-run must not show a diff.
      return [...new Set(ranges.filter((r) => r !== ""))].sort();
    });
    this.targetTags = pulumi.all(args.targetTags).apply((tags) => [...new Set(tags)].sort());

    this.firewall = new gcp.compute.Firewall(
      `${name}-rule`,
      {
        name: args.ruleName,
        project: args.project,
        network: args.network,
        description: "istio-burst: pods of every mesh cluster to the nodes of every mesh cluster",
        direction: "INGRESS",
        // as in the 2018 codelab
        priority: 900,
        allows: CROSS_CLUSTER_PROTOCOLS.map((protocol) => ({ protocol })),
        sourceRanges: this.sourceRanges,
        targetTags: this.targetTags,
      },
      // A fixed name: a replacement (another network) must delete the old rule first.
      { parent: this, provider: args.gcpProvider, deleteBeforeReplace: true },
    );
    this.ruleName = this.firewall.name;

    this.registerOutputs({ ruleName: this.ruleName, sourceRanges: this.sourceRanges, targetTags: this.targetTags });
  }
}
