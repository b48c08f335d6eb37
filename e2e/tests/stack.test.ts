/**
 * `pulumi up` for real, without a cloud: the real Pulumi engine deploys the stack (index.ts, both
 * clusters given by kubeconfig, the three images given, the charts from a folder) into two local
 * control planes, then the checks below run against their API servers, in order. The steps share the
 * deployed stack; a failed step leaves the ones after it failing too.
 *
 * The burst API server runs as GKE's does (admission webhooks on, --enable-aggregator-routing) and
 * calls a stand-in for istiod's injector at the primary's east-west gateway address (this machine's
 * address, reserved for the gateway with `eastWestAddress`); the primary's runs with the webhook
 * plugins off, as no istiod answers there.
 *
 * What this cannot show: no container runs (kwok makes pods Ready without them), no istiod runs, no
 * data plane carries a request, and no Google Cloud API is called.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { REPO_ROOT, builtProgram, waitFor } from "../../local/src/processes";
import { NAMES } from "../../packages/contract/src";
import { checkCrdsFirst, checkExist, checkHelmReleases, checkIstioSpecs, kubernetesObjects, sideOf, type Clusters, type Deployment } from "../src/checks";
import { startClusters, type LocalClusters } from "../src/clusters";
import { pulumiOp, type DriverResult } from "../src/driver";
import { chartSet } from "../src/fixtures";
import { compareInventories, describeRef, listEverything, type ObjectRef } from "../src/inventory";
import { checkAccess, readerCases, scalerCases, watcherCases } from "../../doctor/src/access";
import { startStandInPrometheus, type StandInPrometheus } from "../src/stand-in-prometheus";
import { hostAddress, startStandInInjector, type StandInInjector } from "../src/stand-in-injector";
import { startRedis, type RedisServer } from "../../local/src/processes";
import { spawn } from "node:child_process";
import { ensureTools, type E2eTools } from "../src/tools";
import { secretText, serviceAccountKubeconfig } from "../../doctor/src/credentials";
import { startFrontendProcess, startWatcherProcess, type ServiceProcess } from "../src/service-processes";

/**
 * The stack's documented defaults (config.ts reads the stack's config when it is loaded: a project
 * lets it load here, outside any stack, for its DEFAULTS).
 */
function stackDefaults(): typeof import("../../config").DEFAULTS {
  pulumi.runtime.setConfig("gcp:project", "defaults-only");
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
let host: string;
let injector: StandInInjector;
/** the watcher and frontend processes, from the burst onwards (the doctor reads them) */
const running: { prometheus?: StandInPrometheus; watcher?: ServiceProcess; frontend?: ServiceProcess; redis?: RedisServer } = {};

const startInjector = () => startStandInInjector({ dir: join(clusters.dir, "injector"), address: host, burst: kube.burst, proxyImage: `docker.io/istio/proxyv2:${DEFAULTS.istioVersion}` });

beforeAll(async () => {
  tools = ensureTools();
  results.tools = Object.fromEntries(Object.entries(tools.info).map(([name, t]) => [name, { version: t.version, buildS: t.buildS }]));
  // burst as GKE runs its API server: webhooks on, called at the Service's endpoints
  clusters = await startClusters(tools, { burst: { webhooks: true, aggregatorRouting: true }, keepDir: process.env.E2E_KEEP_DIR === "1" });
  kube = { primary: clusters.primary.kube, burst: clusters.burst.kube };
  host = hostAddress();
  injector = await startInjector();
  for (const line of clusters.describe()) process.stdout.write(`e2e control plane ${line}\n`);
  home = join(clusters.dir, "stack");
  mkdirSync(home, { recursive: true });
  before = { primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) };
}, 60 * 60_000);

