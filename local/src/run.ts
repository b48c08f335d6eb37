/**
 * startLocal: the whole burst system as processes on 127.0.0.1.
 *
 * redis-server -> worker pools (primary, burst) -> local mesh -> Prometheus -> watcher -> frontend,
 * each started once the previous ones are ready. Stopping goes the other way round. A child that
 * dies on its own stops the whole run (no half-alive demo) and is reported with its last log lines.
 * A part stopped on purpose (stopPart, to show a fault) is not a death; startPart brings it back.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { checkConfig, DEFAULTS, defaultQuery, type LocalConfig } from "./config";
import { prometheusArgs, renderPrometheusConfig } from "./prometheus-config";
import { formatDeath, Supervisor, type Child, type DeathReport } from "./supervisor";

export const HOST = "127.0.0.1";
export const BURST_PREFIX = "bursty-";

/** The repository root (this file is local/src/run.ts or local/dist/run.js, or compiled into the benchmarks). */
export const REPO_ROOT = findRepoRoot(__dirname);

/** The nearest folder above `from` that holds the npm workspaces (the compiled file may sit deeper, e.g. in the benchmarks' build). */
function findRepoRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package-lock.json")) && existsSync(join(dir, "apps", "worker", "package.json"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "..", "..");
  }
}

export interface WeightChange {
  /** ISO time of the watcher's log line (or of reading it). */
  time: string;
  primary: number;
  burst: number;
  /** The watcher's action, e.g. `to-burst`, when it logged one. */
  action?: string;
  /** Why, in the watcher's words. */
  reason: string;
  /** The weights before, when the watcher logged them. */
  from?: { primary: number; burst: number };
}

export interface StartLocalOptions extends Partial<LocalConfig> {
  /** Where the table and the weight changes go (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Where problems go (default process.stderr). */
  err?: NodeJS.WritableStream;
  /** Called for every weight change the watcher logs. */
  onWeightChange?: (change: WeightChange) => void;
  /** Aborting it during start-up stops what was started and rejects; afterwards it stops the run. */
  signal?: AbortSignal;
  /** Extra environment for the watcher (e.g. CONFIRM_SAMPLES), applied last. */
  watcherEnv?: Record<string, string>;
  /** Extra environment for the frontend, applied last. */
  frontendEnv?: Record<string, string>;
  /** Readiness timeout per part (default 30 s). */
  readyTimeoutMs?: number;
  /** SIGTERM-to-SIGKILL grace per child (default 10 s). */
  graceMs?: number;
}

export interface LocalUrls {
  frontend: string;
  /** The mesh's data port: worker-service as the frontend sees it (its PROCESSOR_URL). */
  mesh: string;
  /** The mesh's admin port: /weights, /metrics (the watcher's MESH_URL). */
  meshAdmin: string;
  prometheus: string;
  watcher: string;
  redis: string;
  workers: { primary: string[]; burst: string[] };
}

export interface LocalExit {
  /** 0 after stop(), 1 when a child died. */
  code: number;
  /** Set when a child died. */
  death?: DeathReport;
}

export interface PartInfo {
  name: string;
  pid: number;
  url?: string;
  logPath: string;
}

export interface LocalRun {
  urls: LocalUrls;
  /** Every part, in start order, with its current pid (a part restarted by startPart has a new one). */
  readonly children: PartInfo[];
  /** Temp dir of this run (removed on stop unless keepTemp); logs are in `<tempDir>/logs`. */
  tempDir: string;
  logDir: string;
  config: LocalConfig;
  /** Weight changes seen so far. */
  weightChanges: WeightChange[];
  /** Stops every child and removes the temp dir; resolves when done. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops one part on purpose (a fault to watch), without stopping the run: SIGKILL by default,
   * as a crash; `{ signal: "SIGTERM" }` for a clean stop. Resolves once it has exited. Rejects for an
   * unknown or stopped part, or when the run is stopping.
   */
  stopPart(name: string, opts?: { signal?: NodeJS.Signals }): Promise<void>;
  /**
   * Starts a part stopped by stopPart again: same program, ports, environment and log file; resolves
   * with its new pid once it is ready. From then on its death stops the run again, as for any part.
   */
  startPart(name: string): Promise<PartInfo>;
  /** Resolves when the run is over, by stop() or by a child's death (after everything stopped). */
  done: Promise<LocalExit>;
}

