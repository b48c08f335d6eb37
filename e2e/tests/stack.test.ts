/**
 * `pulumi up` for real, without a cloud: the real Pulumi engine deploys the stack (index.ts, both
 * clusters given by kubeconfig, the three images given, the charts from a folder) into two local
 * control planes, then the checks below run against their API servers, in order. The steps share the
 * deployed stack; a failed step leaves the ones after it failing too.
 *
 * What this cannot show: no container runs (kwok makes pods Ready without them), no istiod answers
 * (the admission webhooks are off), no data plane carries a request, and no Google Cloud API is called.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, waitFor } from "../../local/src/processes";
import { NAMES } from "../../packages/contract/src";
import { checkCrdsFirst, checkExist, checkHelmReleases, checkIstioSpecs, kubernetesObjects, sideOf, type Clusters, type Deployment } from "../src/checks";
import { startClusters, type LocalClusters } from "../src/clusters";
import { pulumiOp, type DriverResult } from "../src/driver";
import { chartSet } from "../src/fixtures";
import { compareInventories, describeRef, listEverything, type ObjectRef } from "../src/inventory";
import { checkAccess, readerCases, scalerCases, watcherCases } from "../src/rbac";
import { startStandInPrometheus } from "../src/stand-in-prometheus";
import { ensureTools, type E2eTools } from "../src/tools";
import { secretText, serviceAccountKubeconfig, startWatcherProcess } from "../src/watcher-process";

/**
 * The stack's documented defaults (config.ts reads the stack's config when it is loaded: a project
 * lets it load here, outside any stack, for its DEFAULTS).
 */
function stackDefaults(): typeof import("../../config").DEFAULTS {
  process.env.PULUMI_CONFIG = JSON.stringify({ "gcp:project": "defaults-only" });
  return (require("../../config") as typeof import("../../config")).DEFAULTS;
}
const DEFAULTS = stackDefaults();
const NAMESPACE = DEFAULTS.appNamespace;
const IMAGES = {
  frontendImage: "registry.example.internal/istio-burst/frontend:e2e",
  workerImage: "registry.example.internal/istio-burst/worker:e2e",
  watcherImage: "registry.example.internal/istio-burst/watcher:e2e",
};

let tools: E2eTools;
let clusters: LocalClusters;
let kube: Clusters;
let home: string;
let before: Record<"primary" | "burst", ObjectRef[]>;
let state: Deployment;
const results: Record<string, unknown> = {};

beforeAll(async () => {
  tools = ensureTools();
  results.tools = Object.fromEntries(Object.entries(tools.info).map(([name, t]) => [name, { version: t.version, buildS: t.buildS }]));
  clusters = await startClusters(tools);
  kube = { primary: clusters.primary.kube, burst: clusters.burst.kube };
  for (const line of clusters.describe()) process.stdout.write(`e2e control plane ${line}\n`);
  home = join(clusters.dir, "stack");
  mkdirSync(home, { recursive: true });
  before = { primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) };
}, 60 * 60_000);

afterAll(async () => {
  writeFileSync(join(REPO_ROOT, "e2e", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await clusters?.stop();
});

const exportState = async () => ((await pulumiOp(home, "export")) as DriverResult & { deployment: Deployment }).deployment;
const virtualServiceWeights = async () => {
  const vs = (await kube.primary.objects.read({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: NAMES.workerVirtualService, namespace: NAMESPACE } })) as any;
  const route = vs.spec.http[0].route as { destination: { subset: string }; weight: number }[];
  return Object.fromEntries(route.map((r) => [r.destination.subset, r.weight]));
};
const burstReplicas = async () => (await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE })).spec?.replicas;

