/**
 * What the end-to-end tests check of a deployed stack, against the real API servers: each function
 * returns the problems it found (empty when all is well), so a test can show all of them at once.
 */
import { isDeepStrictEqual } from "node:util";
import { gunzipSync } from "node:zlib";
import type { Kube } from "../../packages/tooling/src/kube";
import { statusOf } from "../../packages/tooling/src/kube";

/** One resource of `pulumi stack export`. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  external?: boolean;
  provider?: string;
  dependencies?: string[];
  inputs?: Record<string, any>;
  outputs?: Record<string, any>;
}

export interface Deployment {
  deployment: { resources: StateResource[] };
}

export type Side = "primary" | "burst";
export type Clusters = Record<Side, Kube>;

/** The cluster a Kubernetes resource was deployed to: its provider's logical name, `<side>-k8s`. */
export function sideOf(r: StateResource): Side | undefined {
  const name = r.provider?.split("::").at(-2);
  return name === "primary-k8s" ? "primary" : name === "burst-k8s" ? "burst" : undefined;
}

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** The Kubernetes objects the stack manages (custom resources of the kubernetes provider; not Helm releases, not reads). */
export function kubernetesObjects(deployment: Deployment): StateResource[] {
  return deployment.deployment.resources.filter((r) => r.custom && !r.external && r.type.startsWith("kubernetes:") && r.type !== HELM_RELEASE);
}

export function helmReleases(deployment: Deployment): StateResource[] {
  return deployment.deployment.resources.filter((r) => r.custom && r.type === HELM_RELEASE);
}

export const isIstioObject = (r: StateResource) => /^kubernetes:[a-z]+\.istio\.io\//.test(r.type);

/** The live object of a state resource, or undefined when the API server has none. */
export async function readLive(clusters: Clusters, r: StateResource): Promise<Record<string, any> | undefined> {
  const side = sideOf(r);
  if (!side) throw new Error(`${r.urn} has no cluster provider`);
  const { apiVersion, kind, metadata } = r.outputs ?? {};
  try {
    return (await clusters[side].objects.read({ apiVersion, kind, metadata: { name: metadata?.name, namespace: metadata?.namespace } })) as Record<string, any>;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Every Kubernetes object in the state exists in the API server of the cluster its provider names. */
export async function checkExist(clusters: Clusters, deployment: Deployment): Promise<string[]> {
  const missing: string[] = [];
  for (const r of kubernetesObjects(deployment)) if (!(await readLive(clusters, r))) missing.push(`${r.urn} is not in the ${sideOf(r)} API server`);
  return missing;
}

/**
 * Every Istio object comes after its cluster's `base` release (which installs the CRDs): the engine
 * orders it so (a path of dependencies to the release) and the API server saw it so (the CRD is older).
 */
export async function checkCrdsFirst(clusters: Clusters, deployment: Deployment): Promise<string[]> {
  const byUrn = new Map(deployment.deployment.resources.map((r) => [r.urn, r]));
  const reaches = (from: StateResource, target: (r: StateResource) => boolean): boolean => {
    const seen = new Set<string>();
    const queue = [...(from.dependencies ?? [])];
    while (queue.length > 0) {
      const urn = queue.shift()!;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const dep = byUrn.get(urn);
      if (!dep) continue;
      if (target(dep)) return true;
      queue.push(...(dep.dependencies ?? []));
    }
    return false;
  };
  const isBase = (side: Side) => (r: StateResource) => r.type === HELM_RELEASE && sideOf(r) === side && String(r.inputs?.chart ?? "").replace(/.*\//, "") === "base";
  const problems: string[] = [];
  for (const r of kubernetesObjects(deployment).filter(isIstioObject)) {
    const side = sideOf(r)!;
    if (!reaches(r, isBase(side))) problems.push(`${r.urn} does not depend on the ${side} cluster's base release (the CRDs)`);
    const live = await readLive(clusters, r);
    const [group] = String(r.outputs?.apiVersion).split("/");
    const crds = (await clusters[side].objects.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")).items as any[];
    const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === r.outputs?.kind);
    if (!crd) problems.push(`${r.urn}: no CRD serves ${r.outputs?.kind}.${group} in the ${side} cluster`);
    else if (live && Date.parse(crd.metadata.creationTimestamp) > Date.parse(live.metadata.creationTimestamp))
      problems.push(`${r.urn} was created before its CRD ${crd.metadata.name}`);
  }
  return problems;
}

/** Every Istio object reads back with the spec the stack sent: the API server pruned nothing. */
export async function checkIstioSpecs(clusters: Clusters, deployment: Deployment): Promise<{ checked: number; problems: string[] }> {
  const istio = kubernetesObjects(deployment).filter(isIstioObject);
  const problems: string[] = [];
  for (const r of istio) {
    const live = await readLive(clusters, r);
    const sent = JSON.parse(JSON.stringify(r.inputs?.spec ?? null));
    if (!isDeepStrictEqual(live?.spec, sent)) problems.push(`${r.urn}: the API server holds ${JSON.stringify(live?.spec)}, the stack sent ${JSON.stringify(sent)}`);
  }
  return { checked: istio.length, problems };
}

/** A Helm release as Helm stores it (the Secret `sh.helm.release.v1.<name>.v<revision>`). */
export async function readHelmRelease(kube: Kube, namespace: string, name: string): Promise<{ status: string; chartVersion: string; values: unknown } | undefined> {
  const secrets = await kube.core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${name}` });
  const latest = secrets.items.sort((a, b) => Number(b.metadata?.labels?.version) - Number(a.metadata?.labels?.version))[0];
  if (!latest?.data?.release) return undefined;
  const encoded = Buffer.from(latest.data.release, "base64").toString("utf8");
  const release = JSON.parse(gunzipSync(Buffer.from(encoded, "base64")).toString("utf8"));
  return { status: release.info?.status, chartVersion: release.chart?.metadata?.version, values: release.config ?? {} };
}

/** Every Helm release is deployed, at the pinned chart version, with exactly the values the stack passed. */
export async function checkHelmReleases(clusters: Clusters, deployment: Deployment): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  const releases = helmReleases(deployment);
  for (const r of releases) {
    const side = sideOf(r)!;
    const { name, namespace } = r.outputs?.status ?? {};
    const stored = await readHelmRelease(clusters[side], namespace, name);
    if (!stored) {
      problems.push(`${r.urn}: no Helm release ${namespace}/${name} in the ${side} cluster`);
      continue;
    }
    const sentValues = JSON.parse(JSON.stringify(r.inputs?.values ?? {}));
    if (stored.status !== "deployed") problems.push(`${r.urn}: Helm says ${stored.status}, not deployed`);
    if (r.inputs?.version && stored.chartVersion !== r.inputs.version) problems.push(`${r.urn}: chart ${stored.chartVersion}, not the pinned ${r.inputs.version}`);
    if (!isDeepStrictEqual(stored.values, sentValues)) problems.push(`${r.urn}: Helm holds the values ${JSON.stringify(stored.values)}, the stack passed ${JSON.stringify(sentValues)}`);
  }
  return { checked: releases.length, problems };
}
