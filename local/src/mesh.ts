/**
 * The local mesh: a plain node:http reverse proxy that stands in for the Istio sidecars.
 *
 * - The data port forwards every request (any method, path and query; body streamed both ways) to
 *   one of two worker pools, `primary` and `burst`, chosen by smooth weighted round-robin on the
 *   current weights, then round-robin among the pool's processes. One keep-alive agent per pool.
 * - The admin port (a separate listener, so no path is taken away from the forwarded traffic) serves
 *   `GET /weights`, `PUT /weights`, `GET /metrics` and `GET /_healthz`.
 * - `istio_requests_total` and `istio_request_duration_milliseconds` carry Istio's label names and
 *   values as the frontend's sidecar reports them (`reporter="source"`), so the watcher's default
 *   query reads the same series locally as on GKE.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { applyServerTimeouts, BodyTooLargeError, ConfigError, drainAndClose, listen, readBody, sendJson, type Logger } from "@istio-burst/common";

export const POOLS = ["primary", "burst"] as const;
export type PoolName = (typeof POOLS)[number];

/** The two route weights, integers in 0..100 summing to 100. */
export interface Weights {
  primary: number;
  burst: number;
}

export const NATURAL_WEIGHTS: Weights = { primary: 100, burst: 0 };

/** Istio's label values for the one edge the mesh stands in for: frontend -> worker-service. */
export interface MeshIdentity {
  /** Kubernetes namespace of the frontend and worker-service (default `default`). */
  namespace: string;
  /** The frontend's workload name (default `frontend-deployment`). */
  sourceWorkload: string;
  /** The worker Service name (default `worker-service`). */
  serviceName: string;
  /** The worker workload name in both clusters (default `worker-deployment`). */
  destinationWorkload: string;
}

export const DEFAULT_IDENTITY: MeshIdentity = {
  namespace: "default",
  sourceWorkload: "frontend-deployment",
  serviceName: "worker-service",
  destinationWorkload: "worker-deployment",
};

export interface MeshOptions {
  /** Base URLs (`http://host:port`) of the processes of each pool; a pool may be empty. */
  upstreams: Record<PoolName, string[]>;
  /** Initial weights (default 100/0, the natural weights). */
  weights?: Weights;
  /** Time allowed for an upstream to answer (default 30 s); past it the request ends 504. */
  upstreamTimeoutMs?: number;
  /** Sockets per upstream process (default 256). */
  maxSocketsPerUpstream?: number;
  identity?: Partial<MeshIdentity>;
  log?: Logger;
}

export interface Mesh {
  /** Forwards worker-service traffic. */
  readonly data: Server;
  /** /weights, /metrics, /_healthz. */
  readonly admin: Server;
  readonly registry: Registry;
  getWeights(): Weights;
  setWeights(w: Weights): void;
  /** Starts both listeners; port 0 picks a free port. */
  listen(opts: { host?: string; dataPort?: number; adminPort?: number }): Promise<{ dataUrl: string; adminUrl: string; dataPort: number; adminPort: number }>;
  /** Drains in-flight requests (up to `drainMs`) and closes both listeners and the agents. */
  close(drainMs?: number): Promise<void>;
}

/** Validates a weights body; returns an error message or the weights. */
export function parseWeights(body: unknown): Weights | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return 'body must be a JSON object {"primary": p, "burst": b}';
  }
  const o = body as Record<string, unknown>;
  for (const k of POOLS) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 100) return `${k} must be an integer from 0 to 100`;
  }
  const w = { primary: o.primary as number, burst: o.burst as number };
  if (w.primary + w.burst !== 100) return `primary + burst must be 100 (got ${w.primary + w.burst})`;
  return w;
}

// RFC 9110 7.6.1 hop-by-hop fields, and the ones Envoy does not forward.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function forwardHeaders(raw: IncomingMessage["headers"]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = new Set(
    String(raw.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Istio's default buckets for istio_request_duration_milliseconds. */
const ISTIO_DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

const LABELS = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_cluster",
  "destination_workload",
  "destination_workload_namespace",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_cluster",
  "request_protocol",
  "response_code",
  "response_flags",
] as const;
type Label = (typeof LABELS)[number];

interface Pool {
  name: PoolName;
  targets: URL[];
  next: number;
  agent: http.Agent;
  /** smooth weighted round-robin state */
  current: number;
}

