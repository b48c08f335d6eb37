/**
 * npm run doctor's own logic: its options, the stack outputs it needs, its report (OK, FAIL, SKIP)
 * and exit rule, and the frontend/watcher link against a stand-in frontend, and the Istio release of
 * both clusters against fake API servers. The other links against the clusters run in npm run test:e2e, against real API
 * servers (injection, RBAC, the remote secret, the gateway).
 */
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { report } from "../../doctor/src/index";
import { ISTIO_RELEASE_LINK, chartRelease, istioReleases } from "../../doctor/src/istio-release";
import { kubeFrom } from "../../packages/tooling/src/kube";
import { errorText, frontendAndWatcher, isBroken, type StackView } from "../../doctor/src/links";
import { parseArgs, stackView } from "../../doctor/src/outputs";
import { kubeConfigFile, startFakeKubeApi, type FakeKubeApi } from "../helpers/fake-kube-api";
import { RENDERED_ISTIO, UPGRADE_FROM_ISTIO, pinnedIstioChart } from "../helpers/pinned-charts";
import { testFolder } from "../helpers/temp-folders";

const OUTPUTS = {
  primaryKubeconfig: "apiVersion: v1 # primary",
  burstKubeconfig: "apiVersion: v1 # burst",
  appNamespace: "default",
  remoteSecretName: "istio-system/istio-remote-secret-burst",
  eastWestGatewayAddress: "10.138.0.42",
  frontendUrl: "http://34.82.10.20/",
  istioVersion: "1.31.4",
};

function outputsFile(outputs: Record<string, unknown>): string {
  const file = join(testFolder("doctor"), "outputs.json");
  writeFileSync(file, JSON.stringify(outputs));
  return file;
}

describe("doctor options and outputs", () => {
  it("reads --stack, --outputs and --frontend-url, and refuses anything else with the usage", () => {
    expect(parseArgs(["--stack", "dev", "--outputs", "o.json", "--frontend-url", "http://x"])).toEqual({ stack: "dev", outputsFile: "o.json", frontendUrl: "http://x" });
    expect(() => parseArgs(["--stak", "dev"])).toThrow(/--stak is not an option; usage: npm run doctor/);
    expect(() => parseArgs(["--stack"])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(["--outputs", "--stack"])).toThrow(/--outputs needs a value/);
  });

  it("takes what it needs from the stack's outputs, the frontend from --frontend-url when given", () => {
    const view = stackView({ outputsFile: outputsFile(OUTPUTS) });
    expect(view).toEqual({
      primaryKubeconfig: OUTPUTS.primaryKubeconfig,
      burstKubeconfig: OUTPUTS.burstKubeconfig,
      namespace: "default",
      remoteSecretName: OUTPUTS.remoteSecretName,
      eastWestGatewayAddress: "10.138.0.42",
      frontendUrl: "http://34.82.10.20/",
      istioVersion: "1.31.4",
    });
    expect(stackView({ outputsFile: outputsFile(OUTPUTS), frontendUrl: "http://127.0.0.1:8080" }).frontendUrl).toBe("http://127.0.0.1:8080");
  });

  it("names a missing output, and a secret one shown masked", () => {
    const { burstKubeconfig: _gone, ...rest } = OUTPUTS;
    expect(() => stackView({ outputsFile: outputsFile(rest) })).toThrow(/the stack has no output burstKubeconfig: run pulumi up first/);
    const { istioVersion: _none, ...older } = OUTPUTS;
    expect(() => stackView({ outputsFile: outputsFile(older) })).toThrow(/the stack has no output istioVersion: run pulumi up first/);
    expect(() => stackView({ outputsFile: outputsFile({ ...OUTPUTS, primaryKubeconfig: "[secret]" }) })).toThrow(/no output primaryKubeconfig in clear \(pass --show-secrets\)/);
  });
});

