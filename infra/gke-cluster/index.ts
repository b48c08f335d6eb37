import type * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GkeSubnet } from "../network";
import { gkeControlPlane, nodeIdentity } from "./cluster";
import { gkeKubeconfig } from "./kubeconfig";
import { gkeNodePools } from "./node-pools";

export { gkeKubeconfig };

export interface GkeClusterArgs {
  /** cluster name in GCP; unique per project (carries the stack's random suffix) */
  clusterName: pulumi.Input<string>;
  /** Google Cloud project id */
  project: pulumi.Input<string>;
  /** zone (zonal cluster), e.g. `us-west1-a` */
  zone: pulumi.Input<string>;
  /** VPC network (its name): the stack's own network */
  network: pulumi.Input<string>;
  /** this cluster's subnet in that network, with its pods and Services as named secondary ranges (GkeNetwork's) */
  subnet: GkeSubnet;
  /** GKE release channel: RAPID, REGULAR or STABLE */
  releaseChannel: pulumi.Input<string>;
  /** the control plane's minimum version (`minMasterVersion`, e.g. `1.34`); the nodes follow the release channel */
  minMasterVersion: pulumi.Input<string>;
  /** node machine type, e.g. `e2-standard-2` */
  machineType: pulumi.Input<string>;
  /** node boot disk size in GB */
  diskSizeGb: pulumi.Input<number>;
  /** fixed node count; with `autoscaling`, the node pool's initial size (may be 0) */
  nodeCount: number;
  /** autoscaling bounds (per zone); absent = fixed size `nodeCount` */
  autoscaling?: { minNodes: number; maxNodes: number };
  /** Spot VMs */
  spot: boolean;
  /** Kubernetes labels of the node pool's nodes; default none */
  nodeLabels?: Record<string, string>;
  /** taints of the node pool's nodes (GKE effects: `NO_SCHEDULE`, ...); default none */
  nodeTaints?: { key: string; value: string; effect: string }[];
  /**
   * A second, always-on pool of `nodeCount` untainted nodes for everything that does not tolerate the
   * main pool's taints (GKE's system pods, Istio's gateways); absent = one pool only.
   */
  systemPool?: { machineType: pulumi.Input<string>; nodeCount: number };
  /** network tags of the nodes (firewall targets) */
  nodeTags: pulumi.Input<string>[];
  /** email of the nodes' service account: every pool's, the initial (removed) default pool's too */
  nodeServiceAccount: pulumi.Input<string>;
  /** the GCP provider (default providers are disabled) */
  gcpProvider: gcp.Provider;
  /** resources the cluster must wait for (API enablement, node IAM) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A zonal, VPC-native GKE cluster in its own subnet (pods and Services in the subnet's named secondary
 * ranges) with workload identity and separately managed node pools (the default pool is removed): the
 * main pool (fixed or autoscaled, optionally labelled and tainted) and, when asked, a small always-on
 * system pool. Every node, the default pool's too while it exists, runs as the given service account,
 * never the Compute Engine default one (which an organisation may have disabled or deleted). Its
 * kubeconfig and a Kubernetes provider bound to it. `deletionProtection` is off so `pulumi destroy`
 * removes it; it is replaced delete-first, as its name is fixed.
 */
export class GkeCluster extends pulumi.ComponentResource {
  public readonly cluster: gcp.container.Cluster;
  /** the main pool (primary: every node; burst: the tainted worker pool that scales from 0) */
  public readonly nodePool: gcp.container.NodePool;
  /** the always-on system pool (`systemPool`), absent otherwise */
  public readonly systemNodePool?: gcp.container.NodePool;
  /** the cluster's name in GCP */
  public readonly clusterName: pulumi.Output<string>;
  /** API server address (IP, without scheme) */
  public readonly endpoint: pulumi.Output<string>;
  /** base64 PEM of the cluster CA */
  public readonly caCertificate: pulumi.Output<string>;
  /** the pod range (CIDR): the subnet's pods range, known at preview */
  public readonly podRange: pulumi.Output<string>;
  /** network tags on the nodes */
  public readonly nodeTags: pulumi.Output<string[]>;
  /** kubeconfig (secret) using gke-gcloud-auth-plugin */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for this cluster; ready once the node pool is */
  public readonly provider: k8s.Provider;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:GkeCluster", name, {}, opts);
    const gcpOpts = { parent: this, provider: args.gcpProvider };
    const identity = nodeIdentity(args.nodeServiceAccount);
    this.cluster = gkeControlPlane(name, args, identity, gcpOpts);
    const pools = gkeNodePools(name, args, this.cluster, identity, gcpOpts);
    this.nodePool = pools.nodePool;
    this.systemNodePool = pools.systemNodePool;

    this.clusterName = this.cluster.name;
    this.endpoint = this.cluster.endpoint;
    this.caCertificate = this.cluster.masterAuth.clusterCaCertificate.apply((ca) => ca ?? "");
    this.podRange = pulumi.output(args.subnet.ranges.pods);
    this.nodeTags = pulumi.output(args.nodeTags);
    this.kubeconfig = pulumi.secret(
      gkeKubeconfig({
        name: pulumi.interpolate`gke_${args.project}_${args.zone}_${this.cluster.name}`,
        endpoint: this.endpoint,
        caCertificate: this.caCertificate,
      }),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig },
      // Objects on this provider wait for the node pools to exist, not just for the control plane.
      { parent: this, dependsOn: this.systemNodePool ? [this.systemNodePool, this.nodePool] : [this.nodePool] },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      podRange: this.podRange,
      nodeTags: this.nodeTags,
      kubeconfig: this.kubeconfig,
    });
  }
}
