/**
 * `pulumi up` for real, without a cloud: the `pulumi` CLI, in the project folder, runs the README's own
 * commands for two clusters you already have (both given by kubeconfig, the three images given, the
 * charts from a folder) against two local control planes; the program runs in the Node.js language
 * host and the Kubernetes provider is an ambient plugin. The checks below run against the two API
 * servers, in order. The steps share the deployed stack; a failed step leaves the ones after it failing too.
 *
 * istiod is the real one (pilot-discovery from the pinned charts' commit), run as a process from the
 * stack's istiod Deployment with its own ServiceAccount's token (e2e/src/istiod.ts). Both API servers
 * run as GKE's do (admission webhooks on, --enable-aggregator-routing): the primary's calls istiod at
 * its Service, whose endpoints the harness points at the process, and burst's at the primary's
 * east-west gateway address (this machine's, reserved for the gateway with `eastWestAddress`), through
 * the v1 Endpoints the stack creates in burst. An ADS probe, as the frontend pod's sidecar, reads the
 * routes and endpoints istiod computes from the two clusters; istioctl analyze reads both clusters.
 *
 * What this cannot show: no container runs (kwok makes pods Ready without them), no Envoy runs (none
 * is served by any registry here), so no request crosses the mesh; and no Google Cloud API is called.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { REPO_ROOT, builtProgram, waitFor } from "../../packages/tooling/src/processes";
import { NAMES, PORTS } from "../../packages/contract/src";
import { checkCrdsFirst, checkExist, checkHelmReleases, checkIstioSpecs, kubernetesObjects, sideOf, type Clusters, type Deployment } from "../src/checks";
import { hostAddress, startClusters, type LocalClusters } from "../src/clusters";
import { PulumiCli, stackDefaults, stackConfigFile, stackHome, type CliResult } from "../src/pulumi";
import { ReadmeCommands } from "../src/readme-commands";
import { FIXTURE_ISTIO } from "../src/fixtures";
import { E2E_IMAGES, ownClustersValues } from "../src/stack-values";
import { recordResults } from "../src/results";
import { changedObjects, compareInventories, describeRef, listEverything, type ObjectRef } from "../src/inventory";
import { checkAccess, readerCases, scalerCases, watcherCases } from "../../packages/tooling/src/access";
import { startStandInPrometheus, type StandInPrometheus } from "../src/stand-in-prometheus";
import { startIstiod, ISTIOD_XDS, type Istiod } from "../src/istiod";
import { analyze } from "../src/analyze";
import { subsetWeights, watchProbe, type ProbeTarget, type ProbeWatch } from "../src/ads-probe";
import { startRedis, type RedisServer } from "../../packages/tooling/src/processes";
import { spawn } from "node:child_process";
import { ensureTools, pinnedModule, type E2eTools } from "../src/tools";
import { secretText, serviceAccountKubeconfig } from "../../packages/tooling/src/credentials";
import { startFrontendProcess, startWatcherProcess, type ServiceProcess } from "../src/service-processes";
import { readWorkerVirtualService, workerWeights } from "../src/worker-route";

const DEFAULTS = stackDefaults();
const NAMESPACE = DEFAULTS.appNamespace;
const IMAGES = E2E_IMAGES;

/** the stack's name: `pulumi stack init` writes Pulumi.<it>.yaml into the project folder, `pulumi stack rm` removes it */
const STACK = "istio-burst-e2e";

let tools: E2eTools;
let cli: PulumiCli;
let readme: ReadmeCommands;
/** `git status` of the project folder before the suite, to hold that it changes nothing there */
let gitStatusBefore: string;
let clusters: LocalClusters;
let kube: Clusters;
let home: string;
let before: Record<"primary" | "burst", ObjectRef[]>;
let state: Deployment;
const results: Record<string, unknown> = {};
let host: string;
let istiod: Istiod | undefined;
/** the frontend pod's sidecar, as the ADS probe stands for it, from the burst onwards */
let probe: ProbeWatch | undefined;
/** the watcher and frontend processes, from the burst onwards (the doctor reads them) */
const running: { prometheus?: StandInPrometheus; watcher?: ServiceProcess; frontend?: ServiceProcess; redis?: RedisServer } = {};


