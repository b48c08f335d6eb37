import { createServer, type Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { applyServerTimeouts, createLogger, createRegistry, drainAndClose, type Logger } from "@istio-burst/common";
import express, { type ErrorRequestHandler } from "express";
import { Counter, Gauge, type Registry } from "prom-client";
import { Server as SocketServer } from "socket.io";
import { type FrontendConfig, parseFreq } from "./config";
import { HashFeed } from "./hashes";
import { Pacer } from "./pacer";
import { Processor } from "./processor";
import { RoutingReader, type RoutingOptions } from "./routing";
import { type Pool, Stats } from "./stats";

/** How often hashes are pushed to browsers when they arrive faster than `SINGLE_PER_FLUSH` per flush. */
export const FLUSH_MS = 200;
/** Hashes per flush window sent one by one as `calculation` events (as in the 2018 codelab). */
export const SINGLE_PER_FLUSH = 5;
/** Most hashes in one `calculations` batch; the newest are kept and the rest counted as `omitted`. */
export const MAX_BATCH = 100;
/** How often `stats` is pushed to browsers. */
export const STATS_MS = 1_000;
/** How often the watcher's routing is read and pushed to browsers as `routing`, while any is connected. */
export const ROUTING_MS = 1_000;

const PUBLIC_DIR = join(__dirname, "..", "public");

export interface FrontendDeps {
  log?: Logger;
  registry?: Registry;
  /** How long close() waits for page requests and worker calls to finish (default 8 s). */
  drainMs?: number;
  /** Deadline and cache age of the watcher reads behind /api/routing (defaults in routing.ts). */
  routing?: RoutingOptions;
}

export interface Frontend {
  server: Server;
  io: SocketServer;
  stats: Stats;
  pacer: Pacer;
  feed: HashFeed;
  routing: RoutingReader;
  registry: Registry;
  /** Sets the frequency (validated); returns the refusal message when it is not acceptable. */
  setFrequency(value: unknown): { freq: number } | { error: string };
  /** Stops sending, disconnects browsers, drains requests, closes Redis. */
  close(): Promise<void>;
}

/**
 * The String Hashr frontend: the page (GET /), its socket.io feed of hashes and stats, the
 * frequency API, and the paced request generator. The server is returned unbound (call listen).
 */
export function createFrontend(config: FrontendConfig, deps: FrontendDeps = {}): Frontend {
  const log = deps.log ?? createLogger("frontend");
  const registry = deps.registry ?? createRegistry("frontend");
  const stats = new Stats();
  const processor = new Processor(config.processorUrl, stats, { timeoutMs: config.requestTimeoutMs, maxInFlight: config.maxInFlight }, log);
  const pacer = new Pacer(() => processor.call());
  const routing = new RoutingReader(config.watcherUrl, log, deps.routing);

  // Hashes from Redis: counted by pool, pushed to browsers one by one at low rates, batched above.
  let singles = 0;
  let batch: string[] = [];
  let omitted = 0;
  const poolOf = (hash: string): Pool => (hash.startsWith(config.burstPrefix) ? "burst" : "primary");
  const feed = new HashFeed(
    config.redisUrl,
    (hash) => {
      stats.recordHash(poolOf(hash));
      if (singles < SINGLE_PER_FLUSH) {
        singles++;
        io.emit("calculation", hash);
        return;
      }
      batch.push(hash);
      if (batch.length > MAX_BATCH) {
        batch.shift();
        omitted++;
      }
    },
    log,
  );

  const setFrequency = (value: unknown): { freq: number } | { error: string } => {
    const parsed = parseFreq(value, config.maxFreq);
    if ("error" in parsed) return parsed;
    const previous = stats.freq;
    pacer.set(parsed.freq);
    stats.freq = parsed.freq;
    if (parsed.freq !== previous) log.info({ freq: parsed.freq, previous }, "frequency set");
    return parsed;
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/_healthz", (_req, res) => {
    const ready = !closing && feed.ready;
    res.status(ready ? 200 : 503).json({ status: ready ? "ok" : closing ? "shutting down" : `redis ${feed.redis.status}` });
  });
  app.get("/metrics", async (_req, res, next) => {
    try {
      const text = await registry.metrics();
      res.type(registry.contentType).send(text);
    } catch (err) {
      next(err);
    }
  });
  app.get("/api/stats", (_req, res) => {
    res.json(stats.snapshot());
  });
  // The routing the watcher chose: 200 with {"watcher": "ok" | "unreachable" | "not-configured", ...}.
  app.get("/api/routing", (_req, res) => {
    void routing.current().then((state) => res.set("cache-control", "no-store").json(state));
  });
  app.get("/api/config", (_req, res) => {
    res.json({ burstPrefix: config.burstPrefix, maxFreq: config.maxFreq });
  });
  app.post("/api/frequency", express.json({ type: () => true, limit: "4kb", strict: false }), (req, res) => {
    const body: unknown = req.body;
    const value = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as { freq?: unknown }).freq : undefined;
    const result = body === undefined ? { error: 'body is missing: send {"freq": n}' } : setFrequency(value);
    if ("error" in result) res.status(400).json(result);
    else res.json(result);
  });
  app.all("/api/frequency", (req, res) => {
    res.status(405).set("allow", "POST").json({ error: `method ${req.method} is not allowed on /api/frequency; use POST` });
  });

  // Page assets, all local: the page must work offline. Bootstrap and chart.js come from node_modules.
  const bootstrapDist = resolve(dirname(require.resolve("bootstrap/dist/css/bootstrap.min.css")), "..");
  const chartDist = dirname(require.resolve("chart.js"));
  app.use("/vendor/bootstrap", express.static(bootstrapDist, { fallthrough: false, maxAge: "1h" }));
  app.use("/vendor/chart.js", express.static(chartDist, { fallthrough: false, maxAge: "1h" }));
  app.use(express.static(PUBLIC_DIR, { maxAge: 0 }));

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  const onError: ErrorRequestHandler = (err: { status?: number; statusCode?: number; type?: string; message?: string }, req, res, _next) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) log.error({ err, path: req.path }, "request failed");
    const message =
      err.type === "entity.parse.failed"
        ? 'body is not valid JSON: send {"freq": n}'
        : err.type === "entity.too.large"
          ? "request body is too large"
          : status === 404
            ? `no route for ${req.method} ${req.path}`
            : status >= 500
              ? "internal error"
              : (err.message ?? "bad request");
    if (res.headersSent) return void res.end();
    res.status(status).json({ error: message });
  };
  app.use(onError);

  const server = createServer(app);
  applyServerTimeouts(server);
  const io = new SocketServer(server, { serveClient: true, maxHttpBufferSize: 4096 });
  io.on("connection", (socket) => {
    socket.emit("config", { burstPrefix: config.burstPrefix, maxFreq: config.maxFreq });
    socket.emit("stats", stats.snapshot());
    void routing.current().then((state) => socket.connected && socket.emit("routing", state));
    socket.on("frequency", (...args: unknown[]) => {
      // socket.io passes the ack as the last argument, after however many the client sent
      const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (reply: unknown) => void) : undefined;
      const data = args[0];
      const value = data !== null && typeof data === "object" && !Array.isArray(data) ? (data as { freq?: unknown }).freq : data;
      const result = setFrequency(value);
      if (ack) ack(result);
      else if ("error" in result) socket.emit("frequency-error", result);
      if (!("error" in result)) io.emit("frequency", result);
    });
  });

  const flushTimer = setInterval(() => {
    singles = 0;
    if (batch.length === 0) return;
    io.emit("calculations", { hashes: batch, omitted });
    batch = [];
    omitted = 0;
  }, FLUSH_MS);
  const statsTimer = setInterval(() => io.emit("stats", stats.snapshot()), STATS_MS);
  const routingTimer = setInterval(() => {
    if (io.engine.clientsCount > 0) void routing.current().then((state) => !closing && io.emit("routing", state));
  }, ROUTING_MS);

  registerMetrics(registry, stats, () => io.engine.clientsCount, () => feed.ready, () => routing.last?.watcher === "ok");

  if (config.initialFreq > 0) setFrequency(config.initialFreq);

  let closing = false;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      pacer.stop();
      clearInterval(flushTimer);
      clearInterval(statsTimer);
      clearInterval(routingTimer);
      io.disconnectSockets(true);
      io.engine.close();
      const drainMs = deps.drainMs ?? 8_000;
      await drainAndClose(server, {
        drainMs,
        cleanup: async () => {
          await processor.drain(Math.min(drainMs, config.requestTimeoutMs));
          processor.close();
          feed.close();
        },
      });
    })();
    return closed;
  };

  return { server, io, stats, pacer, feed, routing, registry, setFrequency, close };
}

