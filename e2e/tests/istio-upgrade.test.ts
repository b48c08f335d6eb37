/**
 * The in-place Istio upgrade a stack made before 1.31 goes through: the stack up on the 1.30 charts
 * (both clusters by kubeconfig, the charts from the fixture folders), the weights moved to burst as the
 * watcher moves them, then `istioVersion` and `istioChartRepo` set to 1.31 and `pulumi up`, as the
 * README's "Upgrade Istio" says. Every Istio Deployment and CRD in both clusters must then carry the
 * new release, nothing may be replaced, the weights must stay, and the next preview must be empty.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NAMES } from "../../packages/contract/src";
import { createIstioRouter } from "../../watcher/src/lib";
import type { Kube } from "../../packages/tooling/src/kube";
import { hostAddress, startClusters, type LocalClusters } from "../src/clusters";
import { FIXTURE_ISTIO, chartSet } from "../src/fixtures";
import { PulumiCli, stackDefaults, stackConfigFile, stackHome, type StepChange } from "../src/pulumi";
import { recordResults } from "../src/results";
import { ensureTools, pinnedModule, type E2eTools } from "../src/tools";

const STACK = "istio-burst-upgrade-e2e";
const NAMESPACE = "default";
const { upgradeFrom: FROM, rendered: TO } = FIXTURE_ISTIO;

let tools: E2eTools;
let clusters: LocalClusters;
let cli: PulumiCli;
const results: Record<string, unknown> = {};

beforeAll(async () => {
  tools = ensureTools();
  clusters = await startClusters(tools, {});
  const home = join(clusters.dir, "upgrade");
  mkdirSync(home, { recursive: true });
  cli = new PulumiCli(tools, stackHome(home));
  rmSync(stackConfigFile(STACK), { force: true });
  await cli.run(["login", `file://${cli.home.backend}`]);
  await cli.run(["stack", "init", STACK]);
  for (const side of ["primary", "burst"] as const) await cli.run(["config", "set", "--secret", `istio-burst:${side}Kubeconfig`], { input: clusters[side].kubeconfig });
  const config: Record<string, string> = {
    frontendImage: "registry.example.internal/istio-burst/frontend:e2e",
    workerImage: "registry.example.internal/istio-burst/worker:e2e",
    watcherImage: "registry.example.internal/istio-burst/watcher:e2e",
    eastWestSourceRanges: `198.51.100.0/24,203.0.113.0/24,${hostAddress()}/32`,
    burstWorkerPool: "true",
    istioVersion: FROM,
    istioChartRepo: chartSet(`istio-${FROM}`),
    prometheusChartRepo: chartSet(`prometheus-${stackDefaults().prometheusChartVersion}`),
  };
  for (const [key, value] of Object.entries(config)) await cli.run(["config", "set", `istio-burst:${key}`, value]);
  await cli.run(["config", "set", "--secret", "istio-burst:redisPassword", "E2eRedisPassw0rdOnlyForTests"]);
}, 60 * 60_000);

afterAll(async () => {
  recordResults({ istio: { ...(results.istio as object) } });
  try {
    await cli?.run(["destroy", "--yes"], { mayFail: true });
    await cli?.run(["stack", "rm", "--yes", STACK], { mayFail: true });
  } finally {
    rmSync(stackConfigFile(STACK), { force: true });
    await clusters?.stop();
  }
});

/** Every Deployment of Istio's charts in Istio's namespaces and every Istio CRD, with the release its chart labelled it with. */
async function istioVersions(kube: Kube): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const ns of ["istio-system", "istio-ingress"]) {
    // Istio's charts label what they install part of istio (Prometheus, in istio-system too, is not)
    const list = await kube.apps.listNamespacedDeployment({ namespace: ns, labelSelector: "app.kubernetes.io/part-of=istio" });
    for (const d of list.items) found[`Deployment ${ns}/${d.metadata!.name}`] = d.metadata!.labels?.["app.kubernetes.io/version"] ?? "(no version label)";
  }
  const ext = kube.config.makeApiClient(kube.lib.ApiextensionsV1Api);
  for (const crd of (await ext.listCustomResourceDefinition()).items)
    if (crd.metadata!.name!.endsWith(".istio.io")) found[`CRD ${crd.metadata!.name}`] = crd.metadata!.labels?.["app.kubernetes.io/version"] ?? "(no version label)";
  return found;
}

