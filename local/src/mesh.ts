/**
 * The local mesh: a plain node:http reverse proxy that stands in for the Istio sidecars.
 *
 * - The data port forwards every request (any method, path and query; body streamed both ways) to
 *   one of two worker pools, `primary` and `burst`, chosen by smooth weighted round-robin on the
 *   current weights, then round-robin among the pool's processes. One keep-alive agent per pool.
 * - The admin port (a separate listener, so no path is taken away from the forwarded traffic) serves
 *   `GET /weights`, `PUT /weights`, `GET|PUT /upstreams/<pool>` (the pool's live processes: local
 *   mode's burst pool grows and shrinks), `GET /metrics` and `GET /_healthz`.
 * - `istio_requests_total` and `istio_request_duration_milliseconds` carry Istio's label names and
 *   values as the frontend's sidecar reports them (`reporter="source"`), so the watcher's default
 *   query reads the same series locally as on GKE.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { applyServerTimeouts, ConfigError, drainAndClose, listen, readJsonBody, sendJson, sendMetrics, type Logger } from "@istio-burst/common";
import { DEFAULT_NAMESPACE, ISTIO_CLUSTERS, isValidWeights, NAMES, PRIMARY_ONLY, sameWeights, serviceFqdn, SIDES, type Side, type Weights } from "@istio-burst/contract";

export interface MeshOptions {
  /** Base URLs (`http://host:port`) of the processes of each pool; a pool may be empty. */
  upstreams: Record<Side, string[]>;
  /** Initial weights (default everything to primary). */
  weights?: Weights;
  /** Time allowed for an upstream to answer (default 30 s); past it the request ends 504. */
  upstreamTimeoutMs?: number;
  /** Sockets per upstream process (default 256). */
  maxSocketsPerUpstream?: number;
  /** Namespace of the frontend and worker-service in the metric labels (default `default`). */
  namespace?: string;
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
  /** The processes of each pool now. */
  getUpstreams(): Record<Side, string[]>;
  /** Replaces one pool's processes (base URLs); new requests go to these from now on. */
  setUpstreams(side: Side, urls: string[]): void;
  /** Starts both listeners; port 0 picks a free port. */
  listen(opts: { host?: string; dataPort?: number; adminPort?: number }): Promise<{ dataUrl: string; adminUrl: string; dataPort: number; adminPort: number }>;
  /** Drains in-flight requests (up to `drainMs`) and closes both listeners and the agents. */
  close(drainMs?: number): Promise<void>;
}

const WEIGHTS_BODY = 'a JSON object {"primary": p, "burst": b} with integers in 0..100 summing to 100';

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

/** Istio's metrics for the frontend -> worker-service edge, as the frontend's sidecar reports them. */
function meshMetrics(namespace: string) {
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
  const weight = new Gauge({ name: "local_mesh_route_weight", help: "Current route weight of each destination pool of worker-service", labelNames: ["destination_cluster"], registers: [registry] });
  const base = {
    reporter: "source",
    source_workload: NAMES.frontendDeployment,
    source_workload_namespace: namespace,
    source_cluster: ISTIO_CLUSTERS.primary,
    destination_workload: NAMES.workerDeployment,
    destination_workload_namespace: namespace,
    destination_service: serviceFqdn(NAMES.workerService, namespace),
    destination_service_name: NAMES.workerService,
    destination_service_namespace: namespace,
    request_protocol: "http",
  };
  return {
    registry,
    record(side: Side, code: number, flags: string, startNs: bigint): void {
      const labels = { ...base, destination_cluster: ISTIO_CLUSTERS[side], response_code: String(code), response_flags: flags };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - startNs) / 1e6);
    },
    showWeights(w: Weights): void {
      for (const side of SIDES) weight.set({ destination_cluster: ISTIO_CLUSTERS[side] }, w[side]);
    },
  };
}
type MeshMetrics = ReturnType<typeof meshMetrics>;

interface Pool {
  side: Side;
  targets: URL[];
  next: number;
  agent: http.Agent;
  /** smooth weighted round-robin state */
  current: number;
}