/** Prometheus metrics read from Stats when scraped, so the hot path only increments numbers. */
function registerMetrics(registry: Registry, stats: Stats, clients: () => number, redisReady: () => boolean, watcherReachable: () => boolean): void {
  const registers = [registry];
  new Counter({
    name: "frontend_requests_sent_total",
    help: "Calls sent to the worker service",
    registers,
    collect() {
      this.reset();
      this.inc(stats.sent);
    },
  });
  new Counter({
    name: "frontend_responses_total",
    help: "Worker calls finished, by HTTP status code, or code=timeout / code=error when there was no answer",
    labelNames: ["code"],
    registers,
    collect() {
      this.reset();
      for (const [code, n] of stats.responses) this.inc({ code }, n);
    },
  });
  new Counter({
    name: "frontend_requests_dropped_total",
    help: "Calls due but not sent because MAX_IN_FLIGHT calls were in flight (counted as errors)",
    registers,
    collect() {
      this.reset();
      this.inc(stats.dropped);
    },
  });
  new Counter({
    name: "frontend_hashes_total",
    help: "Hashes received on the Redis calculation channel, by pool (burst: starts with BURST_PREFIX)",
    labelNames: ["pool"],
    registers,
    collect() {
      this.reset();
      this.inc({ pool: "primary" }, stats.hashes.primary);
      this.inc({ pool: "burst" }, stats.hashes.burst);
    },
  });
  new Gauge({
    name: "frontend_requests_in_flight",
    help: "Worker calls waiting for an answer",
    registers,
    collect() {
      this.set(stats.inFlight);
    },
  });
  new Gauge({
    name: "frontend_frequency",
    help: "Requested calls per second",
    registers,
    collect() {
      this.set(stats.freq);
    },
  });
  new Gauge({
    name: "frontend_socket_clients",
    help: "Browsers connected over socket.io",
    registers,
    collect() {
      this.set(clients());
    },
  });
  new Gauge({
    name: "frontend_watcher_reachable",
    help: "1 while the last read of the watcher's /status (WATCHER_URL) succeeded, else 0",
    registers,
    collect() {
      this.set(watcherReachable() ? 1 : 0);
    },
  });
  new Gauge({
    name: "frontend_redis_connected",
    help: "1 while subscribed to the Redis calculation channel, else 0",
    registers,
    collect() {
      this.set(redisReady() ? 1 : 0);
    },
  });
}
