/**
 * The Istio router: reads and patches the weights of the `networking.istio.io/v1` VirtualService
 * that routes worker-service, through the Kubernetes API (@kubernetes/client-node 1.x).
 *
 * - Destinations are found by subset name (`primary`, `burst`), never by position; every http
 *   route that has both gets the weights.
 * - The change is a JSON patch (custom resources accept JSON and merge patches, not strategic
 *   merge) that touches only the weights, guarded by `test` ops on the subset names and by the
 *   resourceVersion read just before (a stale one is refused with 409 Conflict). On 409/422 the
 *   object is read again and the patch rebuilt, so concurrent edits of other fields are kept.
 * - Every change writes a core/v1 Event on the VirtualService with the reason.
 */
import { hostname } from "node:os";
import { formatWeights, SUBSETS, type Weights } from "@istio-burst/contract";
import { clientWith, KubeApiError, readKubeError } from "../kube-errors";
import type { ChangeNote, TrafficRouter } from "../router";

// @kubernetes/client-node is ESM-only: load it with import() (types only at compile time).
type K8s = typeof import("@kubernetes/client-node");
type KubeConfig = import("@kubernetes/client-node").KubeConfig;
type CustomObjectsApi = import("@kubernetes/client-node").CustomObjectsApi;
type CoreV1Api = import("@kubernetes/client-node").CoreV1Api;

export const VS_GROUP = "networking.istio.io";
export const VS_VERSION = "v1";
export const VS_PLURAL = "virtualservices";
export const EVENT_COMPONENT = "istio-burst-watcher";

export interface IstioRouterOptions {
  readonly namespace: string;
  /** VirtualService name (VIRTUAL_SERVICE). */
  readonly name: string;
  /** Defaults to KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, else in-cluster). */
  readonly kubeConfig?: KubeConfig;
  /** Attempts per setWeights when the object keeps changing under us (default 5). */
  readonly maxAttempts?: number;
  /** Called when a patch was refused as stale and is retried (for metrics). */
  readonly onConflict?: () => void;
  /** Called when writing the Event fails (the weight change itself stood). */
  readonly onEventError?: (err: Error) => void;
  /** The field manager of its patches, and its Events' reporting instance: who wrote (default EVENT_COMPONENT, and the host name). */
  readonly writer?: Writer;
}

/** Who writes: the field manager of the patches and the instance named in Events. */
export interface Writer {
  readonly fieldManager: string;
  readonly instance: string;
}

interface Destination {
  destination?: { host?: string; subset?: string };
  weight?: number;
}
interface VirtualService {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  spec?: { http?: { route?: Destination[] }[] };
}
interface RouteRef {
  readonly http: number;
  readonly primary: number;
  readonly burst: number;
  readonly weights: Weights;
}

export async function createIstioRouter(opts: IstioRouterOptions): Promise<IstioRouter> {
  const { k8s, kc } = await clientWith(opts.kubeConfig);
  return new IstioRouter(k8s, kc, opts);
}

export class IstioRouter implements TrafficRouter {
  readonly description: string;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly ref: { group: string; version: string; namespace: string; plural: string; name: string };