describe("doctor report", () => {
  it("prints each link OK or FAIL with what to do, and counts the broken ones", () => {
    const text = report([
      { link: "a", ok: true, detail: "fine" },
      { link: "b", ok: false, detail: "broken", fix: "mend it" },
    ]);
    expect(text.split("\n")).toEqual(["  OK    a: fine", "  FAIL  b: broken", "        what to do: mend it", "doctor: 1 of 2 links broken"]);
    expect(report([{ link: "a", ok: true, detail: "fine" }]).split("\n").at(-1)).toBe("doctor: all 1 links OK");
  });

  it("counts a skipped link apart, neither OK nor broken, with how to check it", () => {
    const skipped = { link: "c", ok: false, skipped: true, detail: "a tool is missing here", fix: "install it" };
    expect(report([{ link: "b", ok: false, detail: "broken" }, skipped]).split("\n")).toEqual([
      "  FAIL  b: broken",
      "  SKIP  c: a tool is missing here",
      "        to check it: install it",
      "doctor: 1 of 1 links broken; 1 not checked (SKIP above says how to check it)",
    ]);
    expect([isBroken(skipped), isBroken({ link: "b", ok: false, detail: "broken" }), isBroken({ link: "a", ok: true, detail: "fine" })]).toEqual([false, true, false]);
  });

  it("reads the API server's message out of a client-node error", () => {
    expect(errorText({ body: JSON.stringify({ message: 'Internal error occurred: failed calling webhook "x"' }) })).toBe('Internal error occurred: failed calling webhook "x"');
    expect(errorText(new Error("connect ECONNREFUSED 10.0.0.1:443\n  at stack"))).toBe("connect ECONNREFUSED 10.0.0.1:443");
  });
});

describe("doctor: the frontend and the watcher's /status through it", () => {
  async function frontendAnswering(status: number, body: unknown): Promise<{ view: StackView; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === "/api/routing" ? status : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const view = { ...stackView({ outputsFile: outputsFile(OUTPUTS) }), frontendUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    return { view, close: () => new Promise((r) => server.close(() => r())) };
  }

  it("OK for both when the frontend answers and reads the watcher", async () => {
    const f = await frontendAnswering(200, { watcher: "ok", phase: "burst", weights: { primary: 0, burst: 100 } });
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect([frontend.ok, watcher.ok]).toEqual([true, true]);
    expect(watcher.detail).toBe("phase burst, weights 0/100");
  });

  it("the watcher's link broken, with the frontend's reason, when the frontend cannot read it", async () => {
    const f = await frontendAnswering(200, { watcher: "unreachable", error: "HTTP 403: RBAC: access denied", lastSeenAt: null });
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect(frontend.ok).toBe(true);
    expect(watcher).toMatchObject({ ok: false, detail: "unreachable: HTTP 403: RBAC: access denied" });
    expect(watcher.fix).toMatch(/AuthorizationPolicy istio-watcher/);
  });

  it("both broken when the frontend does not answer", async () => {
    const f = await frontendAnswering(503, {});
    const [frontend, watcher] = await frontendAndWatcher(f.view);
    await f.close();
    expect(frontend).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 503/) });
    expect(watcher).toMatchObject({ ok: false, detail: "not checked: the frontend does not answer" });
  });
});

