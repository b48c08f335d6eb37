/**
 * Every object an API server holds, found through discovery (each listable resource of every
 * group's preferred version), so that what a run leaves behind can be compared with what was there
 * before it.
 */
import { createHash } from "node:crypto";
import type { ControlPlane } from "./control-plane";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** a hash of what Pulumi and Helm wrote into it (their managedFields entries) */
  fingerprint: string;
  /** Pulumi or Helm wrote it (an entry of theirs in its managedFields) */
  byPulumiOrHelm: boolean;
}

type Item = { metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string> } & Record<string, unknown> } & Record<string, unknown>;

/** The managedFields entries of Pulumi and Helm. */
function pulumiAndHelmEntries(item: Item): unknown[] {
  return ((item.metadata.managedFields ?? []) as { manager?: string }[]).filter((e) => /pulumi|helm/i.test(e.manager ?? ""));
}

/** The writes of Pulumi and Helm to the object: their managedFields entries (what, and when). */
function fingerprintOf(item: Item): string {
  return createHash("sha256").update(JSON.stringify(pulumiAndHelmEntries(item))).digest("hex").slice(0, 16);
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
      const items = await getJson<{ items: Item[] }>(plane, `${base}/${resource.name}`);
      for (const item of items?.items ?? [])
        found.push({
          apiVersion: gv,
          kind: resource.kind,
          namespace: item.metadata.namespace,
          name: item.metadata.name,
          uid: item.metadata.uid,
          annotations: item.metadata.annotations ?? {},
          labels: item.metadata.labels ?? {},
          fingerprint: fingerprintOf(item),
          byPulumiOrHelm: pulumiAndHelmEntries(item).length > 0,
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

/**
 * What istiod writes into every namespace at run time, not the stack: its root certificate and its
 * revocation list (its namespace controller's ConfigMaps). Istio's own uninstall leaves them too.
 */
const ISTIOD_NAMESPACE_CONFIGMAPS = new Set(["istio-ca-root-cert", "istio-ca-crl"]);
const writtenByIstiod = (o: ObjectRef) => o.apiVersion === "v1" && o.kind === "ConfigMap" && ISTIOD_NAMESPACE_CONFIGMAPS.has(o.name);

/** What is there now and was not before: left behind, kept on purpose, and written by istiod while it ran. */
export function compareInventories(before: ObjectRef[], after: ObjectRef[]): { left: ObjectRef[]; kept: ObjectRef[]; byIstiod: ObjectRef[] } {
  const existed = new Set(before.map((o) => o.uid));
  const added = after.filter((o) => !existed.has(o.uid));
  const kept = keptOnPurpose(added);
  return { left: added.filter((o) => !kept(o) && !writtenByIstiod(o)), kept: added.filter(kept), byIstiod: added.filter(writtenByIstiod) };
}

/**
 * What differs between two inventories of one API server: objects added, removed, or written to by
 * Pulumi or Helm (their entries in the objects' managedFields); what controllers and istiod keep
 * writing by themselves (leader-election records, status) does not count.
 */
export function changedObjects(before: ObjectRef[], after: ObjectRef[]): string[] {
  const was = new Map(before.map((o) => [o.uid, o]));
  const is = new Map(after.map((o) => [o.uid, o]));
  const added = after.filter((o) => !was.has(o.uid)).map((o) => `added ${describeRef(o)}`);
  const removed = before.filter((o) => !is.has(o.uid)).map((o) => `removed ${describeRef(o)}`);
  const written = after.filter((o) => was.has(o.uid) && was.get(o.uid)!.fingerprint !== o.fingerprint).map((o) => `changed ${describeRef(o)}`);
  return [...added, ...removed, ...written];
}

/**
 * The objects Pulumi and Helm wrote, by apiVersion, kind, namespace and name, sorted: what a stack
 * "is" in one API server, whatever the uids. A Helm release's record Secrets count once, whatever
 * their revision (an install finished by an upgrade leaves revision 2).
 */
export function stackObjects(inventory: ObjectRef[]): string[] {
  const names = inventory.filter((o) => o.byPulumiOrHelm).map((o) => describeRef({ ...o, name: o.kind === "Secret" ? o.name.replace(/^(sh\.helm\.release\.v1\..+)\.v\d+$/, "$1") : o.name }));
  return [...new Set(names)].sort();
}
