/**
 * The controller in-process, with a scripted metrics source: restart-safety (local mesh and Istio
 * through the fake API server), DRY_RUN, router failures, no-data counting, logging, the burst pool.
 */
import { Registry } from "prom-client";
import { policyOf } from "@istio-burst/contract";
import { loadConfig } from "../../watcher/src/config";
import { Controller } from "../../watcher/src/controller";
import { createWatcherMetrics } from "../../watcher/src/metrics";
import type { MetricsSource } from "../../watcher/src/prometheus";
import type { TrafficRouter } from "../../watcher/src/router";
import { createIstioRouter } from "../../watcher/src/routers/istio";
import { LocalRouter } from "../../watcher/src/routers/local";
import { kubeConfigFor, startFakeKubeApi, workerDeployment, workerVirtualService, type FakeKubeApi } from "../helpers/fake-kube-api";
import { createKubernetesScaler } from "../../watcher/src/scalers/kubernetes";
import { startFakeMesh, type FakeMesh } from "./fake-mesh";
import { captureLog, ScriptedSource } from "./watcher-harness";

let clock = 1_700_000_000_000;
const now = () => clock;

function controllerFor(router: TrafficRouter, source: MetricsSource, env: Record<string, string> = {}, extra: { dryRun?: boolean } = {}) {
  const config = loadConfig({ ROUTER: "local", MESH_URL: "http://127.0.0.1:9", MIN_DWELL: "10s", DOWN_STABILIZATION: "0", ...env });
  const registry = new Registry();
  const metrics = createWatcherMetrics(registry);
  const { log, lines } = captureLog();
  const c = new Controller({ source, router, policy: policyOf(config.settings), pollIntervalMs: 50, dryRun: extra.dryRun ?? config.settings.dryRun, log, metrics, now });
  return { c, registry, lines };
}

async function ticks(c: Controller, n: number) {
  for (let i = 0; i < n; i++) {
    clock += 1_000;
    await c.tick();
  }
}

describe("restart-safety: a watcher restarted while in burst stays in burst", () => {
  it("local router (fake mesh)", async () => {
    const mesh: FakeMesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      const source = new ScriptedSource();
      const first = controllerFor(new LocalRouter({ meshUrl: mesh.url }), source);
      source.rps(20);
      await ticks(first.c, 2);
      expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
      await first.c.stop();

      // a new process: in the band (12 rps) nothing changes, and it knows it is in burst
      const second = controllerFor(new LocalRouter({ meshUrl: mesh.url }), source);
      source.rps(12);
      await ticks(second.c, 20);
      expect(second.c.currentState?.phase).toBe("burst");
      expect(mesh.puts).toEqual([{ primary: 0, burst: 100 }]);
      expect(second.c.status()).toMatchObject({ phase: "burst", weights: { primary: 0, burst: 100 } });
      // below LOW_RPS it returns to natural (no dwell after a restart)
      source.rps(5);
      await ticks(second.c, 1);
      expect(mesh.weights).toEqual({ primary: 100, burst: 0 });
    } finally {
      await mesh.close();
    }
  });

  it("Istio router (fake Kubernetes API)", async () => {
    const api: FakeKubeApi = await startFakeKubeApi();
    try {
      api.put("networking.istio.io", "v1", "virtualservices", workerVirtualService());
      const kc = await kubeConfigFor(api);
      const router = () => createIstioRouter({ namespace: "default", name: "worker-virtual-service", kubeConfig: kc });
      const weights = () => {
        const vs = api.get("networking.istio.io", "v1", "virtualservices", "default", "worker-virtual-service") as any;
        return Object.fromEntries(vs.spec.http[0].route.map((d: any) => [d.destination.subset, d.weight]));
      };
      const source = new ScriptedSource();
      const first = controllerFor(await router(), source);
      source.rps(20);
      await ticks(first.c, 3);
      expect(weights()).toEqual({ primary: 0, burst: 100 });
      expect(api.events.map((e: any) => e.reason)).toEqual(["BurstStarted"]);

      const second = controllerFor(await router(), source);
      source.rps(12);
      await ticks(second.c, 20);
      expect(second.c.currentState?.phase).toBe("burst");
      expect(weights()).toEqual({ primary: 0, burst: 100 });
      expect(api.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
      source.rps(3);
      await ticks(second.c, 1);
      expect(weights()).toEqual({ primary: 100, burst: 0 });
      expect(api.events.map((e: any) => e.reason)).toEqual(["BurstStarted", "BurstEnded"]);
      expect((api.events[1] as any).message).toMatch(/observed 3 rps < LOW_RPS 10.*weights 0,100 -> 100,0/);
    } finally {
      await api.close();
    }
  });
});

