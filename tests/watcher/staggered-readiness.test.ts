/**
 * Issue 29 through the controller: a burst pool whose replicas become ready one at a time. The
 * watcher reads the pool through the local scaler (GET/PUT /scale, as local mode's scale endpoint
 * answers) and sets the weights through the local router (GET/PUT /weights on a mesh stand-in), both
 * over HTTP; time is the test's clock, one poll a second, so the figures below are simulated time.
 * With MIN_DWELL 10 s, the move capped by the first ready replica is followed by the full shift at the
 * first poll after the last replica is ready, not a dwell after the capped move.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { policyOf } from "@istio-burst/contract";
import { loadConfig } from "../../watcher/src/config";
import { Controller } from "../../watcher/src/controller";
import { createWatcherMetrics } from "../../watcher/src/metrics";
import { LocalRouter } from "../../watcher/src/routers/local";
import { LocalScaler } from "../../watcher/src/scalers/local";
import { startFakeMesh, type FakeMesh } from "./fake-mesh";
import { captureLog, ScriptedSource } from "./watcher-harness";

let clock = 1_700_000_000_000;

/**
 * A burst pool behind `GET`/`PUT /scale`: the replicas asked for become ready one at a time, the
 * first `firstReadyMs` after the request, each next one `staggerMs` after the one before (the
 * test's clock).
 */
class StaggeredPool {
  desired = 0;
  askedAt = 0;
  readonly puts: number[] = [];
  private server?: Server;
  constructor(
    private readonly firstReadyMs: number,
    private readonly staggerMs: number,
  ) {}

  /** When replica `k` (from 1) of the last scale-up is ready. */
  readyAt(k: number): number {
    return this.askedAt + this.firstReadyMs + (k - 1) * this.staggerMs;
  }

  ready(): number {
    let n = 0;
    while (n < this.desired && clock >= this.readyAt(n + 1)) n++;
    return n;
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (req.method === "PUT") {
          const replicas = (JSON.parse(body) as { replicas: number }).replicas;
          this.puts.push(replicas);
          if (replicas > this.desired) this.askedAt = clock;
          this.desired = replicas;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ desired: this.desired, ready: this.ready() }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

describe("a burst pool that becomes ready one replica at a time (MIN_DWELL 10 s)", () => {
  let mesh: FakeMesh;
  let pool: StaggeredPool;
  let poolUrl: string;

  beforeEach(async () => {
    mesh = await startFakeMesh({ primary: 100, burst: 0 });
    // 2 replicas (BURST_REPLICAS), the first ready 1.5 s after the scale-up, the second 3 s later
    pool = new StaggeredPool(1_500, 3_000);
    poolUrl = await pool.listen();
  });
  afterEach(async () => {
    await mesh.close();
    await pool.close();
  });

  it("moves the capped share to the first ready replica, then the rest at the first poll after the last one is ready", async () => {
    const config = loadConfig({ ROUTER: "local", MESH_URL: mesh.url, SCALER: "local", SCALER_URL: poolUrl, MIN_DWELL: "10s", DOWN_STABILIZATION: "0", PREWARM: "off" });
    expect(config.settings).toMatchObject({ minDwell: 10_000, pollInterval: 1_000, burstReplicas: 2 });
    const source = new ScriptedSource();
    const { log } = captureLog();
    const c = new Controller({
      source,
      router: new LocalRouter({ meshUrl: mesh.url }),
      scaler: new LocalScaler({ url: poolUrl }),
      policy: policyOf(config.settings),
      pricing: config.settings,
      pollIntervalMs: config.settings.pollInterval,
      dryRun: false,
      log,
      metrics: createWatcherMetrics(new Registry()),
      now: () => clock,
    });
    source.rps(25);
    // the mesh's weights after each poll, one poll a second
    const seen: { at: number; burst: number }[] = [];
    for (let i = 0; i < 20; i++) {
      clock += config.settings.pollInterval;
      await c.tick();
      seen.push({ at: clock, burst: mesh.weights.burst });
    }
    expect(pool.puts).toEqual([2]);
    expect(mesh.puts).toEqual([
      { primary: 50, burst: 50 },
      { primary: 0, burst: 100 },
    ]);
    const capped = seen.find((s) => s.burst === 50)!;
    const full = seen.find((s) => s.burst === 100)!;
    // the capped move at the first poll with one ready replica, the full shift at the first poll with both
    expect(capped.at).toBe(Math.ceil(pool.readyAt(1) / 1_000) * 1_000);
    expect(full.at).toBe(Math.ceil(pool.readyAt(2) / 1_000) * 1_000);
    // within 1.5 s (simulated) of the last replica becoming ready, and well inside MIN_DWELL of the capped move
    expect(full.at - pool.readyAt(2)).toBeLessThanOrEqual(1_500);
    expect(full.at - capped.at).toBeLessThan(config.settings.minDwell);
    const changes = c.status().recentChanges.map((w) => [w.action, w.reason]);
    expect(changes).toEqual([
      ["to-burst", expect.stringMatching(/capped at 50% by the ready burst replicas \(1 of 2 ready\)/)],
      ["step-up", expect.stringMatching(/burst replicas becoming ready: weights 50,50 -> 0,100/)],
    ]);
    await c.stop();
  });
});
