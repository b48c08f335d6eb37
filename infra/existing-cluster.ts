import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ExistingClusterArgs {
  /** kubeconfig of the cluster, self-contained (no file references), its current context the one used; kept a Pulumi secret */
  kubeconfig: pulumi.Input<string>;
  /** the cluster's name as the kubeconfig's current context names it (shown, never used to connect) */
  clusterName: string;
}

/**
 * A cluster the stack does not create (on-prem or any cloud), reached through its kubeconfig: the
 * Kubernetes provider bound to it. The stack never changes or deletes the cluster itself; `pulumi
 * destroy` removes only the objects the stack created in it.
 */
export class ExistingCluster extends pulumi.ComponentResource {
  /** the cluster's name in its kubeconfig */
  public readonly clusterName: pulumi.Output<string>;
  /** the kubeconfig (secret) */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for this cluster */
  public readonly provider: k8s.Provider;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:infra:ExistingCluster", name, {}, opts);
    this.clusterName = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
