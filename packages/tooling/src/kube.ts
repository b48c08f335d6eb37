/**
 * The Kubernetes client library (@kubernetes/client-node, ESM-only: loaded with import()) bound to a
 * kubeconfig text, for the harness and the end-to-end tests.
 */
type K8s = typeof import("@kubernetes/client-node");

let loaded: Promise<K8s> | undefined;
export function k8sLib(): Promise<K8s> {
  loaded ??= import("@kubernetes/client-node");
  return loaded;
}

export interface Kube {
  lib: K8s;
  config: import("@kubernetes/client-node").KubeConfig;
  core: import("@kubernetes/client-node").CoreV1Api;
  apps: import("@kubernetes/client-node").AppsV1Api;
  objects: import("@kubernetes/client-node").KubernetesObjectApi;
}

/** Clients of the cluster a kubeconfig's current context names. */
export async function kubeFrom(kubeconfig: string): Promise<Kube> {
  const lib = await k8sLib();
  const config = new lib.KubeConfig();
  config.loadFromString(kubeconfig);
  return {
    lib,
    config,
    core: config.makeApiClient(lib.CoreV1Api),
    apps: config.makeApiClient(lib.AppsV1Api),
    objects: lib.KubernetesObjectApi.makeApiClient(config),
  };
}

/** The HTTP status of a client-node error (ApiException.code), or undefined for anything else. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}
