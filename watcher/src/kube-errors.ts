/**
 * Errors from the Kubernetes API, as the Istio router, the Kubernetes scaler and the Lease lock meet
 * them through @kubernetes/client-node 1.x: what a failed call says, and one error type that keeps its
 * HTTP status; and the client library with the kubeconfig they reach the API with.
 */

type K8s = typeof import("@kubernetes/client-node");
type KubeConfig = import("@kubernetes/client-node").KubeConfig;

/** The client library (ESM-only: loaded with import()) and the kubeconfig given, or its default (KUBECONFIG, ~/.kube/config, else in-cluster). */
export async function clientWith(given?: KubeConfig): Promise<{ k8s: K8s; kc: KubeConfig }> {
  const k8s: K8s = await import("@kubernetes/client-node");
  if (given) return { k8s, kc: given };
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return { k8s, kc };
}

/** An error from the Kubernetes API, with its HTTP status (undefined when the request got no answer). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

/** What a failed client-node call said. */
export interface KubeErrorReading {
  /** the HTTP status; undefined when the request never got an answer */
  readonly status: number | undefined;
  /** the API server's `message`, when its body has one */
  readonly message: string | undefined;
  /** the network error (or the error's own message) otherwise */
  readonly network: string;
}

/** Reads a failed @kubernetes/client-node call: its status, the API server's message, the network error. */
export function readKubeError(err: unknown): KubeErrorReading {
  const failure = err as { code?: unknown; body?: unknown; message?: string; cause?: { code?: string } };
  const status = typeof failure.code === "number" ? failure.code : undefined;
  let body: unknown = failure.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep the text */
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return { status, message: typeof message === "string" ? message : undefined, network: failure.cause?.code ?? failure.message ?? String(err) };
}