afterAll(async () => {
  writeFileSync(join(REPO_ROOT, "e2e", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  for (const part of [running.frontend, running.watcher]) await part?.stop();
  await running.prometheus?.close();
  await running.redis?.dispose();
  await injector?.stop();
  await clusters?.stop();
});

/** `npm run doctor` (compiled) against the stack's outputs, the frontend reached at its process. */
async function doctor(): Promise<{ code: number | null; output: string }> {
  const outputs = (await pulumiOp(home, "outputs")).outputs as Record<string, unknown>;
  const file = join(home, "outputs.json");
  writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
  // not spawnSync: the stand-in injector answers from this process while the doctor waits
  const child = spawn(process.execPath, [builtProgram("doctor/dist/doctor/src/index.js"), "--outputs", file, "--frontend-url", running.frontend!.url], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}
const brokenLinks = (output: string) => [...output.matchAll(/^\s+FAIL\s+(.+?):/gm)].map((m) => m[1]);
/** The broken links, with the doctor's whole report when there are any (to read what it said). */
const verdict = ({ output }: { output: string }) => ({ broken: brokenLinks(output), report: brokenLinks(output).length > 0 ? output : "" });

const exportState = async () => ((await pulumiOp(home, "export")) as DriverResult & { deployment: Deployment }).deployment;
const workerVirtualService = async () =>
  (await kube.primary.objects.read({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: NAMES.workerVirtualService, namespace: NAMESPACE } })) as any;
const virtualServiceWeights = async () => {
  const vs = await workerVirtualService();
  const route = vs.spec.http[0].route as { destination: { subset: string }; weight: number }[];
  return Object.fromEntries(route.map((r) => [r.destination.subset, r.weight]));
};
const burstReplicas = async () => (await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE })).spec?.replicas;
/** The burst replicas the watcher asks for, from the env the stack gave its Deployment. */
const burstReplicasWanted = () => Number(running.watcher!.env.BURST_REPLICAS ?? 2);
/** The weights and replicas as the watcher set them while bursting, read before a Pulumi operation. */
async function whileBursting(): Promise<[Record<string, number>, number | undefined]> {
  const state: [Record<string, number>, number | undefined] = [await virtualServiceWeights(), await burstReplicas()];
  // they must differ from the program's (100/0, no replicas), or keeping them would prove nothing
  expect(state).toEqual([{ primary: 0, burst: 100 }, burstReplicasWanted()]);
  return state;
}

