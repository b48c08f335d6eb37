/**
 * Credentials one cluster hands to a reader in the other: a long-lived token of a ServiceAccount
 * (a `kubernetes.io/service-account-token` Secret, read back once the token controller has filled it
 * in) and a kubeconfig with that token, as `istioctl create-remote-secret` writes it. Used for
 * istiod's view of the burst cluster (istio/remote-secret.ts) and the watcher's scaler
 * (watcher/stack/burst-access.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { tokenKubeconfig } from "../packages/contract/src";

export { tokenKubeconfig };

/** `https://` in front of a bare host or address (GKE gives its endpoint without a scheme). */
export function httpsServer(server: string): string {
  return server.startsWith("https://") ? server : `https://${server}`;
}

/**
 * The decoded token of a `kubernetes.io/service-account-token` Secret read back after creation: empty
 * during a preview (the Secret does not exist yet), an error naming the Secret and its account when
 * the token controller has not filled it in (the account is missing).
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

export interface ServiceAccountKubeconfigArgs {
  /** the cluster the account is in: its provider, its name in the kubeconfig, its API server and CA */
  cluster: { provider: k8s.Provider; name: string; server: pulumi.Input<string>; caCertificate: pulumi.Input<string> };
  /** the account and the namespace of its token Secret (`<account>-token`) */
  account: pulumi.Input<string>;
  namespace: pulumi.Input<string>;
  /** labels of the token Secret */
  labels?: Record<string, string>;
  /** what must exist before the Secret (the account itself, when another resource creates it) */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A long-lived token of `account` and a kubeconfig (a Pulumi secret) for it: the token Secret is the
 * resource `name`, its read-back `<name>-read`. The token controller deletes a token Secret whose
 * account does not exist yet, so pass the account as an output (or `dependsOn` what creates it).
 */
export function serviceAccountKubeconfig(
  name: string,
  args: ServiceAccountKubeconfigArgs,
  parent: pulumi.Resource,
): { tokenSecret: k8s.core.v1.Secret; kubeconfig: pulumi.Output<string> } {
  const opts = { parent, provider: args.cluster.provider };
  const tokenSecret = new k8s.core.v1.Secret(
    name,
    {
      metadata: {
        name: pulumi.interpolate`${args.account}-token`,
        namespace: args.namespace,
        ...(args.labels ? { labels: args.labels } : {}),
        annotations: { "kubernetes.io/service-account.name": args.account },
      },
      type: "kubernetes.io/service-account-token",
    },
    { ...opts, dependsOn: args.dependsOn },
  );
  // Read back by the Secret's own id (`<namespace>/<name>`), which the engine knows only once the Secret
  // exists: a preview of a new stack (pulumi up's own preview) reads nothing, instead of failing on a
  // Secret that is yet to be created.
  const filled = k8s.core.v1.Secret.get(`${name}-read`, tokenSecret.id, {
    ...opts,
    dependsOn: [tokenSecret],
  });
  const cluster = args.cluster;
  const token = pulumi
    .all([filled.data, tokenSecret.metadata.namespace, tokenSecret.metadata.name, args.account])
    .apply(([data, ns, secret, account]) => serviceAccountToken(data, { secret: `${ns}/${secret}`, account, cluster: cluster.name }, pulumi.runtime.isDryRun()));
  const kubeconfig = pulumi.secret(
    pulumi.all([cluster.server, cluster.caCertificate, token]).apply(([server, ca, t]) => tokenKubeconfig(cluster.name, httpsServer(server), ca, t)),
  );
  return { tokenSecret, kubeconfig };
}

/** Objects meant for two clusters would silently land in one: a clear error instead. */
export function requireTwoClusters(primary: k8s.Provider, burst: k8s.Provider, resource: pulumi.Resource): void {
  if (primary === burst) throw new pulumi.ResourceError("burstProvider must be the burst cluster's provider, not the primary one", resource);
}
