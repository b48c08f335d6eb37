/**
 * GET /api/routing and the socket.io `routing` event, against stand-in watchers: one answering a
 * canned WatcherStatus, one that hangs, ones that answer garbage, none at all, and no WATCHER_URL.
 * Whatever the watcher does, the frontend answers 200 with a clear state, in bounded time, and the
 * rest of it keeps working.
 */
import { io as connect, type Socket } from "socket.io-client";
import { Env } from "@istio-burst/common";
import type { RoutingState, WatcherStatus } from "@istio-burst/contract";
import type { Frontend } from "../../../apps/frontend/src/app";
import { loadConfig } from "../../../apps/frontend/src/config";
import { ROUTING_MAX_BYTES, ROUTING_TIMEOUT_MS, statusUrl } from "../../../apps/frontend/src/routing";
import { freePort, sleep, startRedis, waitFor, type RedisServer } from "../../helpers/services";
import { request } from "../worker/helpers";
import { cannedStatus, startFakeWatcher, type FakeAnswer, type FakeWatcher } from "./fake-watcher";
import { startCountingProcessor, startFrontend } from "./helpers";

let redis: RedisServer;
let processor: Awaited<ReturnType<typeof startCountingProcessor>>;
beforeAll(async () => {
  redis = await startRedis();
  processor = await startCountingProcessor();
});
afterAll(async () => {
  await processor?.close();
  await redis?.dispose();
});

/** A frontend reading the routing from `watcherUrl`, with a short cache so that tests see changes quickly. */
async function frontendFor(watcherUrl: string | undefined, routing: { timeoutMs?: number; maxAgeMs?: number } = { maxAgeMs: 0 }) {
  return startFrontend({ processorUrl: processor.url, redisUrl: redis.url, watcherUrl }, 2_000, { routing });
}

async function getRouting(url: string): Promise<{ status: number; ms: number; body: RoutingState; cache: unknown }> {
  const t0 = Date.now();
  const res = await request(`${url}/api/routing`);
  return { status: res.status, ms: Date.now() - t0, body: res.json() as RoutingState, cache: res.headers["cache-control"] };
}

describe("GET /api/routing against a watcher that answers", () => {
  let watcher: FakeWatcher;
  let fe: { frontend: Frontend; url: string };
  beforeAll(async () => {
    watcher = await startFakeWatcher();
    // a trailing slash and a path on WATCHER_URL still reach <base>/status
    fe = await frontendFor(`${watcher.url}/`);
  });
  afterAll(async () => {
    await fe?.frontend.close();
    await watcher?.close();
  });

  it("serves the weights, phase, mode, observed rate, thresholds and the last changes with their reasons", async () => {
    const canned: WatcherStatus = cannedStatus();
    const { status, body, cache } = await getRouting(fe.url);
    expect(status).toBe(200);
    expect(cache).toBe("no-store");
    expect(body).toEqual({
      watcher: "ok",
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      ready: true,
      weights: { primary: 0, burst: 100 },
      phase: "burst",
      mode: "switch",
      dryRun: false,
      observed: { at: "2026-01-02T10:00:41.000Z", kind: "value", rps: 24.9, upRps: 25.1 },
      thresholds: canned.thresholds,
      lastDecision: { at: "2026-01-02T10:00:41.000Z", action: "hold", reason: "observed 24.9 rps: holding weights" },
      changes: 3,
      recentChanges: canned.recentChanges,
      // the burst pool's size, for "burst pool: 1 of 2 ready" (the reason and time stay with the watcher)
      burstPool: { ready: 1, desired: 2 },
      // what the burst pool cost since the watcher started, beside an always-on pool
      cost: canned.cost,
    });
    if (body.watcher !== "ok") throw new Error("not ok");
    expect(body.thresholds).toMatchObject({ highRps: 15, lowRps: 10 });
    expect(body.recentChanges.map((c) => [c.seq, c.action, c.reason])).toEqual([
      [1, "to-burst", "observed 25.3 rps > HIGH_RPS 15: weights 100,0 -> 0,100"],
      [2, "to-natural", expect.stringContaining("LOW_RPS 10")],
      [3, "to-burst", expect.stringContaining("HIGH_RPS 15")],
    ]);
    // what the watcher talks to stays with the watcher
    for (const key of ["prometheusUrl", "query", "upQuery", "healthQuery", "router", "service"]) expect(body).not.toHaveProperty(key);
    expect(watcher.calls.every((p) => p === "/status")).toBe(true);
  });

  it("asks again when a standby watcher answered (several watchers behind the Service), a few times at most", async () => {
    await fe.frontend.close();
    fe = await frontendFor(watcher.url, { maxAgeMs: 0 });
    const election = { lease: "Lease hashr/istio-watcher-leader", identity: "istio-watcher-b", role: "standby", holder: "istio-watcher-a", transitions: 0, leaseDurationMs: 15_000 };
    const standby = { ...cannedStatus(), ready: true, weights: null, phase: null, lastSample: null, lastDecision: null, election };
    watcher.calls.length = 0;
    watcher.next = [{ kind: "json", body: standby }, { kind: "json", body: standby }];
    const { body } = await getRouting(fe.url);
    expect(watcher.calls).toEqual(["/status", "/status", "/status"]);
    expect(body).toMatchObject({ watcher: "ok", weights: { primary: 0, burst: 100 } });
    // only standbys answer: after 4 tries, the standby's answer (no weights) is shown
    watcher.calls.length = 0;
    watcher.next = Array.from({ length: 6 }, () => ({ kind: "json" as const, body: standby }));
    const again = await getRouting(fe.url);
    expect(watcher.calls).toHaveLength(4);
    expect(again.body).toMatchObject({ watcher: "ok", weights: null });
    watcher.next = [];
  });

  it("asks the watcher once for concurrent requests, and serves the cached answer while it is fresh", async () => {
    await fe.frontend.close();
    fe = await frontendFor(watcher.url, { maxAgeMs: 60_000 });
    watcher.calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 8 }, () => getRouting(fe.url)));
    expect(answers.every((a) => a.status === 200 && a.body.watcher === "ok")).toBe(true);
    await getRouting(fe.url);
    expect(watcher.calls).toEqual(["/status"]);
  });
});