/** The uids of the objects an upgrade must keep: the namespaces and every Secret (the remote secret among them). */
async function keptObjects(kube: Kube): Promise<Record<string, string>> {
  const uids: Record<string, string> = {};
  for (const ns of (await kube.core.listNamespace()).items) uids[`Namespace ${ns.metadata!.name}`] = ns.metadata!.uid!;
  for (const s of (await kube.core.listSecretForAllNamespaces()).items) uids[`Secret ${s.metadata!.namespace}/${s.metadata!.name}`] = s.metadata!.uid!;
  return uids;
}

describe("the in-place Istio upgrade, 1.30 to 1.31, under the real engine", () => {
  let before: { primary: Record<string, string>; burst: Record<string, string> };

  it(`pulumi up installs Istio ${FROM} from its chart folder in both clusters`, async () => {
    await cli.withEvents(["up", "--yes"]);
    for (const side of ["primary", "burst"] as const) {
      const versions = await istioVersions(clusters[side].kube);
      expect(Object.keys(versions).length).toBeGreaterThan(side === "primary" ? 10 : 5);
      expect({ side, versions: new Set(Object.values(versions)) }).toEqual({ side, versions: new Set([FROM]) });
    }
  });

  it("the watcher's weights are set as the watcher sets them", async () => {
    const router = await createIstioRouter({ namespace: NAMESPACE, name: NAMES.workerVirtualService, kubeConfig: clusters.primary.kube.config });
    await router.setWeights({ primary: 0, burst: 100 }, { reason: "BurstStarted", message: "e2e: bursting before the upgrade" });
    expect(await router.getWeights()).toEqual({ primary: 0, burst: 100 });
    before = { primary: await keptObjects(clusters.primary.kube), burst: await keptObjects(clusters.burst.kube) };
  });

  it(`istioVersion ${TO} and its chart folder, then pulumi up: every Istio Deployment and CRD carries ${TO}, nothing is replaced, the weights stay`, async () => {
    await cli.run(["config", "set", "istio-burst:istioVersion", TO]);
    await cli.run(["config", "set", "istio-burst:istioChartRepo", chartSet(`istio-${TO}`)]);
    const up = await cli.withEvents(["up", "--yes"]);
    const replaced = up.changes.filter((c: StepChange) => /replace/.test(c.op));
    const after = { primary: await keptObjects(clusters.primary.kube), burst: await keptObjects(clusters.burst.kube) };
    const lost = (side: "primary" | "burst") => Object.entries(before[side]).filter(([k, uid]) => after[side][k] !== uid).map(([k]) => `${side}: ${k}`);
    const router = await createIstioRouter({ namespace: NAMESPACE, name: NAMES.workerVirtualService, kubeConfig: clusters.primary.kube.config });
    const weights = await router.getWeights();
    results.istio = {
      rendered: TO,
      default: stackDefaults().istioVersion,
      istiodModule: pinnedModule("istio", "istio.io/istio"),
      upgrade: { from: FROM, to: TO, seconds: up.seconds, replaced: replaced.length, weightsKept: weights.primary === 0 && weights.burst === 100 },
    };
    expect(replaced.map((c) => c.urn)).toEqual([]);
    expect([...lost("primary"), ...lost("burst")]).toEqual([]);
    expect(weights).toEqual({ primary: 0, burst: 100 });
    for (const side of ["primary", "burst"] as const) {
      const versions = await istioVersions(clusters[side].kube);
      expect({ side, versions: Object.entries(versions).filter(([, v]) => v !== TO) }).toEqual({ side, versions: [] });
    }
    // the upgrade updated the Istio releases (base, istiod, gateways) in place
    expect(up.changes.filter((c) => c.type === "kubernetes:helm.sh/v3:Release" && c.op === "update").length).toBeGreaterThanOrEqual(5);
  });

  it("the next preview has no changes", async () => {
    const preview = await cli.run(["preview", "--expect-no-changes"], { mayFail: true });
    (results.istio as Record<string, unknown>).noChangesAfter = preview.code === 0;
    expect(preview.code).toBe(0);
  });
});