describe("doctor: both clusters run the stack's Istio release", () => {
  let apis: { primary: FakeKubeApi; burst: FakeKubeApi };
  beforeEach(async () => {
    apis = { primary: await startFakeKubeApi(), burst: await startFakeKubeApi() };
  });
  afterEach(async () => {
    await apis.primary.close();
    await apis.burst.close();
  });

  /** The labels the istiod chart of this release puts on its objects (templates/zzz_profile.yaml, istio.labels). */
  const chartLabels = (release: string) => ({ "app.kubernetes.io/part-of": "istio", "app.kubernetes.io/version": release, "helm.sh/chart": `istiod-${release}` });
  /** The primary's istiod Deployment and burst's `values` ConfigMap, as the istiod chart at these releases renders them. */
  function installed(primary: string | undefined, burst: string | undefined): void {
    if (primary !== undefined)
      apis.primary.put("apps", "v1", "deployments", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod", ...chartLabels(primary) } }, spec: {} });
    if (burst !== undefined)
      apis.burst.put("", "v1", "configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "values", namespace: "istio-system", labels: { "istio.io/rev": "default", ...chartLabels(burst) } }, data: {} });
  }
  async function check(istioVersion: string) {
    const clusters = { primary: await kubeFrom(kubeConfigFile(apis.primary)), burst: await kubeFrom(kubeConfigFile(apis.burst)) };
    return istioReleases(clusters, { ...stackView({ outputsFile: outputsFile(OUTPUTS) }), istioVersion });
  }

  it("OK when both run the stack's istioVersion, naming the release and where each was read", async () => {
    installed("1.31.4", "1.31.4");
    const found = await check("1.31.4");
    expect(found).toEqual({
      link: ISTIO_RELEASE_LINK,
      ok: true,
      detail: "Istio 1.31.4 in both clusters, the stack's istioVersion (primary: Deployment istio-system/istiod; burst: ConfigMap istio-system/values)",
    });
  });

  it("broken when the clusters differ, naming both releases and the stack's", async () => {
    installed("1.31.4", "1.30.3");
    const found = await check("1.31.4");
    expect(found).toMatchObject({ link: ISTIO_RELEASE_LINK, ok: false, detail: "primary runs Istio 1.31.4, burst 1.30.3: the clusters differ (the stack's istioVersion is 1.31.4)" });
    expect(found.fix).toMatch(/pulumi up installs 1.31.4 in both .*restart the workloads in both clusters/);
  });

  it("broken when both run another release than the stack's istioVersion, naming both", async () => {
    installed("1.30.3", "1.30.3");
    const found = await check("1.31.4");
    expect(found).toMatchObject({ link: ISTIO_RELEASE_LINK, ok: false, detail: "primary runs Istio 1.30.3, burst 1.30.3, but the stack's istioVersion is 1.31.4" });
    expect(found.fix).toMatch(/pulumi up installs istioVersion 1.31.4 in both clusters/);
  });

  it("broken when the primary runs the stack's release and burst another (one cluster behind)", async () => {
    installed("1.31.4", "1.31.0");
    expect(await check("1.31.4")).toMatchObject({ ok: false, detail: "primary runs Istio 1.31.4, burst 1.31.0: the clusters differ (the stack's istioVersion is 1.31.4)" });
  });

  it("broken, naming the object, when a cluster has no istiod chart installed", async () => {
    installed("1.31.4", undefined);
    expect(await check("1.31.4")).toMatchObject({ ok: false, detail: "burst: no ConfigMap istio-system/values: Istio's istiod chart is not installed there" });
  });

  it("reads the release from app.kubernetes.io/version, else from helm.sh/chart, else none", () => {
    expect(chartRelease({ "app.kubernetes.io/version": "1.31.4", "helm.sh/chart": "istiod-1.31.0" })).toBe("1.31.4");
    expect(chartRelease({ "helm.sh/chart": "istiod-1.31.0" })).toBe("1.31.0");
    expect(chartRelease({ "helm.sh/chart": "gateway-1.31.0" })).toBeUndefined();
    expect(chartRelease(undefined)).toBeUndefined();
  });

  it("prints one OK line, or a FAIL line with what to do", async () => {
    installed("1.31.4", "1.30.3");
    const lines = report([await check("1.31.4")]).split("\n");
    expect(lines[0]).toBe("  FAIL  both clusters run the stack's Istio release: primary runs Istio 1.31.4, burst 1.30.3: the clusters differ (the stack's istioVersion is 1.31.4)");
    expect(lines[1]).toMatch(/^ {8}what to do: burst's sidecars are served by the primary's istiod/);
  });
});

describe("doctor: where the istiod chart puts its release (the chart fixtures)", () => {
  it.each([RENDERED_ISTIO, UPGRADE_FROM_ISTIO])("istiod %s labels its Deployment and its values ConfigMap with the release; the remote profile renders no Deployment", (release) => {
    const dir = pinnedIstioChart("istiod", release);
    const template = (file: string) => readFileSync(join(dir, "templates", file), "utf8");
    // istio.labels: app.kubernetes.io/version is the chart's appVersion, helm.sh/chart its name and version
    const labels = /define "istio\.labels"[\s\S]*?\{\{- end -\}\}/.exec(template("zzz_profile.yaml"))?.[0] ?? "";
    expect(labels).toContain("app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}");
    expect(labels).toContain('helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version');
    expect(readFileSync(join(dir, "Chart.yaml"), "utf8")).toMatch(new RegExp(`^name: istiod$[\\s\\S]*^appVersion: ${release.replace(/\./g, "\\.")}$`, "m"));
    for (const [file, kind, name] of [["deployment.yaml", "Deployment", "istiod"], ["configmap-values.yaml", "ConfigMap", "values"]]) {
      const text = template(file);
      const metadata = text.slice(text.indexOf(`kind: ${kind}`), text.indexOf("\n", text.indexOf('include "istio.labels"')));
      expect({ file, name: new RegExp(`^  name: ${name}\\{\\{`, "m").test(metadata), labelled: metadata.includes('include "istio.labels"') }).toEqual({ file, name: true, labelled: true });
    }
    // no istiod Deployment with istiodRemote.enabled (burst), unless a local injector istiod is asked for
    expect(template("deployment.yaml")).toContain("{{- if or (not .Values.istiodRemote.enabled) (and .Values.istiodRemote.enabled .Values.istiodRemote.enabledLocalInjectorIstiod) }}");
  });
});
