/**
 * The default burst health query against a real Prometheus: it reads a healthy pool as ~1, a pool that
 * only answers 5xx (or gives no answer, code 0) as 0 even when it never answered 200, and a pool
 * without traffic as no data. (How the watcher derives it: tests/watcher/config.test.ts.)
 */
import { loadConfig } from "../../watcher/src/config";
import { PrometheusClient } from "../../watcher/src/prometheus";
import { startPrometheus, type PrometheusServer } from "../helpers/prometheus";
import { sleep } from "../helpers/services";
import { frontendToWorker, startIstioExporter, type IstioExporter } from "./istio-exporter";

jest.setTimeout(60_000);

const local = { ROUTER: "local", MESH_URL: "http://127.0.0.1:9" };

describe("default burst health query against a real Prometheus", () => {
  let exporter: IstioExporter;
  let prom: PrometheusServer;

  beforeAll(async () => {
    exporter = await startIstioExporter();
    // healthy: burst answers 200 (and a few 404s, which are the caller's problem, not the pool's)
    exporter.drive(frontendToWorker("burst", "healthy"), 20);
    exporter.drive(frontendToWorker("burst", "healthy", "404"), 1);
    exporter.drive(frontendToWorker("primary", "healthy", "503"), 20); // primary's failures are not burst's
    // dead: the pool refuses connections, the sidecar answers 503 itself; it never answered 200
    exporter.drive(frontendToWorker("burst", "dead", "503"), 20);
    // hanging: the caller gives up, the sidecar reports code 0; one in ten gets through
    exporter.drive(frontendToWorker("burst", "hanging", "0"), 18);
    exporter.drive(frontendToWorker("burst", "hanging", "200"), 2);
    // idle: only primary traffic
    exporter.drive(frontendToWorker("primary", "idle"), 20);
    prom = await startPrometheus({ jobs: [{ name: "istio-mesh", targets: [exporter.target] }] });
    await prom.waitForTargetsUp();
    // fill the 5 s window
    await sleep(7_000);
  });

  afterAll(async () => {
    await prom?.dispose();
    await exporter?.close();
  });

  const ratio = (namespace: string) => new PrometheusClient({ url: prom.url, timeoutMs: 5_000 }).query(loadConfig({ ...local, NAMESPACE: namespace, RATE_WINDOW: "5s" }).burstHealthQuery!);

  it("healthy pool ~1, a pool that only fails 0, a hanging pool ~0.1, no burst traffic no data", async () => {
    const healthy = await ratio("healthy");
    expect(healthy.kind).toBe("value");
    expect((healthy as { value: number }).value).toBeGreaterThan(0.99);
    expect(await ratio("dead")).toEqual({ kind: "value", value: 0 });
    const hanging = await ratio("hanging");
    expect(hanging.kind).toBe("value");
    expect((hanging as { value: number }).value).toBeGreaterThan(0.05);
    expect((hanging as { value: number }).value).toBeLessThan(0.2);
    expect(await ratio("idle")).toEqual({ kind: "nodata", reason: "empty" });
  });
});
