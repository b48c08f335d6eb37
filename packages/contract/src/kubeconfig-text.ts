/**
 * Kubeconfig texts the project writes, self-contained (everything embedded, nothing that names a file):
 * with a bearer token, as `istioctl create-remote-secret` writes it, or with a client certificate.
 * The remote secret's kubeconfig is what istiod reads to watch burst, so its shape is part of the
 * contract: the stack writes it (k8s/kubeconfig.ts), the tooling package writes the same shape for a
 * ServiceAccount's token (`npm run doctor`, the end-to-end harness), and the harness for its clusters.
 */

export type KubeconfigUser = { token: string } | { certificateData: string; keyData: string };

/**
 * A kubeconfig of one cluster, context and user, all named `cluster`. `caData` and the certificate
 * data are base64 PEM; without a CA the reader trusts its system roots.
 */
export function kubeconfigText(cluster: string, server: string, caData: string, user: KubeconfigUser): string {
  const credentials = "token" in user ? { token: user.token } : { "client-certificate-data": user.certificateData, "client-key-data": user.keyData };
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: cluster, cluster: { server, ...(caData ? { "certificate-authority-data": caData } : {}) } }],
      contexts: [{ name: cluster, context: { cluster, user: cluster } }],
      "current-context": cluster,
      preferences: {},
      users: [{ name: cluster, user: credentials }],
    },
    null,
    2,
  );
}

/** A kubeconfig with a bearer token (what the remote secret and the watcher's scaler hold). */
export function tokenKubeconfig(cluster: string, server: string, caData: string, token: string): string {
  return kubeconfigText(cluster, server, caData, { token });
}
