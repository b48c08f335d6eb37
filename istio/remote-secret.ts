import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
 * The decoded token of a `kubernetes.io/service-account-token` Secret read back after creation (see
 * readerToken): empty during a preview, an error naming the Secret and its account when still unfilled.
 */
export function serviceAccountToken(
  data: Record<string, string> | undefined,
  where: { secret: string; account: string; cluster: string },
  dryRun: boolean,
): string {
  const encoded = data?.["token"];
  if (encoded) return Buffer.from(encoded, "base64").toString("utf8");
  if (dryRun) return "";
  throw new pulumi.RunError(`${where.secret} in the ${where.cluster} cluster has no token yet (does ${where.account} exist?); run pulumi up again`);
}

/** A kubeconfig with a bearer token, as `istioctl create-remote-secret` writes it. */
export function tokenKubeconfig(cluster: string, server: string, caData: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: cluster, cluster: { server, "certificate-authority-data": caData } }],
      contexts: [{ name: cluster, context: { cluster, user: cluster } }],
      "current-context": cluster,
      preferences: {},
      users: [{ name: cluster, user: { token } }],
    },
    null,
    2,
  );
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

    // The token controller fills `data.token` in after creation, and deletes the Secret if the service
    // account does not exist yet: create it only once the remote install (which creates the account) is ready.
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-reader-token`,
      {
        metadata: {
          name: `${READER_SERVICE_ACCOUNT}-token`,
          namespace: ISTIO_NAMESPACE,
          annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT },
        },
        type: "kubernetes.io/service-account-token",
      },
      { parent: this, provider: args.remoteProvider, dependsOn: args.readerReady },
    );
    // Read it back (a separate step, after creation) to get the filled-in token.
    const filled = k8s.core.v1.Secret.get(
      `${name}-reader-token-read`,
      pulumi.interpolate`${this.tokenSecret.metadata.namespace}/${this.tokenSecret.metadata.name}`,
      { parent: this, provider: args.remoteProvider, dependsOn: [this.tokenSecret] },
    );
    const token = filled.data.apply((data) => readerToken(data, cluster, pulumi.runtime.isDryRun()));

    this.kubeconfig = pulumi.secret(
      pulumi.all([args.server, args.caCertificate, token]).apply(([server, ca, t]) =>
        tokenKubeconfig(cluster, server.startsWith("https://") ? server : `https://${server}`, ca, t),
      ),
    );

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
