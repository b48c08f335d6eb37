import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GkeSubnet } from "./network";

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

/** An exec-credential kubeconfig for a GKE cluster (kubectl and the k8s provider run `gke-gcloud-auth-plugin`). */
export function gkeKubeconfig(args: { name: pulumi.Input<string>; endpoint: pulumi.Input<string>; caCertificate: pulumi.Input<string> }): pulumi.Output<string> {
  return pulumi.all([args.name, args.endpoint, args.caCertificate]).apply(([name, endpoint, ca]) =>
    JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: `https://${endpoint}`, "certificate-authority-data": ca } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [
          {
            name,
            user: {
              exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "gke-gcloud-auth-plugin",
                installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                provideClusterInfo: true,
                interactiveMode: "Never",
              },
            },
          },
        ],
      },
      null,
      2,
    ),
  );
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
    // Who every node of the cluster is, and how it is hardened, whatever its pool.
    const identity = {
      serviceAccount: args.nodeServiceAccount,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    };

    this.cluster = new gcp.container.Cluster(
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

    const autoscaled = args.autoscaling !== undefined;
    const nodeConfig = (machineType: pulumi.Input<string>, spot: boolean): gcp.types.input.container.NodePoolNodeConfig => ({
      ...identity,
      machineType,
      diskSizeGb: args.diskSizeGb,
      diskType: "pd-balanced",
      imageType: "COS_CONTAINERD",
      spot,
      tags: args.nodeTags,
      workloadMetadataConfig: { mode: "GKE_METADATA" },
    });
    const poolBase = { project: args.project, location: args.zone, cluster: this.cluster.name, management: { autoRepair: true, autoUpgrade: true } };

    this.nodePool = new gcp.container.NodePool(
      `${name}-nodes`,
      {
        ...poolBase,
        // Fixed pools set nodeCount; autoscaled pools only start at initialNodeCount and let the
        // autoscaler own the size (a nodeCount would fight it on every update).
        ...(autoscaled
          ? { initialNodeCount: args.nodeCount, autoscaling: { minNodeCount: args.autoscaling!.minNodes, maxNodeCount: args.autoscaling!.maxNodes } }
          : { nodeCount: args.nodeCount }),
        nodeConfig: {
          ...nodeConfig(args.machineType, args.spot),
          // The autoscaler reads a pool's labels and taints from its template, so it scales a pool of 0
          // nodes up for a pending pod that selects and tolerates them.
          ...(args.nodeLabels ? { labels: args.nodeLabels } : {}),
          ...(args.nodeTaints ? { taints: args.nodeTaints } : {}),
        },
      },
      { ...gcpOpts, dependsOn: args.dependsOn, ignoreChanges: autoscaled ? ["initialNodeCount"] : [] },
    );
    if (args.systemPool) {
      this.systemNodePool = new gcp.container.NodePool(
        `${name}-system-nodes`,
        { ...poolBase, nodeCount: args.systemPool.nodeCount, nodeConfig: nodeConfig(args.systemPool.machineType, false) },
        { ...gcpOpts, dependsOn: args.dependsOn },
      );
    }

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