describe("burst health guard through the controller", () => {
  it("burst failing -> back to primary with a Warning Event and a warn log line; burst blocked afterwards", async () => {
    const api: FakeKubeApi = await startFakeKubeApi();
    try {
      api.put("networking.istio.io", "v1", "virtualservices", workerVirtualService({ primary: 0, burst: 100 }));
      const kc = await kubeConfigFor(api);
      const router = await createIstioRouter({ namespace: "default", name: "worker-virtual-service", kubeConfig: kc });
      const source = new ScriptedSource();
      const { c, lines, registry } = controllerFor(router, source, { BURST_HEALTH_QUERY: "ratio", BURST_UNHEALTHY_SAMPLES: "2", BURST_RETRY_AFTER: "30s" });
      source.next = { kind: "value", rps: 30, burstSuccessRatio: 0.98 };
      await ticks(c, 2);
      source.next = { kind: "value", rps: 30, burstSuccessRatio: 0.05 };
      await ticks(c, 2);
      const vs = api.get("networking.istio.io", "v1", "virtualservices", "default", "worker-virtual-service") as any;
      expect(vs.spec.http[0].route.map((d: any) => d.weight)).toEqual([100, 0]);
      expect(api.events).toHaveLength(1);
      expect(api.events[0]).toMatchObject({ type: "Warning", reason: "BurstUnhealthy" });
      expect((api.events[0] as any).message).toMatch(/burst pool unhealthy: success ratio 0.05 < 0.50 for 2 samples/);
      expect(lines.filter((l) => l.level === 40).map((l) => [l.msg, l.action])).toEqual([["changed weights", "health-fallback"]]);
      // still 30 rps, but burst is blocked for 30 s
      await ticks(c, 10);
      expect(api.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
      expect(c.status()).toMatchObject({ lastDecision: { action: "burst-blocked" }, phase: "natural" });
      expect(await registry.metrics()).toMatch(/^watcher_weight_changes_total\{action="health-fallback"\} 1$/m);
      // the health query is only asked for while burst gets traffic
      expect(source.calls.slice(-1)[0]).toEqual({ burstInUse: false });
    } finally {
      await api.close();
    }
  });
});

/** A router in memory that can be told to fail. */
class MemoryRouter implements TrafficRouter {
  readonly description = "memory";
  sets: { primary: number; burst: number }[] = [];
  failGet = 0;
  failSet = 0;
  constructor(public weights = { primary: 100, burst: 0 }) {}
  async getWeights() {
    if (this.failGet > 0 && this.failGet--) throw new Error("router down");
    return this.weights;
  }
  async setWeights(w: { primary: number; burst: number }) {
    if (this.failSet > 0 && this.failSet--) throw new Error("write refused");
    this.sets.push(w);
    this.weights = w;
  }
}

describe("controller", () => {
  it("DRY_RUN logs the decision and never writes", async () => {
    const router = new MemoryRouter();
    const source = new ScriptedSource();
    const { c, lines } = controllerFor(router, source, {}, { dryRun: true });
    source.rps(30);
    await ticks(c, 5);
    expect(router.sets).toEqual([]);
    const changes = lines.filter((l) => l.msg === "would change weights (DRY_RUN)");
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ dryRun: true, action: "to-burst", from: "100,0", to: "0,100" });
    expect(c.status()).toMatchObject({ dryRun: true, lastChange: { dryRun: true, action: "to-burst" } });
  });

  it("logs one line per change, not one per poll", async () => {
    const router = new MemoryRouter();
    const source = new ScriptedSource();
    const { c, lines } = controllerFor(router, source, { MIN_DWELL: "0" });
    const before = lines.length; // the "found current weights" line comes with the first tick
    for (const rps of [5, 5, 20, 20, 20, 12, 12, 5, 5, 5]) {
      source.rps(rps);
      await ticks(c, 1);
    }
    const logged = lines.slice(before).filter((l) => l.msg !== "found current weights");
    expect(logged.map((l) => [l.msg, l.action])).toEqual([
      ["changed weights", "to-burst"],
      ["changed weights", "to-natural"],
    ]);
    expect(logged[0].reason).toMatch(/observed 20 rps > HIGH_RPS 15/);
  });

  it("a failed write keeps the state and is retried on the next poll", async () => {
    const router = new MemoryRouter();
    router.failSet = 2;
    const source = new ScriptedSource();
    const { c, registry } = controllerFor(router, source);
    source.rps(30);
    await ticks(c, 1);
    await ticks(c, 1);
    expect(router.sets).toEqual([]);
    expect(c.currentState?.phase).toBe("natural");
    await ticks(c, 1);
    expect(router.sets).toEqual([{ primary: 0, burst: 100 }]);
    const text = await registry.metrics();
    expect(text).toMatch(/^watcher_router_errors_total\{op="set"\} 2$/m);
    expect(text).toMatch(/^watcher_switches_total\{to="burst"\} 1$/m);
  });

  it("a router call that hangs fails after routerTimeoutMs and the loop goes on", async () => {
    const router = new MemoryRouter();
    const hanging = new Promise<void>(() => undefined);
    router.setWeights = () => hanging;
    const source = new ScriptedSource();
    source.rps(30);
    const registry = new Registry();
    const metrics = createWatcherMetrics(registry);
    const c = new Controller({ source, router, policy: policyOf(loadConfig({}).settings), pollIntervalMs: 50, dryRun: false, log: captureLog().log, metrics, now, routerTimeoutMs: 100 });
    await ticks(c, 2);
    expect(c.currentState?.phase).toBe("natural");
    expect(await registry.metrics()).toMatch(/^watcher_router_errors_total\{op="set"\} 2$/m);
  });

  it("cannot read the weights at start: not ready, retries, then works", async () => {
    const router = new MemoryRouter({ primary: 0, burst: 100 });
    router.failGet = 2;
    const source = new ScriptedSource();
    source.rps(12);
    const { c } = controllerFor(router, source);
    await ticks(c, 2);
    expect(c.ready).toBe(false);
    expect(source.calls).toHaveLength(0);
    await ticks(c, 1);
    expect(c.ready).toBe(true);
    expect(c.currentState?.phase).toBe("burst");
  });

  it("no data and query errors hold the weights and are counted", async () => {
    const router = new MemoryRouter({ primary: 0, burst: 100 });
    const source = new ScriptedSource();
    const { c, registry, lines } = controllerFor(router, source);
    source.next = { kind: "nodata", reason: "empty" };
    await ticks(c, 3);
    source.next = { kind: "nodata", reason: "nan" };
    await ticks(c, 1);
    source.next = { kind: "error", message: "HTTP 503" };
    await ticks(c, 2);
    expect(router.sets).toEqual([]);
    const text = await registry.metrics();
    expect(text).toMatch(/^watcher_no_data_total\{reason="empty"\} 3$/m);
    expect(text).toMatch(/^watcher_no_data_total\{reason="nan"\} 1$/m);
    expect(text).toMatch(/^watcher_query_errors_total 2$/m);
    expect(text).toMatch(/^watcher_decisions_total\{action="no-data"\} 4$/m);
    expect(text).toMatch(/^watcher_decisions_total\{action="query-error"\} 2$/m);
    // one warning when the no-data streak starts, one error when the error streak starts
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(["query returned no usable value; holding weights"]);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(["Prometheus query failed; holding weights"]);
    expect(source.calls.every((x) => x.burstInUse)).toBe(true);
  });
});

