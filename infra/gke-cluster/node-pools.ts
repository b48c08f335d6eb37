import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { GcpChildOpts, NodeIdentity } from "./cluster";
import type { GkeClusterArgs } from "./index";

/** The cluster's separately managed pools: the main one and, when asked, the always-on system pool. */
export interface GkeNodePools {
  nodePool: gcp.container.NodePool;
  systemNodePool?: gcp.container.NodePool;
}

/** A pool's node template: the cluster's identity, this machine type, COS, GKE's metadata server, the network tags. */
function nodeConfig(args: GkeClusterArgs, identity: NodeIdentity, machineType: pulumi.Input<string>, spot: boolean): gcp.types.input.container.NodePoolNodeConfig {
  return {
    ...identity,
    machineType,
    diskSizeGb: args.diskSizeGb,
    diskType: "pd-balanced",
    imageType: "COS_CONTAINERD",
    spot,
    tags: args.nodeTags,
    workloadMetadataConfig: { mode: "GKE_METADATA" },
  };
}

/** The main pool (fixed or autoscaled, optionally labelled and tainted) and the system pool (`systemPool`). */
export function gkeNodePools(name: string, args: GkeClusterArgs, cluster: gcp.container.Cluster, identity: NodeIdentity, gcpOpts: GcpChildOpts): GkeNodePools {
  const autoscaled = args.autoscaling !== undefined;
  const poolBase = { project: args.project, location: args.zone, cluster: cluster.name, management: { autoRepair: true, autoUpgrade: true } };
  const nodePool = new gcp.container.NodePool(
    `${name}-nodes`,
    {
      ...poolBase,
      // Fixed pools set nodeCount; autoscaled pools only start at initialNodeCount and let the
      // autoscaler own the size (a nodeCount would fight it on every update).
      ...(autoscaled
        ? { initialNodeCount: args.nodeCount, autoscaling: { minNodeCount: args.autoscaling!.minNodes, maxNodeCount: args.autoscaling!.maxNodes } }
        : { nodeCount: args.nodeCount }),
      nodeConfig: {
        ...nodeConfig(args, identity, args.machineType, args.spot),
        // The autoscaler reads a pool's labels and taints from its template, so it scales a pool of 0
        // nodes up for a pending pod that selects and tolerates them.
        ...(args.nodeLabels ? { labels: args.nodeLabels } : {}),
        ...(args.nodeTaints ? { taints: args.nodeTaints } : {}),
      },
    },
    { ...gcpOpts, dependsOn: args.dependsOn, ignoreChanges: autoscaled ? ["initialNodeCount"] : [] },
  );
  if (!args.systemPool) return { nodePool };
  const systemNodePool = new gcp.container.NodePool(
    `${name}-system-nodes`,
    { ...poolBase, nodeCount: args.systemPool.nodeCount, nodeConfig: nodeConfig(args, identity, args.systemPool.machineType, false) },
    { ...gcpOpts, dependsOn: args.dependsOn },
  );
  return { nodePool, systemNodePool };
}
