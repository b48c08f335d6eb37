import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountKubeconfig, serviceAccountToken } from "../k8s/kubeconfig";
import { ISTIO_NAMESPACE } from "./common";

/** The service account Istio's remote profile creates for the control plane to read the remote cluster. */
export const READER_SERVICE_ACCOUNT = "istio-reader-service-account";

export interface RemoteSecretArgs {
  /** Kubernetes provider of the remote (burst) cluster */
  remoteProvider: k8s.Provider;
  /** Kubernetes provider of the primary cluster (where istiod runs) */
  primaryProvider: k8s.Provider;
  /** Istio cluster name of the remote cluster: secret name suffix, annotation, kubeconfig key */
  remoteClusterName: string;
  /** API server address of the remote cluster (host or IP, without scheme) */
  server: pulumi.Input<string>;
  /** base64 PEM of the remote cluster's CA */
  caCertificate: pulumi.Input<string>;
  /** resources that create `istio-reader-service-account` in the remote cluster (the remote Istio install) */
  readerReady: pulumi.Input<pulumi.Resource>[];
  /** the primary's istio-system namespace (the secret waits for it) */
  primaryNamespace: pulumi.Input<string>;
}

/**
 * The decoded token of the reader's service-account-token Secret (`data.token`, base64). Empty during a
 * preview (the Secret does not exist yet); an error naming the Secret when the token controller has not
 * filled it in (e.g. the service account is missing).
 */
export function readerToken(data: Record<string, string> | undefined, cluster: string, dryRun: boolean): string {
  return serviceAccountToken(data, { secret: `${ISTIO_NAMESPACE}/${READER_SERVICE_ACCOUNT}-token`, account: READER_SERVICE_ACCOUNT, cluster }, dryRun);
}

/**
 * What `istioctl create-remote-secret` does, declaratively: a long-lived token for the remote cluster's
 * `istio-reader-service-account`, and in the primary the secret `istio-remote-secret-<cluster>` whose
 * kubeconfig lets istiod watch the remote cluster's API server (endpoints discovery).
 */
export class RemoteSecret extends pulumi.ComponentResource {
  /** the token Secret in the remote cluster */
  public readonly tokenSecret: k8s.core.v1.Secret;
  /** the remote secret in the primary cluster */
  public readonly secret: k8s.core.v1.Secret;
  /** `istio-system/istio-remote-secret-<cluster>` */
  public readonly secretName: pulumi.Output<string>;
  /** the kubeconfig istiod uses for the remote cluster (secret) */
  public readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: RemoteSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-burst:istio:RemoteSecret", name, {}, opts);
    const cluster = args.remoteClusterName;

    // The token controller deletes a token Secret whose account does not exist yet: it is created
    // only once the remote install (which creates the account) is ready.
    const reader = serviceAccountKubeconfig(
      `${name}-reader-token`,
      {
        cluster: { provider: args.remoteProvider, name: cluster, server: args.server, caCertificate: args.caCertificate },
        account: READER_SERVICE_ACCOUNT,
        namespace: ISTIO_NAMESPACE,
        dependsOn: args.readerReady,
      },
      this,
    );
    this.tokenSecret = reader.tokenSecret;
    this.kubeconfig = reader.kubeconfig;

    this.secret = new k8s.core.v1.Secret(
      `${name}-remote-secret`,
      {
        metadata: {
          name: `istio-remote-secret-${cluster}`,
          namespace: args.primaryNamespace,
          labels: { "istio/multiCluster": "true" },
          annotations: { "networking.istio.io/cluster": cluster },
        },
        type: "Opaque",
        stringData: { [cluster]: this.kubeconfig },
      },
      { parent: this, provider: args.primaryProvider },
    );
    this.secretName = pulumi.interpolate`${this.secret.metadata.namespace}/${this.secret.metadata.name}`;

    this.registerOutputs({ secretName: this.secretName, kubeconfig: this.kubeconfig });
  }
}
