/**
 * The worker VirtualService as the primary's API server holds it: the suite's one reader of the
 * weights the watcher moves (the stack test, the faults and the write recorder all read them here).
 */
import { NAMES } from "../../packages/contract/src";
import type { Kube } from "../../packages/tooling/src/kube";

/** What the suite reads of the worker VirtualService. */
export interface WorkerVirtualService {
  metadata: { annotations?: Record<string, string>; managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] };
  spec: { http: { route: { destination: { subset: string }; weight?: number }[] }[] };
}

export async function readWorkerVirtualService(primary: Kube, namespace: string): Promise<WorkerVirtualService> {
  const ref = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: NAMES.workerVirtualService, namespace } };
  return (await primary.objects.read(ref)) as unknown as WorkerVirtualService;
}

/** The weights of its first route by subset (a route without a weight has 0), in the route's order. */
export function weightsOf(vs: WorkerVirtualService): Record<string, number> {
  return Object.fromEntries(vs.spec.http[0].route.map((r) => [r.destination.subset, r.weight ?? 0]));
}

/** The weights as one line, `primary=0,burst=100`, for comparing and reporting. */
export function weightsLine(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([subset, weight]) => `${subset}=${weight}`)
    .join(",");
}

/** The weights as the primary's API server has them now. */
export async function workerWeights(primary: Kube, namespace: string): Promise<Record<string, number>> {
  return weightsOf(await readWorkerVirtualService(primary, namespace));
}
