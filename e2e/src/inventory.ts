/**
 * Every object an API server holds, found through discovery (each listable resource of every
 * group's preferred version), so that what a run leaves behind can be compared with what was there
 * before it.
 */
import type { ControlPlane } from "./control-plane";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

/** What the control plane writes by itself all the time: heartbeats and events, not anybody's objects. */
const CHURN = new Set(["v1/Event", "events.k8s.io/v1/Event", "coordination.k8s.io/v1/Lease"]);

export const describeRef = (o: Pick<ObjectRef, "apiVersion" | "kind" | "namespace" | "name">) =>
  `${o.apiVersion} ${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;

async function getJson<T>(plane: ControlPlane, path: string): Promise<T | undefined> {
  const answer = await plane.request(path, 10_000);
  if (answer.status !== 200) return undefined;
  return JSON.parse(answer.body) as T;
}

interface ResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; verbs: string[] }[];
}

/** The group versions to list: core v1 and each group's preferred version. */
async function groupVersions(plane: ControlPlane): Promise<string[]> {
  const groups = await getJson<{ groups: { preferredVersion: { groupVersion: string } }[] }>(plane, "/apis");
  return ["v1", ...(groups?.groups ?? []).map((g) => g.preferredVersion.groupVersion)];
}

/** Every object of every listable resource, churn left out. */
export async function listEverything(plane: ControlPlane): Promise<ObjectRef[]> {
  const found: ObjectRef[] = [];
  for (const gv of await groupVersions(plane)) {
    const base = gv === "v1" ? "/api/v1" : `/apis/${gv}`;
    const list = await getJson<ResourceList>(plane, base);
    for (const resource of list?.resources ?? []) {
      if (resource.name.includes("/") || !resource.verbs.includes("list") || CHURN.has(`${gv}/${resource.kind}`)) continue;
      const items = await getJson<{ items: { metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string> } }[] }>(
        plane,
        `${base}/${resource.name}`,
      );
      for (const item of items?.items ?? [])
        found.push({
          apiVersion: gv,
          kind: resource.kind,
          namespace: item.metadata.namespace,
          name: item.metadata.name,
          uid: item.metadata.uid,
          annotations: item.metadata.annotations ?? {},
          labels: item.metadata.labels ?? {},
        });
    }
  }
  return found;
}

/**
 * What stays on purpose: what Helm keeps on uninstall by design (Istio's CRDs carry
 * `helm.sh/resource-policy: keep`), and the APIServices the API server registers by itself for the
 * groups those CRDs serve (`kube-aggregator.kubernetes.io/automanaged`).
 */
function keptOnPurpose(added: ObjectRef[]): (o: ObjectRef) => boolean {
  const keptGroups = new Set(added.filter((o) => o.kind === "CustomResourceDefinition" && o.annotations["helm.sh/resource-policy"] === "keep").map((o) => o.name.split(".").slice(1).join(".")));
  return (o) =>
    o.annotations["helm.sh/resource-policy"] === "keep" ||
    (o.kind === "APIService" && o.labels["kube-aggregator.kubernetes.io/automanaged"] !== undefined && keptGroups.has(o.name.split(".").slice(1).join(".")));
}

/** What is there now and was not before: left behind, and kept on purpose. */
export function compareInventories(before: ObjectRef[], after: ObjectRef[]): { left: ObjectRef[]; kept: ObjectRef[] } {
  const existed = new Set(before.map((o) => o.uid));
  const added = after.filter((o) => !existed.has(o.uid));
  const kept = keptOnPurpose(added);
  return { left: added.filter((o) => !kept(o)), kept: added.filter(kept) };
}