  constructor(
    private readonly k8s: K8s,
    kc: KubeConfig,
    private readonly opts: IstioRouterOptions,
  ) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.ref = { group: VS_GROUP, version: VS_VERSION, namespace: opts.namespace, plural: VS_PLURAL, name: opts.name };
    this.description = `VirtualService ${opts.namespace}/${opts.name}`;
  }

  async getWeights(): Promise<Weights> {
    const vs = await this.read();
    return locate(vs, this.description)[0].weights;
  }

  async setWeights(weights: Weights, change: ChangeNote): Promise<void> {
    const attempts = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const vs = await this.read();
      const routes = locate(vs, this.description);
      if (routes.every((r) => r.weights.primary === weights.primary && r.weights.burst === weights.burst)) return;
      const rv = vs.metadata?.resourceVersion;
      if (!rv) throw new KubeApiError(`${this.description} has no metadata.resourceVersion`, undefined);
      const ops: unknown[] = [{ op: "replace", path: "/metadata/resourceVersion", value: rv }];
      for (const r of routes) {
        const base = `/spec/http/${r.http}/route`;
        ops.push(
          { op: "test", path: `${base}/${r.primary}/destination/subset`, value: SUBSETS.primary },
          { op: "test", path: `${base}/${r.burst}/destination/subset`, value: SUBSETS.burst },
          { op: "add", path: `${base}/${r.primary}/weight`, value: weights.primary },
          { op: "add", path: `${base}/${r.burst}/weight`, value: weights.burst },
        );
      }
      let patched: VirtualService;
      try {
        patched = (await this.custom.patchNamespacedCustomObject(
          { ...this.ref, body: ops, fieldManager: this.opts.writer?.fieldManager ?? EVENT_COMPONENT },
          this.k8s.setHeaderOptions("Content-Type", this.k8s.PatchStrategy.JsonPatch),
        )) as VirtualService;
      } catch (err) {
        const e = this.apiError(err, `patch ${this.description} to ${formatWeights(weights)}`);
        // 409: our resourceVersion is stale; 422: a `test` failed (the routes moved). Read again.
        if ((e.status === 409 || e.status === 422) && attempt < attempts) {
          this.opts.onConflict?.();
          continue;
        }
        throw e;
      }
      await this.event(patched, change).catch((err: unknown) => this.opts.onEventError?.(this.apiError(err, "create Event")));
      return;
    }
  }

  /** Writes an Event on the VirtualService without changing it (the capacity side's scale requests). */
  async recordEvent(note: ChangeNote): Promise<void> {
    try {
      await this.event({}, note);
    } catch (err) {
      throw this.apiError(err, "create Event");
    }
  }

  private async read(): Promise<VirtualService> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.ref)) as VirtualService;
    } catch (err) {
      throw this.apiError(err, `get ${this.description}`);
    }
  }

  private async event(vs: VirtualService, change: ChangeNote): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: this.opts.namespace,
      body: {
        metadata: { generateName: `${this.opts.name}.`, namespace: this.opts.namespace },
        involvedObject: {
          apiVersion: `${VS_GROUP}/${VS_VERSION}`,
          kind: "VirtualService",
          name: this.opts.name,
          namespace: this.opts.namespace,
          uid: vs.metadata?.uid,
          resourceVersion: vs.metadata?.resourceVersion,
        },
        reason: change.reason,
        message: change.message.slice(0, 1024),
        type: change.warning ? "Warning" : "Normal",
        source: { component: EVENT_COMPONENT, host: this.opts.writer?.instance ?? hostname() },
        reportingComponent: EVENT_COMPONENT,
        reportingInstance: this.opts.writer?.instance ?? hostname(),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  private apiError(err: unknown, what: string): KubeApiError {
    if (err instanceof KubeApiError) return err;
    const { status, message, network } = readKubeError(err);
    const detail = status === undefined ? network : `HTTP ${status}${message !== undefined ? `: ${message}` : ""}`;
    return new KubeApiError(`${what}: ${detail}`, status);
  }
}

/** The http routes that have both a `primary` and a `burst` destination, with their weights. */
export function locate(vs: VirtualService, what: string): RouteRef[] {
  const found: RouteRef[] = [];
  (vs.spec?.http ?? []).forEach((http, i) => {
    const route = http.route ?? [];
    const primary = route.findIndex((d) => d.destination?.subset === SUBSETS.primary);
    const burst = route.findIndex((d) => d.destination?.subset === SUBSETS.burst);
    if (primary < 0 || burst < 0) return;
    const others = route.filter((_, j) => j !== primary && j !== burst && (route[j].weight ?? 0) !== 0);
    if (others.length > 0) throw new Error(`${what}: http[${i}] also sends weight to other destinations; refusing to manage it`);
    found.push({ http: i, primary, burst, weights: { primary: route[primary].weight ?? 0, burst: route[burst].weight ?? 0 } });
  });
  if (found.length === 0) throw new Error(`${what} has no http route with destinations of subsets "primary" and "burst"`);
  const w = found[0].weights;
  if (w.primary + w.burst !== 100) throw new Error(`${what}: weights ${formatWeights(w)} do not sum to 100`);
  return found;
}