/** The two pools and the weights between them: smooth weighted round-robin (as nginx), deterministic, interleaved, exact over any 100 picks. */
class Pools {
  private readonly pools: Pool[];
  constructor(
    upstreams: Record<Side, string[]>,
    maxSockets: number,
    private weights: Weights,
  ) {
    this.pools = SIDES.map((side) => ({
      side,
      targets: upstreams[side].map((u) => new URL(u)),
      next: 0,
      current: 0,
      agent: new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: 64, scheduling: "lifo" }),
    }));
  }

  getWeights(): Weights {
    return { ...this.weights };
  }

  setWeights(w: Weights): void {
    if (!isValidWeights(w)) throw new Error(`weights must be ${WEIGHTS_BODY}`);
    this.weights = { primary: w.primary, burst: w.burst };
    for (const p of this.pools) p.current = 0;
  }

  pick(): Pool {
    let best = this.pools[0];
    for (const p of this.pools) {
      p.current += this.weights[p.side];
      if (p.current > best.current) best = p;
    }
    best.current -= 100;
    return best;
  }

  setUpstreams(side: Side, urls: string[]): void {
    const pool = this.pools.find((p) => p.side === side)!;
    pool.targets = urls.map((u) => new URL(u));
    pool.next = 0;
  }

  upstreams(): Record<Side, string[]> {
    return Object.fromEntries(this.pools.map((p) => [p.side, p.targets.map((t) => t.origin)])) as Record<Side, string[]>;
  }

  destroy(): void {
    for (const p of this.pools) p.agent.destroy();
  }
}

interface ForwardContext {
  pools: Pools;
  metrics: MeshMetrics;
  upstreamTimeoutMs: number;
  log?: Logger;
}