describe("GET /api/routing when the watcher fails", () => {
  let watcher: FakeWatcher;
  let fe: { frontend: Frontend; url: string };
  beforeAll(async () => {
    watcher = await startFakeWatcher();
    fe = await frontendFor(watcher.url);
  });
  afterAll(async () => {
    await fe?.frontend.close();
    await watcher?.close();
  });

  /** After a good answer (so lastSeenAt is set), the watcher answers `answer`. */
  async function unreachableWith(answer: FakeAnswer) {
    watcher.answer = { kind: "json", body: cannedStatus() };
    const ok = await getRouting(fe.url);
    expect(ok.body.watcher).toBe("ok");
    watcher.answer = answer;
    const r = await getRouting(fe.url);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ watcher: "unreachable", checkedAt: expect.any(String), error: expect.any(String), lastSeenAt: ok.body.checkedAt });
    if (r.body.watcher !== "unreachable") throw new Error("not unreachable");
    expect(r.body.error).not.toContain("\n");
    expect(r.body.error.length).toBeLessThanOrEqual(160);
    return { ...r, error: r.body.error };
  }

  it.each<[string, FakeAnswer, RegExp]>([
    ["HTML instead of JSON", { kind: "text", status: 200, type: "text/html", body: "<html><body>It works!</body></html>" }, /^answer is not JSON: <html>/],
    ["an empty body", { kind: "text", status: 200, type: "application/json", body: "" }, /^answer is not JSON: \(empty\)$/],
    ["some other JSON", { kind: "json", body: { hello: "world" } }, /^answer is not a watcher status: no "service": "watcher"$/],
    ["a JSON list", { kind: "json", body: [1, 2, 3] }, /^answer is not a watcher status: not a JSON object$/],
    ["weights that do not sum to 100", { kind: "json", body: { ...cannedStatus(), weights: { primary: 50, burst: 40 } } }, /not a watcher status: weights are not two integers summing to 100/],
    ["a change without weights", { kind: "json", body: { ...cannedStatus(), recentChanges: [{ at: "x", seq: 1, action: "to-burst", reason: "r" }] } }, /recentChanges\[0\] has invalid weights/],
    ["an unknown mode", { kind: "json", body: { ...cannedStatus(), mode: "yolo" } }, /mode is not switch or overflow/],
    ["a 500 with a message", { kind: "text", status: 500, type: "text/plain", body: "boom\nat line 2" }, /^HTTP 500: boom at line 2$/],
    ["the sidecar's 403", { kind: "text", status: 403, type: "text/plain", body: "RBAC: access denied" }, /^HTTP 403: RBAC: access denied$/],
    ["a body over the size limit", { kind: "text", status: 200, type: "application/json", body: `{"service":"watcher","pad":"${"x".repeat(ROUTING_MAX_BYTES)}"}` }, /larger than 262144 bytes/],
  ])("answers unreachable with the reason when the watcher answers %s", async (_what, answer, error) => {
    const r = await unreachableWith(answer);
    expect(r.error).toMatch(error);
  });

  it("answers unreachable within its deadline when the watcher hangs, before or during the body", async () => {
    for (const answer of [{ kind: "hang" }, { kind: "hang-body" }] as const) {
      const r = await unreachableWith(answer);
      expect(r.error).toBe(`timed out after ${ROUTING_TIMEOUT_MS} ms`);
      expect(r.ms).toBeGreaterThanOrEqual(ROUTING_TIMEOUT_MS - 50);
      expect(r.ms).toBeLessThan(ROUTING_TIMEOUT_MS + 1_000);
    }
  });

  it("keeps serving the page, stats and frequency meanwhile", async () => {
    watcher.answer = { kind: "hang" };
    const [routing, stats, page] = await Promise.all([getRouting(fe.url), request(`${fe.url}/api/stats`), request(`${fe.url}/`)]);
    expect(routing.body.watcher).toBe("unreachable");
    expect(stats.status).toBe(200);
    expect(page.status).toBe(200);
    expect((await request(`${fe.url}/_healthz`)).status).toBe(200);
  });
});

