/**
 * The burst worker pool in the burst cluster as a scaler, through the Kubernetes API
 * (@kubernetes/client-node 1.x), reached with its own kubeconfig (BURST_KUBECONFIG).
 *
 * - get(): reads the Deployment: desired = spec.replicas, ready = status.readyReplicas (absent: 0).
 * - scale(n): a merge patch `{"spec":{"replicas":n}}` of the Deployment's scale subresource
 *   (`deployments/scale`), so the account needs only get on the Deployment and get/patch on its scale.
 * - 404 (no such Deployment) and 403 (RBAC) fail with a message that says so; a 409 Conflict is
 *   retried once after reading the Deployment again.
 */
import type { PoolReading } from "../decide";
import { KubeApiError, readKubeError } from "../kube-errors";
import type { Scaler } from "../scaler";

type K8s = typeof import("@kubernetes/client-node");
type KubeConfig = import("@kubernetes/client-node").KubeConfig;
type AppsV1Api = import("@kubernetes/client-node").AppsV1Api;

export const SCALER_FIELD_MANAGER = "istio-burst-watcher";

export interface KubernetesScalerOptions {
  readonly namespace: string;
  /** The burst worker Deployment (BURST_DEPLOYMENT). */
  readonly name: string;
  /** The burst cluster's kubeconfig; or kubeConfigFile. */
  readonly kubeConfig?: KubeConfig;
  /** A kubeconfig file for the burst cluster (BURST_KUBECONFIG). */
  readonly kubeConfigFile?: string;
  /** Called when a scale patch was refused with 409 and is retried (for metrics). */
  readonly onConflict?: () => void;
  /** The field manager of its scale patches: who wrote (default SCALER_FIELD_MANAGER). */
  readonly fieldManager?: string;
}

export async function createKubernetesScaler(opts: KubernetesScalerOptions): Promise<KubernetesScaler> {
  const k8s: K8s = await import("@kubernetes/client-node");
  let kc = opts.kubeConfig;
  if (!kc) {
    if (!opts.kubeConfigFile) throw new Error("the Kubernetes scaler needs a kubeconfig for the burst cluster");
    kc = new k8s.KubeConfig();
    kc.loadFromFile(opts.kubeConfigFile);
  }
  return new KubernetesScaler(k8s, kc, opts);
}

interface Deployment {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

export class KubernetesScaler implements Scaler {
  readonly description: string;
  private readonly apps: AppsV1Api;

  constructor(
    private readonly k8s: K8s,
    kc: KubeConfig,
    private readonly opts: KubernetesScalerOptions,
  ) {
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.description = `Deployment ${opts.namespace}/${opts.name} (burst cluster)`;
  }

  async get(): Promise<PoolReading> {
    let d: Deployment;
    try {
      d = (await this.apps.readNamespacedDeployment({ namespace: this.opts.namespace, name: this.opts.name })) as Deployment;
    } catch (err) {
      throw this.apiError(err, "get");
    }
    return { desired: d.spec?.replicas ?? 1, ready: d.status?.readyReplicas ?? 0 };
  }

  async scale(replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`scale ${this.description}: ${replicas} is not a replica count`);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.apps.patchNamespacedDeploymentScale(
          { namespace: this.opts.namespace, name: this.opts.name, body: { spec: { replicas } }, fieldManager: this.opts.fieldManager ?? SCALER_FIELD_MANAGER },
          this.k8s.setHeaderOptions("Content-Type", this.k8s.PatchStrategy.MergePatch),
        );
        return;
      } catch (err) {
        const e = this.apiError(err, `scale to ${replicas}`);
        if (e.status === 409 && attempt === 1) {
          this.opts.onConflict?.();
          await this.get(); // read again (the conflict may be a stale cache in front of the API server)
          continue;
        }
        throw e;
      }
    }
  }

  private apiError(err: unknown, what: string): KubeApiError {
    if (err instanceof KubeApiError) return err;
    const { status, message, network } = readKubeError(err);
    const target = `${what} ${this.description}`;
    const said = message !== undefined ? `: ${message}` : "";
    if (status === 404) return new KubeApiError(`${target}: no such Deployment in the burst cluster (HTTP 404${said})`, status);
    if (status === 403) {
      const need = what === "get" ? "get on deployments" : "patch on deployments/scale";
      return new KubeApiError(`${target}: forbidden (HTTP 403): the burst kubeconfig's account needs ${need} "${this.opts.name}" in namespace "${this.opts.namespace}" (RBAC)${said}`, status);
    }
    if (status !== undefined) return new KubeApiError(`${target}: HTTP ${status}${said}`, status);
    return new KubeApiError(`${target}: ${network}`, undefined);
  }
}
