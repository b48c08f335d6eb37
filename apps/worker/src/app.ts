import { isUtf8 } from "node:buffer";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import {
  applyServerTimeouts,
  BodyTooLargeError,
  createLogger,
  createRegistry,
  drainAndClose,
  type Logger,
  readBody,
  sendJson,
} from "@istio-burst/common";
import { CHANNEL } from "@istio-burst/contract";
import type Redis from "ioredis";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WorkerConfig } from "./config";
import { hashString } from "./hash";
import { createPublisher } from "./redis";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface WorkerDeps {
  log?: Logger;
  registry?: Registry;
  /** A Redis connection to publish on; by default one is made from `config.redisUrl`. */
  redis?: Redis;
  /** How long close() lets in-flight requests finish (default 8 s). */
  drainMs?: number;
}

export interface Worker {
  server: Server;
  redis: Redis;
  registry: Registry;
  /** Stops accepting, drains in-flight requests, then closes Redis. */
  close(): Promise<void>;
}

const STATUS_CODES = [200, 400, 404, 405, 413, 500, 503] as const;

/**
 * The worker: `POST /` `{"str": "..."}` hashes the string, publishes `PREFIX + hash` on the Redis
 * channel `calculation` and answers `{"hash": ...}`. The server is returned unbound (call listen).
 * The hot path is plain node:http: no per-request logging, pre-bound metric children.
 */
export function createWorker(config: WorkerConfig, deps: WorkerDeps = {}): Worker {
  const log = deps.log ?? createLogger("worker");
  const registry = deps.registry ?? createRegistry("worker");
  const redis = deps.redis ?? createPublisher(config.redisUrl, log);

  const requests = new Counter({
    name: "worker_requests_total",
    help: "HTTP requests to POST / by response status code",
    labelNames: ["code"],
    registers: [registry],
  });
  const byCode = new Map(STATUS_CODES.map((code) => [code, requests.labels(String(code))]));
  const publishErrors = new Counter({
    name: "worker_publish_errors_total",
    help: "Hashes not published because Redis was unreachable or failed",
    registers: [registry],
  });
  const duration = new Histogram({
    name: "worker_request_duration_seconds",
    help: "Time to hash and publish, for requests answered 200",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  new Gauge({
    name: "worker_redis_connected",
    help: "1 when the Redis connection is ready, else 0",
    registers: [registry],
    collect() {
      this.set(redis.status === "ready" ? 1 : 0);
    },
  });

  let closing = false;

  const reply = (res: ServerResponse, status: (typeof STATUS_CODES)[number], body: unknown, headers?: Record<string, string>) => {
    byCode.get(status)?.inc();
    if (closing) headers = { ...headers, connection: "close" };
    sendJson(res, status, body, headers);
  };

  async function hash(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        reply(res, 413, { error: `request body is larger than ${MAX_BODY_BYTES} bytes` }, { connection: "close" });
      } else {
        reply(res, 400, { error: "could not read the request body" });
      }
      return;
    }
    // JSON text is UTF-8 (RFC 8259 8.1): decoding invalid bytes to U+FFFD would hash a string the client never sent.
    if (!isUtf8(body)) {
      reply(res, 400, { error: "body is not valid UTF-8" });
      return;
    }
    let str: unknown;
    try {
      const parsed: unknown = JSON.parse(body.toString("utf8"));
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        reply(res, 400, { error: 'body must be a JSON object like {"str": "..."}' });
        return;
      }
      str = (parsed as { str?: unknown }).str;
    } catch {
      reply(res, 400, { error: "body is not valid JSON" });
      return;
    }
    if (typeof str !== "string") {
      reply(res, 400, { error: str === undefined ? 'field "str" is missing' : 'field "str" must be a string' });
      return;
    }
    const message = config.prefix + hashString(str, config.hashRounds);
    try {
      await redis.publish(CHANNEL, message);
    } catch (err) {
      publishErrors.inc();
      reply(res, 503, { error: `redis unavailable, hash not published: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    duration.observe((performance.now() - started) / 1000);
    reply(res, 200, { hash: message });
  }

  async function metrics(res: ServerResponse): Promise<void> {
    const text = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType });
    res.end(text);
  }

  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    if (path === "/") {
      if (method === "POST") {
        hash(req, res).catch((err: unknown) => {
          log.error({ err }, "unexpected error handling a request");
          if (!res.headersSent) reply(res, 500, { error: "internal error" });
          else res.destroy();
        });
        return;
      }
      if (method === "GET" || method === "HEAD") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 2 });
        res.end("ok");
        return;
      }
      req.resume();
      reply(res, 405, { error: `method ${method} is not allowed on /; use POST` }, { allow: "GET, HEAD, POST" });
      return;
    }
    req.resume();
    if (path === "/_healthz" && (method === "GET" || method === "HEAD")) {
      const ready = !closing && redis.status === "ready";
      sendJson(res, ready ? 200 : 503, ready ? { status: "ok" } : { status: closing ? "shutting down" : `redis ${redis.status}` });
      return;
    }
    if (path === "/metrics" && (method === "GET" || method === "HEAD")) {
      metrics(res).catch((err: unknown) => {
        log.error({ err }, "could not render metrics");
        if (!res.headersSent) sendJson(res, 500, { error: "could not render metrics" });
      });
      return;
    }
    sendJson(res, 404, { error: `no route for ${method} ${path}` });
  });
  applyServerTimeouts(server);

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      await drainAndClose(server, {
        drainMs: deps.drainMs,
        cleanup: async () => {
          if (deps.redis) return;
          if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
          else redis.disconnect();
        },
      });
    })();
    return closed;
  };

  return { server, redis, registry, close };
}