const WEIGHT_ACTIONS = new Set(["to-burst", "to-natural", "step-up", "step-down", "health-fallback"]);

/** `{primary, burst}` or the watcher's `"primary,burst"` text. */
function asWeights(v: unknown): { primary: number; burst: number } | undefined {
  if (typeof v === "string") {
    const m = /^\s*(\d{1,3})\s*,\s*(\d{1,3})\s*$/.exec(v);
    return m ? { primary: Number(m[1]), burst: Number(m[2]) } : undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.primary === "number" && typeof o.burst === "number" ? { primary: o.primary, burst: o.burst } : undefined;
}

/**
 * Recognises the watcher's log line for a weight change: a JSON object with a `reason`, the new
 * weights under `to` (`"primary,burst"` as the watcher logs them, or an object; also `weights`),
 * and a weight-moving `action` (or `changed: true`). Dry-run lines and failed attempts are not changes.
 */
export function parseWeightChange(line: string): WeightChange | undefined {
  if (!line.startsWith("{")) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null || typeof o.reason !== "string") return undefined;
  // dry runs and failed attempts (logged with `err`) change nothing
  if (o.dryRun === true || o.err !== undefined) return undefined;
  const w = asWeights(o.to) ?? asWeights(o.weights);
  if (!w) return undefined;
  const action = typeof o.action === "string" ? o.action : undefined;
  if (!(o.changed === true || (action !== undefined && WEIGHT_ACTIONS.has(action)))) return undefined;
  const time = typeof o.time === "string" ? o.time : typeof o.time === "number" ? new Date(o.time).toISOString() : new Date().toISOString();
  const from = asWeights(o.from);
  return { time, primary: w.primary, burst: w.burst, action, reason: o.reason, ...(from ? { from } : {}) };
}

export function formatWeightChange(c: WeightChange): string {
  const t = new Date(c.time);
  const hhmmss = Number.isNaN(t.getTime()) ? c.time : t.toTimeString().slice(0, 8);
  return `${hhmmss}  weights primary ${String(c.primary).padStart(3)} / burst ${String(c.burst).padStart(3)}  ${c.action ? `${c.action}: ` : ""}${c.reason}`;
}