/** Forwards one request to a process of the picked pool, answering as Envoy would when it cannot. */
function forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): void {
  const start = process.hrtime.bigint();
  const pool = ctx.pools.pick();
  let done = false;
  const finish = (code: number, flags: string) => {
    if (done) return;
    done = true;
    ctx.metrics.record(pool.side, code, flags, start);
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
    return fail(503, "UH", `no healthy upstream in pool ${pool.side}`);
  }
  const target = pool.targets[pool.next++ % pool.targets.length];
  const upReq = http.request({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: forwardHeaders(req.headers), agent: pool.agent });
  upReq.setTimeout(ctx.upstreamTimeoutMs, () => upReq.destroy(Object.assign(new Error("upstream timeout"), { code: "UT" })));
  upReq.on("error", (err: NodeJS.ErrnoException) => {
    if (done) return;
    if (err.code === "UT") return fail(504, "UT", "upstream request timeout");
    if (res.destroyed) return finish(0, "DC");
    const connect = ["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "ETIMEDOUT"].includes(err.code ?? "");
    ctx.log?.warn({ pool: pool.side, upstream: target.origin, err: err.message }, "upstream request failed");
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

const UPSTREAMS_BODY = 'a JSON object {"upstreams": ["http://host:port", ...]}';

/** The origin of an `http://host:port` URL (the port given), or undefined when the text is not one. */
function httpOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" && url.port ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The base URLs of a PUT /upstreams/<pool> body, or undefined when it is not one. */
function upstreamsOf(body: unknown): string[] | undefined {
  const list = (body as { upstreams?: unknown } | null)?.upstreams;
  if (!Array.isArray(list) || list.length > 1000) return undefined;
  const origins = list.map((item) => (typeof item === "string" ? httpOrigin(item) : undefined));
  return origins.every((origin): origin is string => origin !== undefined) ? origins : undefined;
}

type MeshAdmin = Pick<Mesh, "getWeights" | "setWeights" | "setUpstreams" | "registry">;

/** GET/PUT /upstreams/<pool>: the pool's processes. */
async function upstreamsEndpoint(req: IncomingMessage, res: ServerResponse, side: Side, mesh: MeshAdmin, pools: Pools): Promise<void> {
  if (!SIDES.includes(side)) return sendJson(res, 404, { error: `no pool ${side}: use ${SIDES.join(" or ")}` });
  if (req.method !== "PUT") return readOnly(req, res, { upstreams: pools.upstreams()[side] });
  const urls = await readJsonBody(req, res, { limit: 64 * 1024, requirement: UPSTREAMS_BODY, parse: upstreamsOf });
  if (!urls) return;
  mesh.setUpstreams(side, urls);
  sendJson(res, 200, { upstreams: pools.upstreams()[side] });
}

/** GET/PUT /weights. */
async function weightsEndpoint(req: IncomingMessage, res: ServerResponse, mesh: MeshAdmin): Promise<void> {
  if (req.method !== "PUT") return readOnly(req, res, mesh.getWeights());
  const weights = await readJsonBody(req, res, { limit: 4096, requirement: WEIGHTS_BODY, parse: (body) => (isValidWeights(body) ? body : undefined) });
  if (!weights) return;
  mesh.setWeights(weights);
  sendJson(res, 200, mesh.getWeights());
}

/** The GET (or HEAD) side of an endpoint that also takes PUT; 405 for other methods. */
function readOnly(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  if (req.method === "GET" || req.method === "HEAD") sendJson(res, 200, body);
  else sendJson(res, 405, { error: "use GET or PUT" }, { allow: "GET, PUT" });
}

/** GET/PUT /weights, GET/PUT /upstreams/<pool>, GET /metrics, /_healthz and / (weights and upstreams). */
async function admin(req: IncomingMessage, res: ServerResponse, mesh: MeshAdmin, pools: Pools): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const upstreamsPath = /^\/upstreams\/([a-z]+)$/.exec(path);
  if (upstreamsPath) return upstreamsEndpoint(req, res, upstreamsPath[1] as Side, mesh, pools);
  if (path === "/weights") return weightsEndpoint(req, res, mesh);
  if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "use GET" }, { allow: "GET" });
  if (path === "/metrics") return sendMetrics(res, mesh.registry);
  if (path === "/_healthz") return sendJson(res, 200, { status: "ok" });
  if (path === "/") return sendJson(res, 200, { weights: mesh.getWeights(), upstreams: pools.upstreams() });
  sendJson(res, 404, { error: `no such admin endpoint: ${path}` });
}

export function createMesh(opts: MeshOptions): Mesh {
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 30_000;
  const { log } = opts;
  const initial = opts.weights ?? PRIMARY_ONLY;
  if (!isValidWeights(initial)) throw new Error(`initial weights must be ${WEIGHTS_BODY}`);
  const pools = new Pools(opts.upstreams, opts.maxSocketsPerUpstream ?? 256, initial);
  const metrics = meshMetrics(opts.namespace ?? DEFAULT_NAMESPACE);
  metrics.showWeights(initial);
  const mesh = {
    registry: metrics.registry,
    getWeights: () => pools.getWeights(),
    setWeights(w: Weights): void {
      const before = pools.getWeights();
      pools.setWeights(w);
      metrics.showWeights(w);
      if (!sameWeights(before, w)) log?.info({ from: before, to: pools.getWeights() }, "weights changed");
    },
    getUpstreams: () => pools.upstreams(),
    setUpstreams(side: Side, urls: string[]): void {
      const before = pools.upstreams()[side];
      pools.setUpstreams(side, urls);
      const after = pools.upstreams()[side];
      if (before.join(",") !== after.join(",")) log?.info({ pool: side, from: before, to: after }, "upstreams changed");
    },
  };
  const data = http.createServer((req, res) => forward(req, res, { pools, metrics, upstreamTimeoutMs, log }));
  applyServerTimeouts(data, { requestTimeoutMs: upstreamTimeoutMs + 5_000 });
  const adminServer = http.createServer((req, res) => {
    admin(req, res, mesh, pools).catch((err: unknown) => {
      log?.error({ err }, "admin request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  applyServerTimeouts(adminServer);
  return {
    ...mesh,
    data,
    admin: adminServer,
    async listen({ host = "127.0.0.1", dataPort = 0, adminPort = 0 }) {
      const dataListening = await listen(data, dataPort, host);
      const adminListening = await listen(adminServer, adminPort, host);
      const urlHost = host.includes(":") ? `[${host}]` : host;
      return { dataPort: dataListening, adminPort: adminListening, dataUrl: `http://${urlHost}:${dataListening}`, adminUrl: `http://${urlHost}:${adminListening}` };
    },
    async close(drainMs = 5_000) {
      const draining = [data.listening && drainAndClose(data, { drainMs }), adminServer.listening && drainAndClose(adminServer, { drainMs: 1_000 })];
      await Promise.all(draining);
      pools.destroy();
    },
  };
}

/** Parses a comma-separated list of `http://host:port` or `host:port` (env of mesh-main). */
export function parseUpstreams(name: string, raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const origin = httpOrigin(/^https?:\/\//.test(part) ? part : `http://${part}`);
      if (origin === undefined) throw new ConfigError(name, "a comma-separated list of http://host:port or host:port", raw);
      return origin;
    });
}
