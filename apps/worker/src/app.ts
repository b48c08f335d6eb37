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
import type { Registry } from "prom-client";
import type { WorkerConfig } from "./config";
import { hashString } from "./hash";
import { type StatusCode, workerMetrics, type WorkerMetrics } from "./metrics";
import { createPublisher } from "./redis";
import { strFromBody } from "./request";

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

/** Answers with JSON, counted by status code; while closing, with `connection: close`. */
type Reply = (res: ServerResponse, status: StatusCode, body: unknown, headers?: Record<string, string>) => void;

/**
 * The worker: `POST /` `{"str": "..."}` hashes the string, publishes `PREFIX + hash` on the Redis
 * channel `calculation` and answers `{"hash": ...}`. The server is returned unbound (call listen).
 * The hot path is plain node:http: no per-request logging, pre-bound metric children.
 */
export function createWorker(config: WorkerConfig, deps: WorkerDeps = {}): Worker {
  const log = deps.log ?? createLogger("worker");
  const registry = deps.registry ?? createRegistry("worker");
  const redis = deps.redis ?? createPublisher(config.redisUrl, log);
  const metrics = workerMetrics(registry, redis);

  let closing = false;
  const reply: Reply = (res, status, body, headers) => {
    metrics.byCode.get(status)?.inc();
    if (closing) headers = { ...headers, connection: "close" };
    sendJson(res, status, body, headers);
  };
  const hash = hashHandler(config, redis, metrics, reply);
  const server = createServer(
    requestHandler({
      hash: (req, res) =>
        hash(req, res).catch((err: unknown) => {
          log.error({ err }, "unexpected error handling a request");
          if (!res.headersSent) reply(res, 500, { error: "internal error" });
          else res.destroy();
        }),
      reply,
      health: () => (closing ? "shutting down" : redis.status === "ready" ? "ok" : `redis ${redis.status}`),
      metrics: (res) =>
        sendMetrics(registry, res).catch((err: unknown) => {
          log.error({ err }, "could not render metrics");
          if (!res.headersSent) sendJson(res, 500, { error: "could not render metrics" });
        }),
    }),
  );
  applyServerTimeouts(server);

  let closed: Promise<void> | undefined;
  const close = () => {
    closing = true;
    closed ??= drainAndClose(server, {
      drainMs: deps.drainMs,
      cleanup: async () => {
        if (deps.redis) return;
        if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      },
    });
    return closed;
  };

  return { server, redis, registry, close };
}

/** `POST /`: read the body (at most MAX_BODY_BYTES), hash its `str`, publish, answer `{"hash"}`. */
function hashHandler(config: WorkerConfig, redis: Redis, metrics: WorkerMetrics, reply: Reply) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) reply(res, 413, { error: `request body is larger than ${MAX_BODY_BYTES} bytes` }, { connection: "close" });
      else reply(res, 400, { error: "could not read the request body" });
      return;
    }
    const request = strFromBody(body);
    if ("error" in request) return reply(res, 400, request);
    const message = config.prefix + hashString(request.str, config.hashRounds);
    try {
      await redis.publish(CHANNEL, message);
    } catch (err) {
      metrics.publishErrors.inc();
      reply(res, 503, { error: `redis unavailable, hash not published: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    metrics.duration.observe((performance.now() - started) / 1000);
    reply(res, 200, { hash: message });
  };
}

async function sendMetrics(registry: Registry, res: ServerResponse): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType });
  res.end(text);
}

interface Routes {
  hash(req: IncomingMessage, res: ServerResponse): void;
  reply: Reply;
  /** `ok` when ready, else why not */
  health(): string;
  metrics(res: ServerResponse): void;
}

/** The worker's routes: `/` (POST hashes, GET/HEAD is liveness), `/_healthz`, `/metrics`; JSON 404 and 405. */
function requestHandler(routes: Routes) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    if (path === "/" && method === "POST") return routes.hash(req, res);
    req.resume();
    const read = method === "GET" || method === "HEAD";
    if (path === "/" && read) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 2 });
      res.end("ok");
    } else if (path === "/") {
      routes.reply(res, 405, { error: `method ${method} is not allowed on /; use POST` }, { allow: "GET, HEAD, POST" });
    } else if (path === "/_healthz" && read) {
      const health = routes.health();
      sendJson(res, health === "ok" ? 200 : 503, { status: health });
    } else if (path === "/metrics" && read) {
      routes.metrics(res);
    } else {
      sendJson(res, 404, { error: `no route for ${method} ${path}` });
    }
  };
}