export function createMesh(opts: MeshOptions): Mesh {
  const identity = { ...DEFAULT_IDENTITY, ...opts.identity };
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 30_000;
  const log = opts.log;
  let weights: Weights = { ...(opts.weights ?? NATURAL_WEIGHTS) };
  const initial = parseWeights(weights);
  if (typeof initial === "string") throw new Error(`initial weights: ${initial}`);

  const pools: Record<PoolName, Pool> = {} as Record<PoolName, Pool>;
  for (const name of POOLS) {
    pools[name] = {
      name,
      targets: opts.upstreams[name].map((u) => new URL(u)),
      next: 0,
      current: 0,
      agent: new http.Agent({ keepAlive: true, maxSockets: opts.maxSocketsPerUpstream ?? 256, maxFreeSockets: 64, scheduling: "lifo" }),
    };
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter<Label>({
    name: "istio_requests_total",
    help: "Requests from the frontend to worker-service, as the frontend's sidecar (reporter=source) would count them",
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram<Label>({
    name: "istio_request_duration_milliseconds",
    help: "Duration of requests from the frontend to worker-service, in milliseconds",
    labelNames: LABELS,
    buckets: ISTIO_DURATION_BUCKETS,
    registers: [registry],
  });
  const weightGauge = new Gauge({
    name: "local_mesh_route_weight",
    help: "Current route weight of each destination pool of worker-service",
    labelNames: ["destination_cluster"],
    registers: [registry],
  });
  const publishWeights = () => POOLS.forEach((p) => weightGauge.set({ destination_cluster: p }, weights[p]));
  publishWeights();

  const serviceFqdn = `${identity.serviceName}.${identity.namespace}.svc.cluster.local`;
  const baseLabels = {
    reporter: "source",
    source_workload: identity.sourceWorkload,
    source_workload_namespace: identity.namespace,
    source_cluster: "primary",
    destination_workload: identity.destinationWorkload,
    destination_workload_namespace: identity.namespace,
    destination_service: serviceFqdn,
    destination_service_name: identity.serviceName,
    destination_service_namespace: identity.namespace,
    request_protocol: "http",
  };

  /** Smooth weighted round-robin (as nginx): deterministic, interleaved, exact over any 100 picks. */
  function pickPool(): Pool {
    let best: Pool | undefined;
    for (const name of POOLS) {
      const p = pools[name];
      p.current += weights[name];
      if (!best || p.current > best.current) best = p;
    }
    best!.current -= 100;
    return best!;
  }

  function record(pool: PoolName, code: number, flags: string, startNs: bigint): void {
    const labels = { ...baseLabels, destination_cluster: pool, response_code: String(code), response_flags: flags };
    requests.inc(labels);
    duration.observe(labels, Number(process.hrtime.bigint() - startNs) / 1e6);
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const start = process.hrtime.bigint();
    const pool = pickPool();
    let done = false;
    const finish = (code: number, flags: string) => {
      if (done) return;
      done = true;
      record(pool.name, code, flags, start);
    };
    const fail = (status: number, flags: string, message: string) => {
      if (!res.headersSent) {
        sendJson(res, status, { error: message }, { "x-local-mesh-flags": flags });
        finish(status, flags);
      } else {
        // Reset after the headers went out: the client sees a broken response.
        finish(res.statusCode, flags);
        res.destroy();
      }
    };
    if (pool.targets.length === 0) {
      req.resume();
      fail(503, "UH", `no healthy upstream in pool ${pool.name}`);
      return;
    }
    const target = pool.targets[pool.next++ % pool.targets.length];
    const upReq = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers),
      agent: pool.agent,
    });
    upReq.setTimeout(upstreamTimeoutMs, () => upReq.destroy(Object.assign(new Error("upstream timeout"), { code: "UT" })));
    upReq.on("error", (err: NodeJS.ErrnoException) => {
      if (done) return;
      if (err.code === "UT") return fail(504, "UT", "upstream request timeout");
      if (res.destroyed) return finish(0, "DC");
      const connect = ["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "ETIMEDOUT"].includes(err.code ?? "");
      log?.warn({ pool: pool.name, upstream: target.origin, err: err.message }, "upstream request failed");
      if (connect) fail(503, "UF", `upstream connect error or disconnect/reset before headers: ${err.code}`);
      else fail(502, "UPE", `bad upstream response: ${err.message}`);
    });
    upReq.on("response", (upRes) => {
      const status = upRes.statusCode ?? 502;
      res.writeHead(status, upRes.statusMessage, forwardHeaders(upRes.headers));
      upRes.pipe(res);
      upRes.on("end", () => finish(status, "-"));
      upRes.on("error", () => fail(502, "UPE", "upstream response aborted"));
    });
    // The client went away before the answer was complete: abort the upstream request too.
    res.on("close", () => {
      if (!res.writableFinished) {
        finish(0, "DC");
        upReq.destroy();
      }
    });
    req.pipe(upReq);
  }

  function getWeights(): Weights {
    return { ...weights };
  }

  function setWeights(w: Weights): void {
    const parsed = parseWeights(w);
    if (typeof parsed === "string") throw new Error(parsed);
    const before = weights;
    weights = { ...parsed };
    for (const name of POOLS) pools[name].current = 0;
    publishWeights();
    if (before.primary !== weights.primary) log?.info({ from: before, to: weights }, "weights changed");
  }

  async function adminHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/weights") {
      if (req.method === "GET" || req.method === "HEAD") return sendJson(res, 200, getWeights());
      if (req.method !== "PUT") return sendJson(res, 405, { error: "use GET or PUT" }, { allow: "GET, PUT" });
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, 4096)).toString("utf8"));
      } catch (err) {
        if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: err.message });
        return sendJson(res, 400, { error: "body is not valid JSON" });
      }
      const parsed = parseWeights(body);
      if (typeof parsed === "string") return sendJson(res, 400, { error: parsed });
      setWeights(parsed);
      return sendJson(res, 200, getWeights());
    }
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "use GET" }, { allow: "GET" });
    if (path === "/metrics") {
      const text = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(text);
      return;
    }
    if (path === "/_healthz") return sendJson(res, 200, { status: "ok" });
    if (path === "/") {
      return sendJson(res, 200, {
        weights: getWeights(),
        upstreams: Object.fromEntries(POOLS.map((p) => [p, pools[p].targets.map((t) => t.origin)])),
      });
    }
    sendJson(res, 404, { error: `no such admin endpoint: ${path}` });
  }

  const data = http.createServer(forward);
  applyServerTimeouts(data, { requestTimeoutMs: upstreamTimeoutMs + 5_000 });
  const admin = http.createServer((req, res) => {
    adminHandler(req, res).catch((err: unknown) => {
      log?.error({ err }, "admin request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  applyServerTimeouts(admin);

  return {
    data,
    admin,
    registry,
    getWeights,
    setWeights,
    async listen({ host = "127.0.0.1", dataPort = 0, adminPort = 0 }) {
      const d = await listen(data, dataPort, host);
      const a = await listen(admin, adminPort, host);
      const h = host.includes(":") ? `[${host}]` : host;
      return { dataPort: d, adminPort: a, dataUrl: `http://${h}:${d}`, adminUrl: `http://${h}:${a}` };
    },
    async close(drainMs = 5_000) {
      await Promise.all([data.listening ? drainAndClose(data, { drainMs }) : undefined, admin.listening ? drainAndClose(admin, { drainMs: 1_000 }) : undefined]);
      for (const name of POOLS) pools[name].agent.destroy();
    },
  };
}

/** Parses a comma-separated list of `http://host:port` or `host:port` (env of mesh-main). */
export function parseUpstreams(name: string, raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const text = /^https?:\/\//.test(part) ? part : `http://${part}`;
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new ConfigError(name, "a comma-separated list of http://host:port or host:port", raw);
    }
    if (u.protocol !== "http:" || !u.port) throw new ConfigError(name, "a comma-separated list of http://host:port or host:port", raw);
    out.push(u.origin);
  }
  return out;
}

/** Parses `primary,burst` (env of mesh-main). */
export function parseWeightPair(name: string, raw: string | undefined, fallback: Weights): Weights {
  if (raw === undefined) return fallback;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  const w = m ? parseWeights({ primary: Number(m[1]), burst: Number(m[2]) }) : "";
  if (typeof w === "string") throw new ConfigError(name, "two integers primary,burst from 0 to 100 summing to 100", raw);
  return w;
}