describe("the stack under the real Pulumi engine, on two local control planes", () => {
  it("pulumi up succeeds with both clusters given, the images given and the charts from a folder", async () => {
    const config: Record<string, { value: string; secret?: boolean }> = {
      "istio-burst:primaryKubeconfig": { value: clusters.primary.kubeconfig, secret: true },
      "istio-burst:burstKubeconfig": { value: clusters.burst.kubeconfig, secret: true },
      "istio-burst:istioChartRepo": { value: chartSet(`istio-${DEFAULTS.istioVersion}`) },
      "istio-burst:prometheusChartRepo": { value: chartSet(`prometheus-${DEFAULTS.prometheusChartVersion}`) },
      // the load balancers' addresses of the two control planes (see LOAD_BALANCER_RANGES)
      "istio-burst:eastWestSourceRanges": { value: `198.51.100.0/24,203.0.113.0/24,${hostAddress()}/32` },
      // the primary's east-west gateway gets this machine's address, where the stand-in injector listens
      "istio-burst:eastWestAddress": { value: host },
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
    const watcher = await serviceAccountKubeconfig(kube.primary, NAMESPACE, NAMES.watcher);
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

  it("the burst API server calls the injector through the primary's east-west address, as GKE's does", async () => {
    const endpoints = await kube.burst.core.readNamespacedEndpoints({ name: "istiod", namespace: "istio-system" });
    expect(endpoints.subsets?.[0].addresses?.map((a) => a.ip)).toEqual([host]);
    // the burst cluster's east-west gateway pod went through the injector (two networks)
    expect(injector.calls).toContain("/inject/cluster/burst/net/network2");
    const gatewayPods = await kube.burst.core.listNamespacedPod({ namespace: "istio-system", labelSelector: "istio=eastwestgateway" });
    expect(gatewayPods.items.length).toBeGreaterThan(0);
    for (const pod of gatewayPods.items) expect(pod.spec!.containers.find((c) => c.name === "istio-proxy")?.image).toBe(`docker.io/istio/proxyv2:${DEFAULTS.istioVersion}`);
  });

  it("the watcher, acting through its own credentials, bursts: weights 0/100 in the VirtualService, the burst Deployment scaled", async () => {
    const prometheus = (running.prometheus = await startStandInPrometheus(0));
    running.watcher = await startWatcherProcess({
      primary: kube.primary,
      dir: home,
      namespace: NAMESPACE,
      primaryKubeconfig: await serviceAccountKubeconfig(kube.primary, NAMESPACE, NAMES.watcher),
      burstKubeconfig: await secretText(kube.primary, NAMESPACE, "istio-watcher-burst-kubeconfig", "kubeconfig"),
      prometheusUrl: prometheus.url,
    });
    expect(await virtualServiceWeights()).toEqual({ primary: 100, burst: 0 });
    expect(await burstReplicas()).toBe(0);
    prometheus.setRate(50);
    const wanted = burstReplicasWanted();
    await waitFor("the watcher to move the weights to burst", async () => (await virtualServiceWeights()).burst === 100, 120_000, 500);
    expect(await virtualServiceWeights()).toEqual({ primary: 0, burst: 100 });
    expect(await burstReplicas()).toBe(wanted);
    const ready = (await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE })).status?.readyReplicas;
    expect(ready).toBe(wanted);
    // the burst workers were injected on their way in
    const workers = await kube.burst.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=worker" });
    expect(workers.items.map((p) => p.spec!.containers.map((c) => c.name).sort())).toEqual(Array(wanted).fill(["istio-proxy", "worker"]));
  });

  it("npm run doctor finds every link OK", async () => {
    running.redis = await startRedis();
    running.frontend = await startFrontendProcess({ dir: home, redisUrl: running.redis.url, watcherUrl: running.watcher!.url });
    const { code, output } = await doctor();
    results.doctor = { ok: code === 0, links: output.match(/^\s+(OK|FAIL)\s/gm)?.length ?? 0 };
    expect(verdict({ output })).toEqual({ broken: [], report: "" });
    // the cost of the burst pool, from the stack's watcher through the frontend, as the page reads it
    const routing = (await (await fetch(`${running.frontend.url}/api/routing`)).json()) as { cost?: Record<string, unknown> };
    expect(routing.cost).toEqual({ burstReplicaSeconds: expect.any(Number), burstCost: expect.any(Number), alwaysOnCost: expect.any(Number), currency: "USD", since: expect.any(String) });
    expect(routing.cost!.burstReplicaSeconds).toBeGreaterThan(0);
    expect(output).toMatch(/doctor: all \d+ links OK/);
    expect(code).toBe(0);
  });

  it("npm run doctor names the injection link when the injector is down", async () => {
    await injector.stop();
    try {
      const { code, output } = await doctor();
      results.doctor = { ...(results.doctor as object), stoppedInjector: brokenLinks(output) };
      expect(brokenLinks(output)).toEqual(["sidecar injection in burst (a worker pod, server-side dry run)"]);
      expect(output).toMatch(/failed calling webhook/);
      expect(code).toBe(1);
    } finally {
      injector = await startInjector();
    }
  });

  it("npm run doctor names the watcher's link when its Role is widened, and when it is narrowed", async () => {
    const rbac = kube.primary.config.makeApiClient(kube.primary.lib.RbacAuthorizationV1Api);
    const original = await rbac.readNamespacedRole({ name: NAMES.watcher, namespace: NAMESPACE });
    const { name, labels, annotations } = original.metadata!;
    const withRules = (rules: typeof original.rules) => ({ ...original, metadata: { name, namespace: NAMESPACE, labels, annotations }, rules });
    const watcherLink = "the watcher may patch the VirtualService and scale the burst Deployment, and nothing more";
    const found: Record<string, string[]> = {};
    try {
      await rbac.replaceNamespacedRole({ name: NAMES.watcher, namespace: NAMESPACE, body: withRules([...original.rules!, { apiGroups: [""], resources: ["secrets"], verbs: ["list"] }]) });
      found.widened = brokenLinks((await doctor()).output);
      await rbac.replaceNamespacedRole({ name: NAMES.watcher, namespace: NAMESPACE, body: withRules(original.rules!.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== "patch") }))) });
      found.narrowed = brokenLinks((await doctor()).output);
    } finally {
      await rbac.replaceNamespacedRole({ name: NAMES.watcher, namespace: NAMESPACE, body: withRules(original.rules) });
    }
    results.doctor = { ...(results.doctor as object), widenedRole: found.widened, narrowedRole: found.narrowed };
    expect(found).toEqual({ widened: [watcherLink], narrowed: [watcherLink] });
    expect(brokenLinks((await doctor()).output)).toEqual([]);
  });

  it("pulumi preview expects no changes, and pulumi up leaves the weights and replicas as the watcher set them", async () => {
    const [weights, replicas] = await whileBursting();
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

  it("a release while bursting (a new worker image, new natural weights) updates the VirtualService and both worker Deployments, and keeps the watcher's weights and replicas", async () => {
    const [weights, replicas] = await whileBursting();
    const workerImage = IMAGES.workerImage.replace(/:e2e$/, ":e2e-release");
    await pulumiOp(home, "config", JSON.stringify({ "istio-burst:workerImage": { value: workerImage }, "istio-burst:naturalWeights": { value: "90,10" } }));
    const up = await pulumiOp(home, "up");
    const changed = (up.changes as { op: string; type: string; urn: string }[]).map((c) => `${c.op} ${c.urn.split("::").at(-1)}`).sort();
    // the VirtualService is updated (its natural-weights annotation), the weights in it are left alone;
    // the watcher's Deployment takes the new natural weights
    expect(changed).toEqual(["update hashr-burst-workers-deployment", "update hashr-primary-workers-deployment", "update hashr-routing-worker-vs", "update hashr-watcher-deployment"]);
    const vs = await workerVirtualService();
    expect(vs.metadata.annotations["istio-burst/natural-weights"]).toBe("90,10");
    const burst = await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE });
    expect(burst.spec!.template.spec!.containers.find((c) => c.name === "worker")?.image).toBe(workerImage);
    results.watcherKeptByRelease = isEqual([await virtualServiceWeights(), await burstReplicas()], [weights, replicas]);
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
