import * as pulumi from "@pulumi/pulumi";

/** The stack output that names the GKE clusters' network (the stack's own, since it has one). */
export const GKE_NETWORK_OUTPUT = "gkeNetwork";
/** The stack outputs that name the clusters. */
export const CLUSTER_NAME_OUTPUTS = ["primaryClusterName", "burstClusterName"] as const;

/**
 * This stack's fully qualified name (`organization/project/stack`), as a StackReference names it;
 * undefined where the engine does not say its organization (an older CLI): then nothing is read.
 */
export function thisStackName(): string | undefined {
  try {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  } catch {
    return undefined;
  }
}

/**
 * Of this update's GKE clusters, the ones the stack's previous outputs show created on a network that
 * was not the stack's own: their names among the cluster-name outputs, and no `gkeNetwork` output.
 * A first update (no outputs at all) moves nothing.
 */
export function clustersToMove(previous: Record<string, unknown> | undefined, clusterNames: string[]): string[] {
  const outputs = previous ?? {};
  if (outputs[GKE_NETWORK_OUTPUT] !== undefined) return [];
  const before = new Set(CLUSTER_NAME_OUTPUTS.map((k) => outputs[k]).filter((v): v is string => typeof v === "string"));
  return [...new Set(clusterNames.filter((n) => before.has(n)))].sort();
}

export interface NetworkMigrationNoticeArgs {
  /** the names this update gives the stack's GKE clusters (`primary-<suffix>`, `burst-<suffix>`), known at preview */
  gkeClusterNames: pulumi.Input<string>[];
  /** the stack's own network (its name), where the clusters go */
  networkName: pulumi.Input<string>;
  /** the stack whose previous outputs are read; default this stack (none known: nothing is read) */
  stackName?: string;
}

/**
 * Says, in `pulumi preview` and `pulumi up`, when an update moves GKE clusters off the network an
 * earlier version of the stack put them on (`network`, by default `default`) onto the stack's own:
 * it reads this stack's previous outputs through a StackReference to itself, and warns when they name
 * one of this update's GKE clusters but no `gkeNetwork`. Those clusters are replaced (deleted first),
 * and everything the stack made in them with them.
 */
export class NetworkMigrationNotice extends pulumi.ComponentResource {
  /** the clusters this update moves (empty for a new stack, or one already on its own network) */
  public readonly movedClusters: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkMigrationNoticeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:NetworkMigrationNotice", name, {}, opts);
    const stackName = args.stackName ?? thisStackName();
    if (stackName === undefined) {
      this.movedClusters = pulumi.output([]);
      this.registerOutputs({ movedClusters: this.movedClusters });
      return;
    }
    const previous = new pulumi.StackReference(`${name}-previous`, { name: stackName }, { parent: this });
    this.movedClusters = pulumi
      .all([previous.outputs, pulumi.all(args.gkeClusterNames), pulumi.output(args.networkName)])
      .apply(([outputs, clusterNames, network]) => {
        const moved = clustersToMove(outputs, clusterNames);
        if (moved.length > 0)
          pulumi.log.warn(
            `this update moves the GKE cluster${moved.length > 1 ? "s" : ""} ${moved.join(" and ")} onto the stack's own network ${network}: ` +
              `${moved.length > 1 ? "they were" : "it was"} created on the network of the former istio-burst:network key (by default \`default\`). ` +
              `Each is replaced, deleted first (its name is fixed), and everything the stack made in it with it: Istio, Prometheus, the app and the watcher ` +
              `(the live weights and the burst pool's size go back to their configured start; the ingress address changes). ` +
              `See the README, "Move an existing stack onto its own network"; \`pulumi destroy\` then \`pulumi up\` does the same in two steps.`,
            this,
          );
        return moved;
      });
    this.registerOutputs({ movedClusters: this.movedClusters });
  }
}