beforeAll(async () => {
  tools = ensureTools();
  results.tools = Object.fromEntries(Object.entries(tools.info).map(([name, t]) => [name, { version: t.version, buildS: t.buildS }]));
  // burst as GKE runs its API server: webhooks on, called at the Service's endpoints
  // both API servers as GKE runs them: webhooks on, called at the Service's endpoints
  const asGke = { webhooks: true, aggregatorRouting: true };
  clusters = await startClusters(tools, { primary: asGke, burst: asGke, keepDir: process.env.E2E_KEEP_DIR === "1" });
  kube = { primary: clusters.primary.kube, burst: clusters.burst.kube };
  host = hostAddress();
  for (const line of clusters.describe()) process.stdout.write(`e2e control plane ${line}\n`);
  home = join(clusters.dir, "stack");
  mkdirSync(home, { recursive: true });
  cli = new PulumiCli(tools, stackHome(home));
  // a run killed before its `pulumi stack rm` leaves its stack file behind: it is the suite's own
  rmSync(stackConfigFile(STACK), { force: true });
  gitStatusBefore = gitStatus();
  readme = new ReadmeCommands(cli, ownClustersValues({ clusters, dir: home, backend: cli.home.backend, stack: STACK, host }));
  before = { primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) };
}, 60 * 60_000);

/** aborted when the suite ends: what still waits gives up */
const ending = new AbortController();

afterAll(async () => {
  ending.abort();
  recordResults({ ...results, mesh: { istiod: `${tools?.info["pilot-discovery"]?.version} (${pinnedModule("istio", "istio.io/istio")})`, ...mesh } });
  for (const part of [running.frontend, running.watcher]) await part?.stop();
  await running.prometheus?.close();
  await running.redis?.dispose();
  await probe?.stop();
  await istiod?.stop();
  await clusters?.stop();
});

function gitStatus(): string {
  const run = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`git status failed: ${run.stderr}`);
  // the suite's own output files
  return run.stdout
    .split("\n")
    .filter((l) => l !== "" && !l.endsWith("e2e/results.json"))
    .join("\n");
}

const stackOutputs = () => cli.json<Record<string, unknown>>(["stack", "output", "--json", "--show-secrets"]);