describe("the stack under the real Pulumi engine, on two local control planes", () => {
  it("pulumi up succeeds with both clusters given, the images given and the charts from a folder", async () => {
    const config: Record<string, { value: string; secret?: boolean }> = {
      "istio-burst:primaryKubeconfig": { value: clusters.primary.kubeconfig, secret: true },
      "istio-burst:burstKubeconfig": { value: clusters.burst.kubeconfig, secret: true },
      "istio-burst:istioChartRepo": { value: chartSet(`istio-${DEFAULTS.istioVersion}`) },
      "istio-burst:prometheusChartRepo": { value: chartSet(`prometheus-${DEFAULTS.prometheusChartVersion}`) },
      // the load balancers' addresses of the two control planes (see LOAD_BALANCER_RANGES)
      "istio-burst:eastWestSourceRanges": { value: "198.51.100.0/24,203.0.113.0/24" },
      // the burst control plane's worker nodes are labelled and tainted as the GKE worker pool is
      "istio-burst:burstWorkerPool": { value: "true" },
      // given, so that no provider but Kubernetes is needed (@pulumi/random's plugin is not built here)
      "istio-burst:redisPassword": { value: "E2eRedisPassw0rdOnlyForTests", secret: true },
      ...Object.fromEntries(Object.entries(IMAGES).map(([k, v]) => [`istio-burst:${k}`, { value: v }])),
    };
    await pulumiOp(home, "config", JSON.stringify(config));
    const up = await pulumiOp(home, "up");
    state = await exportState();
    results.up = { seconds: up.seconds, resources: state.deployment.resources.length };
    expect((up.summary as { result: string }).result).toBe("succeeded");
  });

  it("every Kubernetes object in the stack's state exists in the API server of its cluster", async () => {
    const objects = kubernetesObjects(state);
    expect(objects.filter((r) => sideOf(r) === "primary").length).toBeGreaterThan(10);
    expect(objects.filter((r) => sideOf(r) === "burst").length).toBeGreaterThan(5);
    expect(await checkExist(kube, state)).toEqual([]);
  });

  it("creates no Google Cloud resource and needs no plugin but Kubernetes", () => {
    const types = new Set(state.deployment.resources.map((r) => r.type));
    expect([...types].filter((t) => /^(gcp|random|docker-build):|^pulumi:providers:(?!kubernetes$)/.test(t))).toEqual([]);
  });

  it("installs the Istio CRDs before any Istio object", async () => {
    expect(await checkCrdsFirst(kube, state)).toEqual([]);
  });

  it("every Istio object reads back with the spec the stack sent (the API server pruned nothing)", async () => {
    const { checked, problems } = await checkIstioSpecs(kube, state);
    expect(checked).toBeGreaterThanOrEqual(6);
    expect(problems).toEqual([]);
  });

  it("every Helm release is deployed with the stack's values", async () => {
    const { checked, problems } = await checkHelmReleases(kube, state);
    // primary: base, istiod, ingress and east-west gateways, Prometheus; burst: base, istiod, east-west gateway
    expect(checked).toBe(8);
    expect(problems).toEqual([]);
  });

  it("gives each identity exactly its access, checked with its real token", async () => {
    const primaryCa = clusters.primary.plane.pki.caCert;
    const { readFileSync } = await import("node:fs");
    const watcher = await serviceAccountKubeconfig(kube.primary, clusters.primary.plane.server, readFileSync(primaryCa, "utf8"), NAMESPACE, NAMES.watcher);
    const scaler = await secretText(kube.primary, NAMESPACE, "istio-watcher-burst-kubeconfig", "kubeconfig");
    const reader = await secretText(kube.primary, "istio-system", "istio-remote-secret-burst", "burst");
    const cases = { watcher: watcherCases(NAMESPACE, NAMES.workerVirtualService), scaler: scalerCases(NAMESPACE, NAMES.workerDeployment), reader: readerCases() };
    const wrong = [
      ...(await checkAccess("the watcher (primary)", watcher, cases.watcher)),
      ...(await checkAccess("the watcher's scaler (burst)", scaler, cases.scaler)),
      ...(await checkAccess("istiod's reader (burst)", reader, cases.reader)),
    ];
    results.rbac = { checked: cases.watcher.length + cases.scaler.length + cases.reader.length, failed: wrong.length };
    expect(wrong).toEqual([]);
  });

  it("the watcher, acting through its own credentials, bursts: weights 0/100 in the VirtualService, the burst Deployment scaled", async () => {
    const prometheus = await startStandInPrometheus(0);
    const primaryCa = (await import("node:fs")).readFileSync(clusters.primary.plane.pki.caCert, "utf8");
    const watcher = await startWatcherProcess({
      primary: kube.primary,
      dir: home,
      namespace: NAMESPACE,
      primaryKubeconfig: await serviceAccountKubeconfig(kube.primary, clusters.primary.plane.server, primaryCa, NAMESPACE, NAMES.watcher),
      burstKubeconfig: await secretText(kube.primary, NAMESPACE, "istio-watcher-burst-kubeconfig", "kubeconfig"),
      prometheusUrl: prometheus.url,
    });
    try {
      expect(await virtualServiceWeights()).toEqual({ primary: 100, burst: 0 });
      expect(await burstReplicas()).toBe(0);
      prometheus.setRate(50);
      const wanted = Number(watcher.env.BURST_REPLICAS ?? 2);
      await waitFor("the watcher to move the weights to burst", async () => (await virtualServiceWeights()).burst === 100, 120_000, 500);
      expect(await virtualServiceWeights()).toEqual({ primary: 0, burst: 100 });
      expect(await burstReplicas()).toBe(wanted);
      const ready = (await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE })).status?.readyReplicas;
      expect(ready).toBe(wanted);
    } finally {
      await watcher.stop();
      await prometheus.close();
    }
  });

  it("pulumi preview expects no changes, and pulumi up leaves the weights and replicas as the watcher set them", async () => {
    const [weights, replicas] = [await virtualServiceWeights(), await burstReplicas()];
    // --expect-no-changes: the preview itself fails on a change
    results.noChanges = false;
    const preview = await pulumiOp(home, "preview");
    // reads (the token Secrets, the gateways' Services) are not changes
    const changes = Object.keys(preview.changeSummary as object).filter((op) => op !== "same" && op !== "read");
    results.noChanges = changes.length === 0;
    expect(changes).toEqual([]);
    await pulumiOp(home, "up");
    results.watcherKeptByUp = isEqual([await virtualServiceWeights(), await burstReplicas()], [weights, replicas]);
    expect(await virtualServiceWeights()).toEqual(weights);
    expect(await burstReplicas()).toBe(replicas);
  });

  it("a watcher setting changed with pulumi config set is an update of the watcher's Deployment alone", async () => {
    await pulumiOp(home, "config", JSON.stringify({ "istio-burst:highRps": { value: "20" } }));
    const up = await pulumiOp(home, "up");
    const changes = up.changes as { op: string; type: string; urn: string }[];
    results.configUpdate = { changed: changes.map((c) => c.type) };
    expect(changes.map((c) => ({ op: c.op, type: c.type, name: c.urn.split("::").at(-1) }))).toEqual([
      { op: "update", type: "kubernetes:apps/v1:Deployment", name: "hashr-watcher-deployment" },
    ]);
    const deployment = await kube.primary.apps.readNamespacedDeployment({ name: NAMES.watcher, namespace: NAMESPACE });
    expect(deployment.spec!.template.spec!.containers[0].env!.find((e) => e.name === "HIGH_RPS")?.value).toBe("20");
  });

  it("pulumi destroy succeeds and leaves nothing the stack created in either API server", async () => {
    const destroy = await pulumiOp(home, "destroy");
    const after = { primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) };
    const diff = { primary: compareInventories(before.primary, after.primary), burst: compareInventories(before.burst, after.burst) };
    const left = [...diff.primary.left, ...diff.burst.left];
    const kept = [...diff.primary.kept, ...diff.burst.kept];
    results.destroy = { seconds: destroy.seconds, left: left.length, keptByHelmPolicy: kept.length };
    expect(left.map(describeRef)).toEqual([]);
    // only Istio's CRDs stay, as their chart says (helm.sh/resource-policy: keep), and the API server's own registration of their groups
    expect([...new Set(kept.map((o) => o.kind))].sort()).toEqual(["APIService", "CustomResourceDefinition"]);
    // the namespace labelled in place is as it was
    const ns = (refs: ObjectRef[]) => refs.find((o) => o.kind === "Namespace" && o.name === NAMESPACE)?.labels;
    expect(ns(after.primary)).toEqual(ns(before.primary));
    expect(ns(after.burst)).toEqual(ns(before.burst));
  });
});

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
