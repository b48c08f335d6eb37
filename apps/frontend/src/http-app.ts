import { dirname, join, resolve } from "node:path";
import type { Logger } from "@istio-burst/common";
import express, { type ErrorRequestHandler, type Express } from "express";
import type { Registry } from "prom-client";
import type { FrontendConfig } from "./config";
import type { HashFeed } from "./hashes";
import type { RoutingReader } from "./routing";
import type { Stats } from "./stats";

const PUBLIC_DIR = join(__dirname, "..", "public");

/** What the HTTP side of the frontend reads and drives. */
export interface HttpParts {
  config: FrontendConfig;
  log: Logger;
  registry: Registry;
  stats: Stats;
  feed: HashFeed;
  routing: RoutingReader;
  setFrequency(value: unknown): { freq: number } | { error: string };
  /** whether close() has begun (readiness turns 503) */
  closing(): boolean;
}

/** The page, its assets and the JSON API, with JSON 404s and errors. */
export function createHttpApp(parts: HttpParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  addApi(app, parts);
  addPageAssets(app);
  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(parts.log));
  return app;
}

/** Readiness, metrics, stats, routing, config and the frequency API. */
function addApi(app: Express, { config, registry, stats, feed, routing, setFrequency, closing }: HttpParts): void {
  app.get("/_healthz", (_req, res) => {
    const ready = !closing() && feed.ready;
    res.status(ready ? 200 : 503).json({ status: ready ? "ok" : closing() ? "shutting down" : `redis ${feed.redis.status}` });
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
}

/** Page assets, all local: the page must work offline. Bootstrap and chart.js come from node_modules. */
function addPageAssets(app: Express): void {
  const bootstrapDist = resolve(dirname(require.resolve("bootstrap/dist/css/bootstrap.min.css")), "..");
  const chartDist = dirname(require.resolve("chart.js"));
  app.use("/vendor/bootstrap", express.static(bootstrapDist, { fallthrough: false, maxAge: "1h" }));
  app.use("/vendor/chart.js", express.static(chartDist, { fallthrough: false, maxAge: "1h" }));
  app.use(express.static(PUBLIC_DIR, { maxAge: 0 }));
}

type HttpError = { status?: number; statusCode?: number; type?: string; message?: string };

/** The message a failed request answers with (never an internal error's text). */
function errorMessage(err: HttpError, status: number, method: string, path: string): string {
  if (err.type === "entity.parse.failed") return 'body is not valid JSON: send {"freq": n}';
  if (err.type === "entity.too.large") return "request body is too large";
  if (status === 404) return `no route for ${method} ${path}`;
  if (status >= 500) return "internal error";
  return err.message ?? "bad request";
}

/** JSON errors; a 5xx is logged. */
function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: HttpError, req, res, _next) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) log.error({ err, path: req.path }, "request failed");
    const message = errorMessage(err, status, req.method, req.path);
    if (res.headersSent) return void res.end();
    res.status(status).json({ error: message });
  };
}