/** `npm run doctor` (compiled) against the stack's outputs, the frontend reached at its process. */
async function doctor(): Promise<{ code: number | null; output: string }> {
  const outputs = await stackOutputs();
  const file = join(home, "outputs.json");
  writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
  // not spawnSync: the watcher and the frontend answer from this process's children while the doctor waits;
  // the tools' istioctl on PATH, as the README tells users to put it there, so that analyze is one of the links
  const env = { ...process.env, PATH: `${dirname(tools.path("istioctl"))}${delimiter}${process.env.PATH ?? ""}` };
  const child = spawn(process.execPath, [builtProgram("doctor/dist/doctor/src/index.js"), "--outputs", file, "--frontend-url", running.frontend!.url], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}
const brokenLinks = (output: string) => [...output.matchAll(/^\s+FAIL\s+(.+?):/gm)].map((m) => m[1]);
/** The broken links, with the doctor's whole report when there are any (to read what it said). */
const verdict = ({ output }: { output: string }) => ({ broken: brokenLinks(output), report: brokenLinks(output).length > 0 ? output : "" });

/** The mesh figures (results.json `mesh`), gathered as the steps go. */
const mesh: Record<string, unknown> = {};

/** The frontend pod in the primary, as its sidecar would identify itself to istiod. */
async function frontendSidecar(): Promise<ProbeTarget> {
  const pod = (await kube.primary.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=frontend" })).items[0];
  return {
    istiod: ISTIOD_XDS,
    pod: pod.metadata!.name!,
    namespace: NAMESPACE,
    ip: pod.status!.podIP!,
    cluster: "primary",
    network: "network1",
    labels: pod.metadata!.labels,
    host: `${NAMES.workerService}.${NAMESPACE}.svc.cluster.local`,
    port: PORTS.service,
    subsets: ["primary", "burst"],
  };
}
/** The route's weights per subset, 0 for a subset it leaves out (istiod drops a weight of 0). */
const routeWeights = (a: Parameters<typeof subsetWeights>[0]) => ({ primary: 0, burst: 0, ...subsetWeights(a) });

/** What istiod's injection put into a pod: its proxy, the proxy's cluster, network and discovery address, the mTLS label. */
function injectedSidecar(pod: import("@kubernetes/client-node").V1Pod) {
  const proxy = pod.spec!.containers.find((c) => c.name === "istio-proxy");
  const env = Object.fromEntries((proxy?.env ?? []).map((e) => [e.name, e.value]));
  const proxyConfig = env.PROXY_CONFIG ? (JSON.parse(env.PROXY_CONFIG) as { discoveryAddress?: string }) : {};
  // the template writes only what differs from Istio's built-in proxy config (cleanProxyConfig in
  // istio's pkg/kube/inject): no discovery address there means the proxy uses the default one
  const ISTIO_DEFAULT_DISCOVERY = "istiod.istio-system.svc:15012";
  return {
    container: proxy !== undefined,
    clusterId: env.ISTIO_META_CLUSTER_ID,
    network: env.ISTIO_META_NETWORK,
    discoveryAddress: proxyConfig.discoveryAddress ?? ISTIO_DEFAULT_DISCOVERY,
    tlsMode: pod.metadata!.labels?.["security.istio.io/tlsMode"],
  };
}

const exportState = () => cli.json<Deployment>(["stack", "export"]);
/** The change steps of an up, as `op name` (the last part of each URN), sorted. */
const changedNames = (up: { changes?: { op: string; urn: string }[] }) => (up.changes ?? []).map((c) => `${c.op} ${c.urn.split("::").at(-1)}`).sort();
const workerVirtualService = () => readWorkerVirtualService(kube.primary, NAMESPACE);
const virtualServiceWeights = () => workerWeights(kube.primary, NAMESPACE);
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
  it("the README's commands, run as written in the project folder, bring the stack up with both clusters given, the images given and the charts from a folder", async () => {
    // istiod starts as the pod would: once the stack has created its Deployment, while up goes on
    const starting = startIstiod({ tools, dir: join(clusters.dir, "istiod"), primary: kube.primary, address: host, signal: ending.signal });
    starting.catch(() => undefined);
    // istiod failing to start fails the step now, not after pulumi up has waited for the gateways' injection
    const up = await Promise.race([readme.runThrough("up"), starting.then(() => new Promise<never>(() => undefined))]);
    istiod = await starting;
    state = await exportState();
    results.up = { seconds: up.seconds, resources: state.deployment.resources.length };
    // the stack's own file in the project folder, and nothing else there
    expect(existsSync(stackConfigFile(STACK))).toBe(true);
    // the program ran in the language host, and the Kubernetes provider was the tools folder's
    const ambient = /using pulumi-resource-kubernetes from \$PATH at (\S+)/.exec(up.stdout + up.stderr)?.[1];
    expect(ambient).toBe(tools.path("pulumi-resource-kubernetes"));
    results.cli = {
      languageHost: tools.info["pulumi-language-nodejs"].version,
      projectFolder: true,
      readmeCommands: readme.ran.length,
      provider: tools.info["pulumi-resource-kubernetes"].version,
    };
    // every resource of the state was created by this up (reads are not creates)
    const created = (type: string) => type !== "pulumi:pulumi:Stack";
    expect(up.changes!.filter((c) => c.op === "create" && created(c.type)).length).toBe(state.deployment.resources.filter((r) => created(r.type) && !r.external).length);
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
    const cases = { watcher: watcherCases(NAMESPACE, NAMES.workerVirtualService, NAMES.watcherLease), scaler: scalerCases(NAMESPACE, NAMES.workerDeployment), reader: readerCases() };
    const wrong = [
      ...(await checkAccess("the watcher (primary)", watcher, cases.watcher)),
      ...(await checkAccess("the watcher's scaler (burst)", scaler, cases.scaler)),
      ...(await checkAccess("istiod's reader (burst)", reader, cases.reader)),
    ];
    results.rbac = { checked: cases.watcher.length + cases.scaler.length + cases.reader.length, failed: wrong.length };
    expect(wrong).toEqual([]);
  });

  it("the burst API server calls istiod's injection webhook through burst's v1 Endpoints at the east-west address, with the CA istiod patched in itself", async () => {
    const endpoints = await kube.burst.core.readNamespacedEndpoints({ name: "istiod", namespace: "istio-system" });
    expect(endpoints.subsets?.[0].addresses?.map((a) => a.ip)).toEqual([host]);
    // istiod's own root certificate, as it publishes it in the primary
    const root = (await kube.primary.core.readNamespacedConfigMap({ name: "istio-ca-root-cert", namespace: "istio-system" })).data!["root-cert.pem"];
    const webhooks = kube.burst.config.makeApiClient(kube.burst.lib.AdmissionregistrationV1Api);
    const injectors = (await webhooks.listMutatingWebhookConfiguration()).items.flatMap((c) => c.webhooks ?? []).filter((w) => w.clientConfig.service?.name === "istiod");
    expect(injectors.length).toBeGreaterThan(0);
    await waitFor("istiod to set its CA in burst's injection webhooks", async () => {
      const now = (await webhooks.listMutatingWebhookConfiguration()).items.flatMap((c) => c.webhooks ?? []).filter((w) => w.clientConfig.service?.name === "istiod");
      return now.every((w) => Buffer.from(w.clientConfig.caBundle ?? "", "base64").toString("utf8").trim() === root.trim());
    }, 60_000, 500);
    // the burst cluster's east-west gateway pods, injected by istiod from the pinned chart's gateway template (two networks)
    const gatewayPods = await waitFor("the burst east-west gateway's pods, injected", async () => {
      const pods = (await kube.burst.core.listNamespacedPod({ namespace: "istio-system", labelSelector: "istio=eastwestgateway" })).items;
      return pods.length > 0 && pods.every((p) => /\/proxyv2:/.test(p.spec!.containers.find((c) => c.name === "istio-proxy")?.image ?? "")) && pods;
    }, 180_000, 1000);
    for (const pod of gatewayPods) expect(pod.spec!.containers.find((c) => c.name === "istio-proxy")?.image).toBe(`docker.io/istio/proxyv2:${FIXTURE_ISTIO.rendered}`);
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
    // what the frontend pod's sidecar gets, before: the natural weights, the primary workers, no burst endpoint
    probe = watchProbe(tools, await frontendSidecar());
    const natural = (await probe.until("the natural weights", (a) => isEqual(routeWeights(a), { primary: 100, burst: 0 }), 0, 60_000)).answer;
    const primaryWorkers = (await kube.primary.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=worker" })).items.map((p) => p.status!.podIP!).sort();
    expect(natural.endpoints.primary.map((e) => e.address)).toEqual(primaryWorkers);
    expect(natural.endpoints.burst).toEqual([]);
    const step = Date.now();
    prometheus.setRate(50);
    const wanted = burstReplicasWanted();
    await waitFor("the watcher to move the weights to burst", async () => (await virtualServiceWeights()).burst === 100, 120_000, 500);
    const burst = await probe.until("the burst weights", (a) => isEqual(routeWeights(a), { primary: 0, burst: 100 }), step, 30_000);
    mesh.reactionToProxyS = (burst.at - step) / 1000;
    mesh.route = { natural: routeWeights(natural), burst: routeWeights(burst.answer) };
    expect(await virtualServiceWeights()).toEqual({ primary: 0, burst: 100 });
    expect(await burstReplicas()).toBe(wanted);
    const ready = (await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE })).status?.readyReplicas;
    expect(ready).toBe(wanted);
    // the burst workers were injected on their way in, by istiod with the chart's own template
    const workers = (await kube.burst.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=worker" })).items;
    expect(workers.map((p) => p.spec!.containers.map((c) => c.name).sort())).toEqual(Array(wanted).fill(["istio-proxy", "worker"]));
    const sidecars = workers.map(injectedSidecar);
    mesh.injected = { pods: workers.length, sidecar: sidecars.every((s) => s.container) };
    expect(sidecars).toEqual(Array(wanted).fill({ container: true, clusterId: "burst", network: "network2", discoveryAddress: "istiod.istio-system.svc:15012", tlsMode: "istio" }));
    // ...and the frontend's sidecar reaches them through burst's east-west gateway, weighted by their number
    const gateway = await kube.burst.core.readNamespacedService({ name: "istio-eastwestgateway", namespace: "istio-system" });
    const gatewayAddress = gateway.status!.loadBalancer!.ingress![0].ip;
    const reached = await probe.until("the burst workers behind burst's east-west gateway", (a) => isEqual(a.endpoints.burst, [{ address: gatewayAddress, port: 15443, weight: wanted }]), step, 60_000);
    mesh.burstEndpoints = reached.answer.endpoints.burst;
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
    // istioctl analyze over both clusters, as one of the links
    expect(output).toMatch(/^\s+OK\s+istioctl analyze finds no error in either cluster/m);
    expect(code).toBe(0);
  });

  it("istioctl analyze over both clusters finds no error", async () => {
    const messages = analyze(tools, home, { primary: clusters.primary.kubeconfig, burst: clusters.burst.kubeconfig });
    const at = (level: string) => messages.filter((m) => m.level === level);
    mesh.analyze = { errors: at("Error").length, warnings: at("Warning").length, messages: messages.map((m) => `${m.level} ${m.code} ${m.origin ?? ""}`.trim()).sort() };
    expect(at("Error").map((m) => `${m.code} ${m.origin}: ${m.message}`)).toEqual([]);
  });

  it("npm run doctor names the injection link when istiod is stopped", async () => {
    expect(await istiod!.stop()).toBe(true);
    try {
      const { code, output } = await doctor();
      results.doctor = { ...(results.doctor as object), stoppedIstiod: brokenLinks(output) };
      expect(brokenLinks(output)).toEqual(["sidecar injection in burst (a worker pod, server-side dry run)"]);
      expect(output).toMatch(/failed calling webhook/);
      expect(code).toBe(1);
    } finally {
      await istiod!.restart();
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
    const preview = await readme.runThrough("preview");
    results.noChanges = preview.code === 0;
    await cli.withEvents(["up", "--yes"]);
    results.watcherKeptByUp = isEqual([await virtualServiceWeights(), await burstReplicas()], [weights, replicas]);
    expect(await virtualServiceWeights()).toEqual(weights);
    expect(await burstReplicas()).toBe(replicas);
  });

  it("a release while bursting (a new worker image, new natural weights) updates the VirtualService and both worker Deployments, and keeps the watcher's weights and replicas", async () => {
    const [weights, replicas] = await whileBursting();
    const workerImage = IMAGES.workerImage.replace(/:e2e$/, ":e2e-release");
    await cli.run(["config", "set", "istio-burst:workerImage", workerImage]);
    await cli.run(["config", "set", "istio-burst:naturalWeights", "90,10"]);
    const up = await cli.withEvents(["up", "--yes"]);
    const changed = changedNames(up);
    // the VirtualService is updated (its natural-weights annotation), the weights in it are left alone;
    // the watcher's Deployment takes the new natural weights
    expect(changed).toEqual(["update hashr-burst-workers-deployment", "update hashr-primary-workers-deployment", "update hashr-routing-worker-vs", "update hashr-watcher-deployment"]);
    const vs = await workerVirtualService();
    expect(vs.metadata.annotations?.["istio-burst/natural-weights"]).toBe("90,10");
    const burst = await kube.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: NAMESPACE });
    expect(burst.spec!.template.spec!.containers.find((c) => c.name === "worker")?.image).toBe(workerImage);
    results.watcherKeptByRelease = isEqual([await virtualServiceWeights(), await burstReplicas()], [weights, replicas]);
    expect(await virtualServiceWeights()).toEqual(weights);
    expect(await burstReplicas()).toBe(replicas);
  });

  it("a watcher setting changed with pulumi config set (the README's) is an update of the watcher's Deployment alone", async () => {
    const up = await readme.runThrough("up");
    const changes = up.changes!;
    results.configUpdate = { changed: changes.map((c) => c.type) };
    expect(changes.map((c) => ({ op: c.op, type: c.type, name: c.urn.split("::").at(-1) }))).toEqual([
      { op: "update", type: "kubernetes:apps/v1:Deployment", name: "hashr-watcher-deployment" },
    ]);
    const deployment = await kube.primary.apps.readNamespacedDeployment({ name: NAMES.watcher, namespace: NAMESPACE });
    expect(deployment.spec!.template.spec!.containers[0].env!.find((e) => e.name === "HIGH_RPS")?.value).toBe("20");
  });

  it("the way back: the load gone, the watcher returns to the natural weights, the frontend's sidecar follows, and the burst endpoints go with the pool", async () => {
    expect(await virtualServiceWeights()).toEqual({ primary: 0, burst: 100 });
    const step = Date.now();
    running.prometheus!.setRate(0);
    const back = await probe!.until("the natural weights again", (a) => isEqual(routeWeights(a), { primary: 100, burst: 0 }), step, 180_000);
    mesh.returnToProxyS = (back.at - step) / 1000;
    mesh.route = { ...(mesh.route as object), back: routeWeights(back.answer) };
    expect(await virtualServiceWeights()).toEqual({ primary: 100, burst: 0 });
    // the pool goes back to burstMinReplicas (0) after the cooldown, and with it every burst endpoint
    await waitFor("the burst pool back at 0", async () => (await burstReplicas()) === 0, 240_000, 1000);
    await probe!.until("no burst endpoint", (a) => a.endpoints.burst.length === 0, step, 60_000);
  });

  it("a key of the wrong type is refused by the engine, and a value out of bounds by config.ts, before anything changes", async () => {
    const inventories = async () => ({ primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) });
    const [before, stateBefore] = [await inventories(), await exportState()];
    const refusals: Record<string, string> = {};
    const refused = async (key: string, value: string): Promise<CliResult> => {
      await cli.run(["config", "set", `istio-burst:${key}`, value]);
      try {
        const preview = await cli.run(["preview"], { mayFail: true });
        refusals[key] = (preview.stdout + preview.stderr).split("\n").find((l) => l.includes(key)) ?? "";
        return preview;
      } finally {
        await cli.run(["config", "rm", `istio-burst:${key}`]);
      }
    };
    const wrongType = await refused("diskSizeGb", "abc");
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stdout + wrongType.stderr).toMatch(/configuration key 'diskSizeGb' must be of type 'integer'/);
    // highRps is 20 by now: lowRps must be below it
    const outOfBounds = await refused("lowRps", "25");
    expect(outOfBounds.code).not.toBe(0);
    expect(outOfBounds.stdout + outOfBounds.stderr).toMatch(/istio-burst:lowRps \(25\) must be/);
    const after = await inventories();
    const changed = [...changedObjects(before.primary, after.primary), ...changedObjects(before.burst, after.burst)];
    const stateAfter = await exportState();
    (results.cli as Record<string, unknown>).badConfig = { refused: [wrongType, outOfBounds].filter((r) => r.code !== 0).length, changed: changed.length, messages: refusals };
    expect(changed).toEqual([]);
    expect(stateAfter.deployment.resources.map((r) => r.urn)).toEqual(stateBefore.deployment.resources.map((r) => r.urn));
  });

  it("pulumi destroy (the README's) succeeds and leaves nothing the stack created in either API server", async () => {
    // istiod ends when destroy deletes its Deployment, as its pod would; what it wrote at run time is counted apart below
    const destroy = await readme.runThrough("destroy");
    const after = { primary: await listEverything(clusters.primary.plane), burst: await listEverything(clusters.burst.plane) };
    const diff = { primary: compareInventories(before.primary, after.primary), burst: compareInventories(before.burst, after.burst) };
    const left = [...diff.primary.left, ...diff.burst.left];
    const kept = [...diff.primary.kept, ...diff.burst.kept];
    const byIstiod = [...diff.primary.byIstiod, ...diff.burst.byIstiod];
    results.destroy = { seconds: destroy.seconds, left: left.length, keptByHelmPolicy: kept.length, writtenByIstiod: byIstiod.map(describeRef) };
    expect(left.map(describeRef)).toEqual([]);
    // only Istio's CRDs stay, as their chart says (helm.sh/resource-policy: keep), and the API server's own registration of their groups
    expect([...new Set(kept.map((o) => o.kind))].sort()).toEqual(["APIService", "CustomResourceDefinition"]);
    // the namespace labelled in place is as it was
    const ns = (refs: ObjectRef[]) => refs.find((o) => o.kind === "Namespace" && o.name === NAMESPACE)?.labels;
    expect(ns(after.primary)).toEqual(ns(before.primary));
    expect(ns(after.burst)).toEqual(ns(before.burst));
  });

  it("pulumi stack rm (the README's last command) leaves the project folder as it was", async () => {
    await readme.runThrough("stack rm");
    expect(readme.left).toEqual([]);
    expect(existsSync(stackConfigFile(STACK))).toBe(false);
    expect(gitStatus()).toBe(gitStatusBefore);
    (results.cli as Record<string, unknown>).readmeCommands = readme.ran.length;
  });
});

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
