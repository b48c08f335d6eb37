/** The watcher as an app in-process (createWatcherApp): /status, /metrics and /_healthz over HTTP, against a fake mesh. */
import { POLICY_KEYS, policyOf, type WatcherStatus } from "@istio-burst/contract";
import { Registry } from "prom-client";
import { createWatcherApp, type WatcherApp } from "../../watcher/src/app";
import { loadConfig, type WatcherConfig } from "../../watcher/src/config";
import { waitFor } from "../helpers/services";
import { startFakeMesh, type FakeMesh } from "./fake-mesh";
import { captureLog, ScriptedSource } from "./watcher-harness";

describe("the watcher app: /metrics, /status, /_healthz", () => {
  let app: WatcherApp;
  let config: WatcherConfig;
  let base: string;
  let mesh: FakeMesh;
  const source = new ScriptedSource();

  beforeAll(async () => {
    mesh = await startFakeMesh({ primary: 100, burst: 0 });
    config = loadConfig({ ROUTER: "local", MESH_URL: mesh.url, PORT: "0", POLL_INTERVAL: "50ms", MIN_DWELL: "0", DOWN_STABILIZATION: "0", HIGH_RPS: "15", LOW_RPS: "10", BURST_RETRY_AFTER: "45s" });
    const { log } = captureLog();
    app = await createWatcherApp(config, { source, log, registry: new Registry() });
    source.rps(17.5);
    base = `http://127.0.0.1:${await app.start()}`;
  });
  afterAll(async () => {
    await app.stop();
    await mesh.close();
  });

  it("serves status, metrics and health, and switches the mesh", async () => {
    await waitFor("mesh in burst", () => mesh.weights.burst === 100, 10_000);
    expect((await fetch(`${base}/_healthz`)).status).toBe(200);
    const status = (await (await fetch(`${base}/status`)).json()) as any;
    expect(status).toMatchObject({
      service: "watcher",
      mode: "switch",
      ready: true,
      dryRun: false,
      thresholds: { highRps: 15, lowRps: 10, naturalWeights: { primary: 100, burst: 0 }, burstWeights: { primary: 0, burst: 100 } },
      lastSample: { kind: "value", rps: 17.5 },
      weights: { primary: 0, burst: 100 },
      phase: "burst",
      lastChange: { action: "to-burst", from: { primary: 100, burst: 0 }, to: { primary: 0, burst: 100 } },
    });
    expect(status.lastChange.reason).toMatch(/observed 17.50 rps > HIGH_RPS 15/);
    // without SCALER the watcher neither reads nor prices the burst pool
    expect(status).toMatchObject({ burstPool: null, cost: null });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const re of [
      /^watcher_observed_rps 17.5$/m,
      /^watcher_weight\{subset="primary"\} 0$/m,
      /^watcher_weight\{subset="burst"\} 100$/m,
      /^watcher_in_burst 1$/m,
      /^watcher_weight_changes_total\{action="to-burst"\} 1$/m,
      /^watcher_switches_total\{to="burst"\} 1$/m,
      /^watcher_query_errors_total 0$/m,
      /^watcher_no_data_total\{reason="empty"\} 0$/m,
      /^watcher_decisions_total\{action="hold"\} \d+$/m,
      /^watcher_last_change_timestamp_seconds \d+(\.\d+)?$/m,
    ]) {
      expect(text).toMatch(re);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/status`, { method: "POST" })).status).toBe(405);
  });

  it("reports the policy as thresholds under the settings' own names and values (durations in ms)", async () => {
    const status = (await (await fetch(`${base}/status`)).json()) as WatcherStatus;
    expect(status.thresholds).toEqual(JSON.parse(JSON.stringify(policyOf(config.settings))));
    expect(Object.keys(status.thresholds).sort()).toEqual([...POLICY_KEYS, "healthGuard"].sort());
    for (const key of POLICY_KEYS) expect(status.thresholds[key]).toEqual(config.settings[key]);
    expect(status.thresholds).toMatchObject({ minDwell: 0, burstRetryAfter: 45_000, healthGuard: true });
  });
});