describe("GET /api/routing without a watcher", () => {
  it("answers unreachable (connection refused, never seen) when nothing listens at WATCHER_URL, and ok once it does", async () => {
    const port = await freePort();
    const fe = await frontendFor(`http://127.0.0.1:${port}`);
    try {
      const r = await getRouting(fe.url);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ watcher: "unreachable", checkedAt: expect.any(String), error: "connection refused", lastSeenAt: null });
      expect(r.ms).toBeLessThan(1_000);

      // the watcher comes up: the next read shows its routing
      const late = await startFakeWatcher(undefined, port);
      try {
        expect((await getRouting(fe.url)).body).toMatchObject({ watcher: "ok", phase: "burst" });
      } finally {
        await late.close();
      }
    } finally {
      await fe.frontend.close();
    }
  });

  it("says routing is not configured when WATCHER_URL is not set", async () => {
    const fe = await frontendFor(undefined);
    try {
      const r = await getRouting(fe.url);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ watcher: "not-configured", checkedAt: expect.any(String), error: "WATCHER_URL is not set" });
      expect((await request(`${fe.url}/api/stats`)).status).toBe(200);
    } finally {
      await fe.frontend.close();
    }
  });
});

describe("the socket.io `routing` event", () => {
  it("is pushed on connect and then every second, and turns to unreachable when the watcher goes away", async () => {
    const watcher = await startFakeWatcher();
    const fe = await frontendFor(watcher.url);
    const socket: Socket = connect(fe.url, { transports: ["websocket"], reconnection: false });
    const seen: RoutingState[] = [];
    socket.on("routing", (r: RoutingState) => seen.push(r));
    try {
      await waitFor("first routing event", () => seen.length >= 1, 5_000);
      expect(seen[0]).toMatchObject({ watcher: "ok", weights: { primary: 0, burst: 100 }, phase: "burst" });
      await waitFor("two more routing events", () => seen.length >= 3, 5_000);
      await watcher.close();
      await waitFor("an unreachable routing event", () => seen.at(-1)?.watcher === "unreachable", 5_000);
      expect(seen.at(-1)).toMatchObject({ watcher: "unreachable", error: "connection refused", lastSeenAt: expect.any(String) });
    } finally {
      socket.disconnect();
      await fe.frontend.close();
      await watcher.close();
    }
  });

  it("does not read the watcher while no browser is connected", async () => {
    const watcher = await startFakeWatcher();
    const fe = await frontendFor(watcher.url);
    try {
      await sleep(2_500);
      expect(watcher.calls).toEqual([]);
    } finally {
      await fe.frontend.close();
      await watcher.close();
    }
  });
});

describe("WATCHER_URL", () => {
  it("is optional, and must be an http(s) URL when set", () => {
    const base = { REDIS_URL: "127.0.0.1:6379" };
    expect(loadConfig(new Env(base)).watcherUrl).toBeUndefined();
    expect(loadConfig(new Env({ ...base, WATCHER_URL: " " })).watcherUrl).toBeUndefined();
    expect(loadConfig(new Env({ ...base, WATCHER_URL: "http://istio-watcher" })).watcherUrl).toBe("http://istio-watcher");
    for (const bad of ["istio-watcher", "ftp://istio-watcher", "http//x"]) {
      expect(() => loadConfig(new Env({ ...base, WATCHER_URL: bad }))).toThrow(`WATCHER_URL="${bad}" is invalid: must be an http:// or https:// URL`);
    }
  });

  it("is the base: /status goes after its path, without its query or a doubled slash", () => {
    expect(statusUrl("http://istio-watcher").href).toBe("http://istio-watcher/status");
    expect(statusUrl("http://127.0.0.1:8082/").href).toBe("http://127.0.0.1:8082/status");
    expect(statusUrl("https://example.com/watcher//?x=1#y").href).toBe("https://example.com/watcher/status");
  });
});
