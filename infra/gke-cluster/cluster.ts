import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { GkeClusterArgs } from "./index";

/** The parent and provider of a GKE cluster's children. */
export interface GcpChildOpts {
  parent: pulumi.Resource;
  provider: gcp.Provider;
}

/** What nodeIdentity gives every node template. */
export type NodeIdentity = ReturnType<typeof nodeIdentity>;

/** Who every node of the cluster is, and how it is hardened, whatever its pool. */
export function nodeIdentity(serviceAccount: pulumi.Input<string>) {
  return {
    serviceAccount,
    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
  };
}

/**
 * The zonal, VPC-native control plane in its subnet (pods and Services in the subnet's named
 * secondary ranges), workload identity, the default pool removed once created.
 */
export function gkeControlPlane(name: string, args: GkeClusterArgs, identity: NodeIdentity, gcpOpts: GcpChildOpts): gcp.container.Cluster {
  return new gcp.container.Cluster(
    `${name}-cluster`,
    {
      name: args.clusterName,
      project: args.project,
      location: args.zone,
      network: args.network,
      subnetwork: args.subnet.name,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: args.subnet.podRangeName, servicesSecondaryRangeName: args.subnet.serviceRangeName },
      minMasterVersion: args.minMasterVersion,
      // The default pool exists only while the cluster is created, then is removed; its nodes still
      // run as the stack's node service account (terraform-provider-google#4435).
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: identity,
      releaseChannel: { channel: args.releaseChannel },
      workloadIdentityConfig: { workloadPool: pulumi.interpolate`${args.project}.svc.id.goog` },
      deletionProtection: false,
    },
    // A fixed name: a replacement (another network, zone or subnet) must delete the old cluster first.
    { ...gcpOpts, dependsOn: args.dependsOn, ignoreChanges: ["initialNodeCount", "nodeConfig"], deleteBeforeReplace: true },
  );
}
