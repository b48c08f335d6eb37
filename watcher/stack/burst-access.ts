import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BURST_KUBECONFIG_KEY, BURST_KUBECONFIG_SECRET, NAMES } from "../../packages/contract/src";
import { requireTwoClusters, serviceAccountKubeconfig } from "../../k8s/kubeconfig";
import { accountWithRole } from "../../k8s/rbac";

/** The component's type token (it moved from apps/ to the watcher's folder; see the alias). */
export const BURST_SCALER_ACCESS_TYPE = "istio-burst:watcher:BurstScalerAccess";

/** The burst cluster's ServiceAccount (and Role, RoleBinding) the watcher's scaler acts as. */
export const BURST_SCALER_ACCOUNT = "istio-watcher-scaler";

export interface BurstScalerAccessArgs {
  /** Kubernetes provider of the burst cluster (the ServiceAccount, its Role and token); not the primary's. */
  burstProvider: k8s.Provider;
  /** Kubernetes provider of the primary cluster (where the watcher and the kubeconfig Secret are). */
  primaryProvider: k8s.Provider;
  /** Namespace of the burst worker Deployment in the burst cluster (the Role's namespace). */
  burstNamespace: pulumi.Input<string>;
  /** Namespace of the watcher in the primary cluster (the kubeconfig Secret's namespace). */
  primaryNamespace: pulumi.Input<string>;
  /** The one Deployment the scaler may read and scale; default `worker-deployment`. */
  deploymentName?: string;
  /** Name of the burst cluster inside the kubeconfig (cluster, context and user entries). */
  clusterName: string;
  /** API server address of the burst cluster (host or IP, with or without `https://`); it must be reachable from the primary's pods. */
  server: pulumi.Input<string>;
  /** base64 PEM of the burst cluster's CA. */
  caCertificate: pulumi.Input<string>;
}

/**
 * What the watcher's scaler needs to resize the burst worker pool, and nothing more:
 * - in the burst cluster, the ServiceAccount `istio-watcher-scaler`, a Role that can only `get` and
 *   `patch` the scale subresource of the one worker Deployment and `get` that Deployment (its ready
 *   replicas), the RoleBinding, and a long-lived token for the account (a
 *   `kubernetes.io/service-account-token` Secret, read back once the token controller has filled it in);
 * - a kubeconfig from the burst endpoint, its CA and that token, as a Pulumi secret, stored in the
 *   primary as the Secret `istio-watcher-burst-kubeconfig` (key `kubeconfig`), which only the watcher mounts.
 */
export class BurstScalerAccess extends pulumi.ComponentResource {
  public readonly serviceAccount: k8s.core.v1.ServiceAccount;
  public readonly role: k8s.rbac.v1.Role;
  public readonly roleBinding: k8s.rbac.v1.RoleBinding;
  /** the token Secret in the burst cluster */
  public readonly tokenSecret: k8s.core.v1.Secret;
  /** the kubeconfig for the burst cluster (a Pulumi secret) */
  public readonly kubeconfig: pulumi.Output<string>;
  /** the kubeconfig Secret in the primary cluster */
  public readonly secret: k8s.core.v1.Secret;
  /** `istio-watcher-burst-kubeconfig`; resolves once the Secret exists */
  public readonly secretName: pulumi.Output<string>;
  /** the key of the kubeconfig in that Secret */
  public readonly secretKey: string = BURST_KUBECONFIG_KEY;
  /** the Deployment the scaler may scale */
  public readonly deploymentName: string;

  constructor(name: string, args: BurstScalerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    // It lived in apps/ as `istio-burst:apps:BurstScalerAccess`: the alias keeps an existing stack's objects.
    super(BURST_SCALER_ACCESS_TYPE, name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "istio-burst:apps:BurstScalerAccess" }] });
    requireTwoClusters(args.primaryProvider, args.burstProvider, this);
    const deployment = args.deploymentName ?? NAMES.workerDeployment;
    this.deploymentName = deployment;
    const burstOpts = { parent: this, provider: args.burstProvider };
    const metadata = { name: BURST_SCALER_ACCOUNT, namespace: args.burstNamespace, labels: { app: NAMES.watcher } };

    const rbac = accountWithRole(
      name,
      {
        metadata,
        automountServiceAccountToken: false,
        rules: [
          // read and set the replicas of that one Deployment (the watcher's merge patch of spec.replicas)
          { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [deployment], verbs: ["get", "patch"] },
          // read its status (ready replicas)
          { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [deployment], verbs: ["get"] },
        ],
      },
      burstOpts,
    );
    this.serviceAccount = rbac.serviceAccount;
    this.role = rbac.role;
    this.roleBinding = rbac.roleBinding;

    // The token Secret names the account's output, so it comes after the account.
    const scaler = serviceAccountKubeconfig(
      `${name}-token`,
      {
        cluster: { provider: args.burstProvider, name: args.clusterName, server: args.server, caCertificate: args.caCertificate },
        account: this.serviceAccount.metadata.name,
        namespace: args.burstNamespace,
        labels: { app: NAMES.watcher },
      },
      this,
    );
    this.tokenSecret = scaler.tokenSecret;
    this.kubeconfig = scaler.kubeconfig;

    this.secret = new k8s.core.v1.Secret(
      `${name}-kubeconfig`,
      {
        metadata: { name: BURST_KUBECONFIG_SECRET, namespace: args.primaryNamespace, labels: { app: NAMES.watcher } },
        type: "Opaque",
        stringData: { [BURST_KUBECONFIG_KEY]: this.kubeconfig },
      },
      { parent: this, provider: args.primaryProvider },
    );
    this.secretName = this.secret.metadata.name;

    this.registerOutputs({ secretName: this.secretName, kubeconfig: this.kubeconfig });
  }
}
