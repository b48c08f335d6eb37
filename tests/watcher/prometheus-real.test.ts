/**
 * The Prometheus source against a real Prometheus (Debian binary, 1 s scrapes) that scrapes an
 * exporter this test drives with Istio's label names; the watcher's default query must measure the
 * rate the test drove, and leave out the series it must not count.
 */
import { createLogger } from "@istio-burst/common";
import { policyOf } from "@istio-burst/contract";
import { loadConfig } from "../../watcher/src/config";
import { Controller } from "../../watcher/src/controller";
import { PrometheusSource } from "../../watcher/src/prometheus";
import { LocalRouter } from "../../watcher/src/routers/local";
import { startPrometheus, type PrometheusServer } from "../helpers/prometheus";
import { sleep } from "../helpers/services";
import { frontendToWorker, startIstioExporter, type IstioExporter } from "./istio-exporter";
import { startFakeMesh, type FakeMesh } from "./fake-mesh";

jest.setTimeout(150_000);

let exporter: IstioExporter;
let prom: PrometheusServer;
let mesh: FakeMesh | undefined;
let drivenAt = 0;

const PRIMARY_RPS = 12;
const BURST_RPS = 8;

beforeAll(async () => {
  exporter = await startIstioExporter();
  // what the default query must count: frontend -> worker-service in "default", as the frontend's sidecar reports it
  exporter.drive(frontendToWorker("primary"), PRIMARY_RPS);
  exporter.drive(frontendToWorker("burst"), BURST_RPS);
  // what it must not count
  exporter.drive({ ...frontendToWorker("primary"), reporter: "destination" }, 50);
  exporter.drive({ ...frontendToWorker("primary"), source_workload: "loadgen" }, 30);
  exporter.drive(frontendToWorker("primary", "staging"), 40);
  drivenAt = Date.now();
  prom = await startPrometheus({ jobs: [{ name: "istio-mesh", targets: [exporter.target] }] });
  await prom.waitForTargetsUp();
});

afterAll(async () => {
  await mesh?.close();
  await prom?.dispose();
  await exporter?.close();
});

describe("Prometheus source against a real prometheus", () => {
  it("types real answers: empty, NaN, several series, bad query", async () => {
    const src = (query: string) => new PrometheusSource({ url: prom.url, timeoutMs: 5_000, query });
    expect(await src('sum(rate(istio_requests_total{source_workload="nobody"}[30s]))').sample({ burstInUse: false })).toEqual({
      kind: "nodata",
      reason: "empty",
    });
    expect(await src("0/0").sample({ burstInUse: false })).toEqual({ kind: "nodata", reason: "nan" });
    expect(await src("up + 1 > 0 or vector(3)").sample({ burstInUse: false })).toEqual({ kind: "nodata", reason: "multiple-series" });
    expect(await src("sum(rate(istio_requests_total[30s]").sample({ burstInUse: false })).toEqual({
      kind: "error",
      message: expect.stringMatching(/^HTTP 400: bad_data: .*parse error/),
    });
  });

  it("the default query measures the driven frontend -> worker rate (12 + 8 = 20 rps) and nothing else", async () => {
    const config = loadConfig({ PROMETHEUS_URL: prom.url, ROUTER: "local", MESH_URL: "http://127.0.0.1:1" });
    expect(config.query).toBe(
      'sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local"}[30s]))',
    );
    // let the 30 s window fill with 1 s scrapes
    const full = drivenAt + 34_000;
    while (Date.now() < full) await sleep(Math.min(1_000, full - Date.now()));

    const source = new PrometheusSource({ url: prom.url, timeoutMs: 5_000, query: config.query });
    const measured: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await source.sample({ burstInUse: false });
      if (s.kind !== "value") throw new Error(`expected a value, got ${JSON.stringify(s)}; prometheus log:\n${prom.logTail()}`);
      measured.push(s.rps);
      await sleep(1_000);
    }
    const total = PRIMARY_RPS + BURST_RPS;
    for (const rps of measured) {
      expect(rps).toBeGreaterThan(total * 0.9);
      expect(rps).toBeLessThan(total * 1.1);
    }

    // "Add by (destination_cluster) where the split is wanted"
    const split = await prom.query(config.query.replace(/^sum\(/, "sum by (destination_cluster) ("));
    const byCluster = Object.fromEntries(
      (split.data?.result as { metric: { destination_cluster: string }; value: [number, string] }[]).map((r) => [r.metric.destination_cluster, Number(r.value[1])]),
    );
    expect(Object.keys(byCluster).sort()).toEqual(["burst", "primary"]);
    expect(byCluster.primary).toBeGreaterThan(PRIMARY_RPS * 0.9);
    expect(byCluster.primary).toBeLessThan(PRIMARY_RPS * 1.1);
    expect(byCluster.burst).toBeGreaterThan(BURST_RPS * 0.9);
    expect(byCluster.burst).toBeLessThan(BURST_RPS * 1.1);

    // End to end: the controller with this source switches a (fake) local mesh to burst at 20 > HIGH_RPS 15.
    mesh = await startFakeMesh({ primary: 100, burst: 0 });
    const c = loadConfig({ PROMETHEUS_URL: prom.url, ROUTER: "local", MESH_URL: mesh.url });
    const controller = new Controller({
      source: new PrometheusSource({ url: c.prometheusUrl, timeoutMs: 5_000, query: c.query }),
      router: new LocalRouter({ meshUrl: c.meshUrl as string }),
      policy: policyOf(c.settings),
      pollIntervalMs: c.settings.pollInterval,
      dryRun: false,
      log: createLogger("watcher-test", "silent"),
    });
    const d = await controller.tick();
    expect(d?.action).toBe("to-burst");
    expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
  });
});