/** A burst pool in memory: replicas asked for become ready when the test says so. */
class FakeScaler {
  readonly description = "fake burst pool";
  desired = 0;
  ready = 0;
  scaleCalls: number[] = [];
  failScale = 0;
  failGet = 0;
  async get() {
    if (this.failGet > 0) {
      this.failGet--;
      throw new Error("pool unreachable");
    }
    return { desired: this.desired, ready: Math.min(this.ready, this.desired) };
  }
  async scale(n: number) {
    this.scaleCalls.push(n);
    if (this.failScale > 0) {
      this.failScale--;
      throw new Error("scale refused");
    }
    this.desired = n;
  }
}

describe("capacity side through the controller (fake scaler)", () => {
  interface WithScaler {
    /** the watcher's env over these tests' own */
    env?: Record<string, string>;
    recordEvent?: (n: { reason: string; message: string }) => Promise<void>;
    /** whether it may write now (the leader election's answer); always, by default */
    mayWrite?: () => boolean;
  }
  function withScaler(router: TrafficRouter, source: MetricsSource, scaler: FakeScaler, { env = {}, recordEvent, mayWrite }: WithScaler = {}) {
    // replicas when burst is wanted (no pre-warm): the pre-warm policies are decide()'s tables
    const config = loadConfig({ ROUTER: "local", MESH_URL: "http://127.0.0.1:9", SCALER: "local", SCALER_URL: "http://127.0.0.1:9", MIN_DWELL: "0", DOWN_STABILIZATION: "0", SCALE_DOWN_COOLDOWN: "10s", PREWARM: "off", ...env });
    const registry = new Registry();
    const metrics = createWatcherMetrics(registry);
    const { log, lines } = captureLog();
    const c = new Controller({ source, router, scaler, recordEvent, policy: policyOf(config.settings), pricing: config.settings, pollIntervalMs: 50, dryRun: false, log, metrics, now, mayWrite });
    return { c, registry, lines };
  }

  it("scales up, waits for readiness before moving weight, scales back after the cooldown", async () => {
    const mesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      const { c, registry } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler);
      source.rps(20);
      await ticks(c, 3);
      expect(scaler.scaleCalls).toEqual([2]);
      expect(mesh.puts).toEqual([]); // nothing ready: no weight moves
      expect(c.status().lastDecision).toMatchObject({ action: "wait-capacity", reason: expect.stringMatching(/waiting for burst replicas: 0 of 2 ready/) });
      expect(c.status().burstPool).toMatchObject({ desired: 2, ready: 0, reason: expect.stringMatching(/BURST_REPLICAS 2/), lastScaleAt: expect.any(String) });
      scaler.ready = 1;
      await ticks(c, 1);
      expect(mesh.weights).toEqual({ primary: 50, burst: 50 });
      scaler.ready = 2;
      await ticks(c, 1);
      expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
      source.rps(2);
      await ticks(c, 1);
      expect(mesh.weights).toEqual({ primary: 100, burst: 0 });
      await ticks(c, 8);
      expect(scaler.scaleCalls).toEqual([2]); // still in the cooldown
      await ticks(c, 3);
      expect(scaler.scaleCalls).toEqual([2, 0]);
      // the cost: 2 replicas from the first poll's scale-up to the scale-down, priced at the default 0.068 USD an hour
      const { cost, burstPool } = c.status();
      const upFor = (Date.parse(burstPool!.lastScaleAt!) - Date.parse(cost!.since)) / 1000;
      expect(upFor).toBeGreaterThan(10);
      expect(cost).toEqual({
        burstReplicaSeconds: 2 * upFor,
        burstCost: Math.round(((2 * upFor * 0.068) / 3600) * 1e6) / 1e6,
        alwaysOnCost: Math.round(((2 * (clock - Date.parse(cost!.since)) * 0.068) / 3_600_000) * 1e6) / 1e6,
        currency: "USD",
        since: new Date(clock - 16_000).toISOString(),
      });
      await ticks(c, 5);
      expect(c.status().cost!.burstReplicaSeconds).toBe(2 * upFor); // 0 replicas cost nothing
      const text = await registry.metrics();
      expect(text).toMatch(/watcher_scale_requests_total\{result="ok"\} 2/);
      expect(text).toMatch(/watcher_burst_replicas\{kind="desired"\} 0/);
      expect(text).toMatch(/watcher_burst_replicas\{kind="ready"\} \d/);
    } finally {
      await mesh.close();
    }
  });

  it("a failing scale request is counted, logged once, and asked again at the next decision; a failed pool read holds", async () => {
    const mesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      const { c, registry, lines } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler);
      scaler.failScale = 3;
      source.rps(20);
      await ticks(c, 4);
      expect(scaler.scaleCalls).toEqual([2, 2, 2, 2]);
      expect(scaler.desired).toBe(2);
      expect(lines.filter((l) => l.msg === "failed to scale the burst pool; asking again at the next decision")).toHaveLength(1);
      expect(await registry.metrics()).toMatch(/watcher_scale_requests_total\{result="error"\} 3/);
      scaler.ready = 2;
      scaler.failGet = 3;
      await ticks(c, 3);
      expect(mesh.puts).toEqual([]); // the pool could not be read: no move towards burst
      expect(lines.filter((l) => l.msg === "cannot read the burst pool; scaling paused, holding weights that would grow burst")).toHaveLength(1);
      expect(await registry.metrics()).toMatch(/watcher_pool_read_errors_total 3/);
      await ticks(c, 1);
      expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
    } finally {
      await mesh.close();
    }
  });

  it("the burst cluster's API server away mid-burst: weights held, no scale request, /status and an Event say why; scaling resumes when it is back", async () => {
    const mesh = await startFakeMesh({ primary: 0, burst: 100 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      scaler.desired = scaler.ready = 2;
      const events: { reason: string; message: string }[] = [];
      const { c } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler, { env: { MIN_DWELL: "0" }, recordEvent: async (n) => void events.push(n) });
      source.rps(20);
      await ticks(c, 2);
      expect(c.status().burstPool?.paused).toBeNull();
      scaler.failGet = 1_000;
      // the load falls and rises while the pool cannot be read: nothing is scaled, the burst weights stay
      source.rps(40);
      await ticks(c, 5);
      expect(scaler.scaleCalls).toEqual([]);
      expect(mesh.puts).toEqual([]);
      expect(c.status().burstPool?.paused).toEqual({ reason: expect.stringMatching(/^cannot read the burst pool \(.+\): scaling paused, and weights that would grow burst held/), since: expect.any(String) });
      expect(events.map((e) => e.reason)).toEqual(["BurstPoolUnreachable"]);
      scaler.failGet = 0;
      await ticks(c, 1);
      expect(c.status().burstPool?.paused).toBeNull();
      expect(events.map((e) => e.reason)).toEqual(["BurstPoolUnreachable", "BurstPoolReachable"]);
      expect(events[1].message).toMatch(/readable again after 5 failed polls .*; scaling resumed/);
      expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
    } finally {
      await mesh.close();
    }
  });

  it("an Event that cannot be written, after a scale or a pause, is logged with its reason and changes nothing else", async () => {
    const mesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      const refused = async () => {
        throw new Error("events is forbidden");
      };
      const { c, lines, registry } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler, { recordEvent: refused });
      source.rps(20);
      await ticks(c, 2);
      expect(scaler.scaleCalls).toEqual([2]);
      scaler.failGet = 1_000;
      await ticks(c, 1);
      await new Promise((r) => setImmediate(r));
      const unwritten = lines.filter((l) => l.msg === "the Kubernetes Event could not be written").map((l) => [l.reason, l.err]);
      expect(unwritten).toEqual([
        ["BurstPoolScaledUp", "events is forbidden"],
        ["BurstPoolUnreachable", "events is forbidden"],
      ]);
      expect(await registry.metrics()).toMatch(/^watcher_scale_requests_total\{result="ok"\} 1$/m);
      expect(c.status().burstPool?.paused).not.toBeNull();
    } finally {
      await mesh.close();
    }
  });

  it("writes nothing while it may not (a standby, or a leader past its renew deadline)", async () => {
    const mesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      let may = false;
      const { c } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler, { mayWrite: () => may });
      source.rps(50);
      scaler.ready = 2;
      await ticks(c, 3);
      expect(scaler.scaleCalls).toEqual([]);
      expect(mesh.puts).toEqual([]);
      may = true;
      await ticks(c, 2);
      expect(scaler.scaleCalls).toEqual([2]);
      expect(mesh.weights).toEqual({ primary: 0, burst: 100 });
    } finally {
      await mesh.close();
    }
  });

  it("a burst pool that dies during a burst: traffic back to primary at once", async () => {
    const mesh = await startFakeMesh({ primary: 0, burst: 100 });
    try {
      const source = new ScriptedSource();
      const scaler = new FakeScaler();
      scaler.desired = scaler.ready = 2;
      const { c, lines } = withScaler(new LocalRouter({ meshUrl: mesh.url }), source, scaler, { env: { MIN_DWELL: "1h" } });
      source.rps(20);
      await ticks(c, 2);
      expect(mesh.puts).toEqual([]);
      scaler.ready = 0;
      await ticks(c, 1);
      expect(mesh.weights).toEqual({ primary: 100, burst: 0 });
      expect(lines.some((l) => l.level === 40 && (l as { action?: string }).action === "capacity-fallback")).toBe(true);
    } finally {
      await mesh.close();
    }
  });

  it("a restart during a burst keeps the replicas and the weights (Istio router and Kubernetes scaler on the fake API)", async () => {
    const api: FakeKubeApi = await startFakeKubeApi();
    try {
      api.put("networking.istio.io", "v1", "virtualservices", workerVirtualService({ primary: 0, burst: 100 }));
      api.put("apps", "v1", "deployments", workerDeployment({ replicas: 2, ready: 2 }));
      const kc = await kubeConfigFor(api);
      const router = await createIstioRouter({ namespace: "default", name: "worker-virtual-service", kubeConfig: kc });
      const scaler = await createKubernetesScaler({ namespace: "default", name: "worker-deployment", kubeConfig: kc });
      const source = new ScriptedSource();
      const config = loadConfig({ SCALER: "local", SCALER_URL: "http://127.0.0.1:9", MIN_DWELL: "0", DOWN_STABILIZATION: "0", SCALE_DOWN_COOLDOWN: "5s" });
      const { log } = captureLog();
      const c = new Controller({ source, router, scaler, recordEvent: (n) => router.recordEvent(n), policy: policyOf(config.settings), pollIntervalMs: 50, dryRun: false, log, now });
      source.rps(12);
      await ticks(c, 10);
      expect(c.currentState?.phase).toBe("burst");
      expect(api.requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
      expect(c.status().burstPool).toMatchObject({ desired: 2, ready: 2, lastScaleAt: null });
      // the burst ends; a cooldown later the pool goes to 0, with an Event
      source.rps(2);
      await ticks(c, 7);
      const dep = api.get("apps", "v1", "deployments", "default", "worker-deployment") as any;
      expect(dep.spec.replicas).toBe(0);
      expect(api.events.map((e: any) => e.reason)).toEqual(["BurstEnded", "BurstPoolScaledDown"]);
      expect((api.events[1] as any).message).toMatch(/replicas 2 -> 0/);
    } finally {
      await api.close();
    }
  });
});
