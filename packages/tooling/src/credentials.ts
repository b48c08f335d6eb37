/**
 * The credentials the stack's identities use, obtained as the operator (whose kubeconfig may read
 * them): a fresh token of a ServiceAccount (TokenRequest) and a Secret's kubeconfig text.
 */
import { readFileSync } from "node:fs";
import { kubeconfigText } from "@istio-burst/contract";
import type { Kube } from "./kube";

/** The CA of the kubeconfig's current cluster, base64 PEM (inline or from its file), or empty. */
function currentCa(kube: Kube): string {
  const cluster = kube.config.getCurrentCluster();
  if (cluster?.caData) return cluster.caData;
  return cluster?.caFile ? readFileSync(cluster.caFile).toString("base64") : "";
}

/** A kubeconfig that acts as `namespace/account`, with a token from the TokenRequest API (an hour). */
export async function serviceAccountKubeconfig(kube: Kube, namespace: string, account: string): Promise<string> {
  const request = await kube.core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const server = kube.config.getCurrentCluster()?.server ?? "";
  return kubeconfigText(`${account}@${namespace}`, server, currentCa(kube), { token: request.status!.token });
}

/** The text of a key of a Secret (its data, base64-decoded). */
export async function secretText(kube: Kube, namespace: string, name: string, key: string): Promise<string> {
  const secret = await kube.core.readNamespacedSecret({ name, namespace });
  const value = secret.data?.[key];
  if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
  return Buffer.from(value, "base64").toString("utf8");
}