/** startLocal could not start; every part it had started (listed) is stopped again. */
export class StartLocalError extends Error {
  override name = "StartLocalError";
  constructor(
    message: string,
    readonly stopped: { name: string; pid: number }[],
  ) {
    super(message);
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Hands out internal ports: consecutive from a base (each checked), or free ones. */
async function portAllocator(base: number, reserved: number[]): Promise<() => Promise<number>> {
  let next = base;
  const taken = new Set<number>(reserved);
  return async () => {
    if (base === 0) {
      for (;;) {
        const p = await freePort();
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
    }
    const p = next++;
    if (taken.has(p)) throw new Error(`port ${p} is both the frontend's port and an internal one (--base-port/LOCAL_BASE_PORT=${base}); choose ports apart`);
    taken.add(p);
    if (!(await portFree(p))) throw new Error(`port ${p} on ${HOST} is in use (internal ports start at --base-port/LOCAL_BASE_PORT=${base}); choose another base or 0 for free ports`);
    return p;
  };
}

function table(rows: { name: string; pid: number | string; url?: string }[]): string {
  const w0 = Math.max(4, ...rows.map((r) => r.name.length));
  const w1 = Math.max(3, ...rows.map((r) => String(r.pid).length));
  const line = (a: string, b: string, c: string) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`;
  return [line("name", "pid", "url"), ...rows.map((r) => line(r.name, String(r.pid), r.url ?? ""))].join("\n");
}

function program(rel: string): string {
  const p = join(REPO_ROOT, rel);
  if (!existsSync(p)) throw new Error(`${rel} does not exist: build first (npm run build, or use npm run local, which builds)`);
  return p;
}

/** Managed by local mode; never inherited from the caller's environment. */
const MANAGED_ENV = [
  "PORT", "REDIS_URL", "PREFIX", "HASH_ROUNDS", "PROCESSOR_URL", "BURST_PREFIX", "PROMETHEUS_URL", "QUERY", "RATE_WINDOW",
  "HIGH_RPS", "LOW_RPS", "MODE", "POLL_INTERVAL", "MIN_DWELL", "ROUTER", "MESH_URL", "NAMESPACE", "DRY_RUN", "ADMIN_PORT",
  "HOST", "PRIMARY_UPSTREAMS", "BURST_UPSTREAMS", "WEIGHTS", "LOCAL_PORT", "BURST_CLUSTER",
];

function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of MANAGED_ENV) delete env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** The health query the watcher runs (from its /status), for the table; "off" when it has none. */
async function watcherHealthQuery(watcherUrl: string): Promise<string> {
  try {
    const res = await fetch(`${watcherUrl}/status`, { signal: AbortSignal.timeout(5_000) });
    const status = (await res.json()) as { healthQuery?: unknown };
    return typeof status.healthQuery === "string" ? status.healthQuery : "off (BURST_HEALTH_QUERY=off)";
  } catch {
    return `see ${watcherUrl}/status`;
  }
}

/**
 * Starts local mode and resolves once every part is ready (after printing the table).
 * Rejects, after stopping whatever it started, when a part cannot start.
 */
export async function startLocal(options: StartLocalOptions = {}): Promise<LocalRun> {
  const config: LocalConfig = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS).concat(["pollInterval", "minDwell", "query"]) as (keyof LocalConfig)[]) {
    const v = options[k];
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  checkConfig(config);
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;

  const bin = {
    worker: program("apps/worker/dist/index.js"),
    frontend: program("apps/frontend/dist/index.js"),
    watcher: program("watcher/dist/index.js"),
    mesh: program("local/dist/mesh-main.js"),
  };

  // Ports first, so that the frontend's port clash is reported before anything starts.
  const frontendPort = config.port === 0 ? await freePort() : config.port;
  if (config.port !== 0 && !(await portFree(frontendPort))) {
    throw new Error(`port ${frontendPort} on ${HOST} is in use (another local mode?): choose another with --port or LOCAL_PORT`);
  }
  const nextPort = await portAllocator(config.basePort, [frontendPort]);
  const ports = {
    redis: await nextPort(),
    meshData: await nextPort(),
    meshAdmin: await nextPort(),
    prometheus: await nextPort(),
    watcher: await nextPort(),
    primary: [] as number[],
    burst: [] as number[],
  };
  for (let i = 0; i < config.primaryWorkers; i++) ports.primary.push(await nextPort());
  for (let i = 0; i < config.burstWorkers; i++) ports.burst.push(await nextPort());
  const url = (p: number) => `http://${HOST}:${p}`;
  const urls: LocalUrls = {
    frontend: url(frontendPort),
    mesh: url(ports.meshData),
    meshAdmin: url(ports.meshAdmin),
    prometheus: url(ports.prometheus),
    watcher: url(ports.watcher),
    redis: `redis://${HOST}:${ports.redis}`,
    workers: { primary: ports.primary.map(url), burst: ports.burst.map(url) },
  };

  const tempDir = mkdtempSync(join(tmpdir(), "istio-burst-local-"));
  const logDir = join(tempDir, "logs");
  mkdirSync(logDir);
  mkdirSync(join(tempDir, "redis"));
  mkdirSync(join(tempDir, "prometheus-data"));
  let tempRemoved = false;
  const removeTemp = () => {
    if (config.keepTemp || tempRemoved) return;
    tempRemoved = true;
    rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const weightChanges: WeightChange[] = [];
  let resolveDone!: (e: LocalExit) => void;
  const done = new Promise<LocalExit>((r) => (resolveDone = r));
  let started = false;
  let stopPromise: Promise<void> | undefined;
  let death: DeathReport | undefined;

  const supervisor = new Supervisor({
    logDir,
    graceMs: options.graceMs,
    onDeath: (report) => {
      if (death || stopPromise) return;
      death = report;
      err.write(`\nlocal: ${formatDeath(report)}\nlocal: full log: ${report.logPath}${config.keepTemp ? "" : " (removed now; --keep-temp keeps it)"}\nlocal: stopping everything\n`);
      void shutdown();
    },
  });
  const onExit = () => {
    // Last resort when the process exits without stop(): the supervisor SIGKILLs the children.
    try {
      removeTemp();
    } catch {
      // nothing more to do while exiting
    }
  };
  process.on("exit", onExit);

  const shutdown = (): Promise<void> => {
    stopPromise ??= (async () => {
      await supervisor.stopAll();
      removeTemp();
      process.off("exit", onExit);
      resolveDone(death ? { code: 1, death } : { code: 0 });
    })();
    return stopPromise;
  };
  const onAbort = () => void shutdown();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) void shutdown();

  const common = { cwd: REPO_ROOT, readyTimeoutMs };
  const children: Child[] = [];
  try {
    // 1. Redis
    children.push(
      await supervisor.start({
        ...common,
        name: "redis",
        command: "redis-server",
        args: ["--port", String(ports.redis), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", join(tempDir, "redis"), "--daemonize", "no"],
        env: childEnv({}),
        url: urls.redis,
        ready: { redis: { host: HOST, port: ports.redis } },
        stopPhase: 3,
      }),
    );
    const redisHostPort = `${HOST}:${ports.redis}`;

    // 2. Worker pools, all processes at once
    const workerSpecs = [
      ...ports.primary.map((p, i) => ({ name: `worker-primary-${i + 1}`, port: p, prefix: "" })),
      ...ports.burst.map((p, i) => ({ name: `worker-burst-${i + 1}`, port: p, prefix: BURST_PREFIX })),
    ];
    const workers = await Promise.allSettled(
      workerSpecs.map((w) =>
        supervisor.start({
          ...common,
          name: w.name,
          command: process.execPath,
          args: [bin.worker],
          env: childEnv({ PORT: String(w.port), REDIS_URL: redisHostPort, PREFIX: w.prefix, HASH_ROUNDS: String(config.hashRounds) }),
          url: url(w.port),
          ready: { http: `${url(w.port)}/_healthz` },
          stopPhase: 2,
        }),
      ),
    );
    for (const r of workers) if (r.status === "rejected") throw r.reason;
    for (const r of workers) if (r.status === "fulfilled") children.push(r.value);

    // 3. The mesh
    children.push(
      await supervisor.start({
        ...common,
        name: "mesh",
        command: process.execPath,
        args: [bin.mesh],
        env: childEnv({
          PORT: String(ports.meshData),
          ADMIN_PORT: String(ports.meshAdmin),
          HOST,
          PRIMARY_UPSTREAMS: urls.workers.primary.join(","),
          BURST_UPSTREAMS: urls.workers.burst.join(","),
          NAMESPACE: "default",
        }),
        url: `${urls.mesh} (admin ${urls.meshAdmin})`,
        ready: { http: `${urls.meshAdmin}/_healthz` },
        stopPhase: 1,
      }),
    );

    // 4. Prometheus
    const promConfig = join(tempDir, "prometheus.yml");
    const hp = (u: string) => new URL(u).host;
    writeFileSync(
      promConfig,
      renderPrometheusConfig({
        scrapeInterval: config.scrapeInterval,
        jobs: [
          { job: "local-mesh", targets: [hp(urls.meshAdmin)] },
          { job: "worker-primary", targets: urls.workers.primary.map(hp), labels: { pool: "primary" } },
          { job: "worker-burst", targets: urls.workers.burst.map(hp), labels: { pool: "burst" } },
          { job: "frontend", targets: [hp(urls.frontend)] },
          { job: "watcher", targets: [hp(urls.watcher)] },
          { job: "prometheus", targets: [hp(urls.prometheus)] },
        ],
      }),
    );
    children.push(
      await supervisor.start({
        ...common,
        name: "prometheus",
        command: "prometheus",
        args: prometheusArgs({ configFile: promConfig, dataDir: join(tempDir, "prometheus-data"), listenAddress: `${HOST}:${ports.prometheus}` }),
        env: childEnv({}),
        url: urls.prometheus,
        ready: { http: `${urls.prometheus}/-/ready` },
        stopPhase: 2,
      }),
    );

    // 5. The watcher, with the default query (RATE_WINDOW sets its range) unless QUERY is given, and
    // its default burst health guard over the same window (the mesh reports destination_cluster="burst")
    const query = config.query ?? defaultQuery(config.rateWindow);
    children.push(
      await supervisor.start({
        ...common,
        name: "watcher",
        command: process.execPath,
        args: [bin.watcher],
        env: childEnv({
          PORT: String(ports.watcher),
          PROMETHEUS_URL: urls.prometheus,
          ROUTER: "local",
          MESH_URL: urls.meshAdmin,
          NAMESPACE: "default",
          QUERY: config.query,
          RATE_WINDOW: config.rateWindow,
          HIGH_RPS: String(config.highRps),
          LOW_RPS: String(config.lowRps),
          MODE: config.mode,
          POLL_INTERVAL: config.pollInterval,
          MIN_DWELL: config.minDwell,
          ...options.watcherEnv,
        }),
        url: `${urls.watcher}/status`,
        ready: { http: `${urls.watcher}/_healthz` },
        stopPhase: 0,
        onLine: (line) => {
          const change = parseWeightChange(line);
          if (!change) return;
          weightChanges.push(change);
          if (started) out.write(`${formatWeightChange(change)}\n`);
          options.onWeightChange?.(change);
        },
      }),
    );

    const healthQuery = await watcherHealthQuery(urls.watcher);

    // 6. The frontend
    children.push(
      await supervisor.start({
        ...common,
        name: "frontend",
        command: process.execPath,
        args: [bin.frontend],
        env: childEnv({
          PORT: String(frontendPort),
          PROCESSOR_URL: urls.mesh,
          REDIS_URL: redisHostPort,
          BURST_PREFIX,
          ...options.frontendEnv,
        }),
        url: urls.frontend,
        ready: { http: `${urls.frontend}/_healthz` },
        stopPhase: 0,
      }),
    );

    started = true;
    const rows = [...children].map((c) => ({ name: c.name, pid: c.pid, url: c.url }));
    out.write(
      [
        "",
        "istio-burst local mode is up:",
        table(rows),
        "",
        `  watcher: ${config.mode} mode, to burst above ${config.highRps} req/s, back below ${config.lowRps} req/s`,
        `  query:   ${query}`,
        `  health:  ${healthQuery}`,
        `  logs:    ${logDir}/<name>.log${config.keepTemp ? "" : " (removed on exit; --keep-temp keeps them)"}`,
        "",
        `Open ${urls.frontend} and set the frequency above ${config.highRps}. Ctrl-C stops everything.`,
        "Weight changes (from the watcher's log):",
        ...weightChanges.map(formatWeightChange),
        "",
      ].join("\n"),
    );
  } catch (e) {
    await shutdown();
    options.signal?.removeEventListener("abort", onAbort);
    const started = supervisor.children().map((c) => ({ name: c.name, pid: c.pid }));
    if (death) throw new StartLocalError(`a part stopped during start-up: ${formatDeath(death)}`, started);
    if (options.signal?.aborted) throw new StartLocalError("start-up aborted", started);
    throw new StartLocalError(e instanceof Error ? e.message : String(e), started);
  }

  const info = (c: Child): PartInfo => ({ name: c.name, pid: c.pid, url: c.url, logPath: c.logPath });
  const clock = () => new Date().toTimeString().slice(0, 8);
  return {
    urls,
    get children() {
      return supervisor.children().map(info);
    },
    tempDir,
    logDir,
    config,
    weightChanges,
    stop: shutdown,
    done,
    async stopPart(name, opts = {}) {
      if (stopPromise) throw new Error(`not stopping ${name}: local mode is stopping`);
      const c = await supervisor.stopChild(name, opts);
      out.write(`${clock()}  local: stopped ${name} (pid ${c.pid}) on purpose with ${opts.signal ?? "SIGKILL"}; the rest keeps running\n`);
    },
    async startPart(name) {
      if (stopPromise) throw new Error(`not starting ${name}: local mode is stopping`);
      const c = await supervisor.restartChild(name);
      out.write(`${clock()}  local: started ${name} again (pid ${c.pid})\n`);
      return info(c);
    },
  };
}
