import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** What the stack needs of either cluster, whoever made it (GkeCluster, ExistingCluster). */
export interface StackCluster {
  /** the cluster's name (GKE's, or the kubeconfig's) */
  readonly clusterName: pulumi.Output<string>;
  /** a kubeconfig of the cluster (secret) */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for this cluster */
  readonly provider: k8s.Provider;
  /** its API server, as the other cluster's readers (istiod, the watcher) reach it */
  readonly endpoint: pulumi.Output<string>;
  /** base64 PEM of its CA; empty: the readers trust their system roots */
  readonly caCertificate: pulumi.Output<string>;
}

export interface ExistingClusterArgs {
  /** kubeconfig of the cluster, self-contained (no file references), its current context the one used; kept a Pulumi secret */
  kubeconfig: pulumi.Input<string>;
  /** the cluster's name as the kubeconfig's current context names it (shown, never used to connect) */
  clusterName: string;
  /** the API server of that context (`https://...`); it must be reachable from the other cluster's pods */
  server: string;
  /** that cluster's `certificate-authority-data` (base64 PEM), or empty */
  caCertificate: string;
}

/**
 * A cluster the stack does not create (on-prem or any cloud), reached through its kubeconfig: the
 * Kubernetes provider bound to it. The stack never changes or deletes the cluster itself; `pulumi
 * destroy` removes only the objects the stack created in it.
 */
export class ExistingCluster extends pulumi.ComponentResource implements StackCluster {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly endpoint: pulumi.Output<string>;
  public readonly caCertificate: pulumi.Output<string>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:ExistingCluster", name, {}, opts);
    this.clusterName = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.endpoint = pulumi.output(args.server);
    this.caCertificate = pulumi.output(args.caCertificate);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
