/**
 * What local mode runs, as data: the parts in stages (a stage starts once the one before is ready;
 * the parts of a stage start together), with their programs, ports, environment, readiness and stop
 * phase (lower phases stop first: frontend and watcher, then the mesh, then Prometheus and the
 * workers, then Redis). The burst pool is not here: its workers come and go on request (burst-pool.ts);
 * `burstWorkerSpec` is what each of them runs.
 */
import { join } from "node:path";
import {
  BURST_PREFIX,
  DEFAULT_NAMESPACE,
  formatWeights,
  watcherSettingsEnv,
  watcherWiringEnv,
  WATCHER_SETTINGS,
  WIRING_ENV,
  type Side,
} from "@istio-burst/contract";
import { LOCAL_SETTINGS, type LocalConfig } from "./config";
import { builtProgram, freePort, HOST, portFree, REPO_ROOT, redisArgs, requireProgram } from "@istio-burst/tooling";
import { prometheusArgs, type ScrapeJob } from "./prometheus-config";
import type { BurstMemberSpec } from "./burst-pool";
import type { ChildSpec } from "./supervisor";

export interface Ports {
  frontend: number;
  redis: number;
  meshData: number;
  meshAdmin: number;
  prometheus: number;
  watcher: number;
  /** the scale endpoint of the burst pool (served by local mode itself) */
  scaler: number;
  primary: number[];
}

export interface LocalUrls {
  frontend: string;
  /** The mesh's data port: worker-service as the frontend sees it (its PROCESSOR_URL). */
  mesh: string;
  /** The mesh's admin port: /weights, /metrics (the watcher's MESH_URL). */
  meshAdmin: string;
  prometheus: string;
  watcher: string;
  /** The burst pool's scale endpoint: GET/PUT /scale (the watcher's SCALER_URL), GET /pool. */
  scaler: string;
  redis: string;
  /** The fixed pool; the burst pool's members are in GET /pool and in the run's children. */
  workers: { primary: string[] };
}

/** Where a run keeps its files, inside its temp dir. */
export function runFiles(tempDir: string) {
  return {
    logs: join(tempDir, "logs"),
    redis: join(tempDir, "redis"),
    prometheusData: join(tempDir, "prometheus-data"),
    prometheusConfig: join(tempDir, "prometheus.yml"),
    /** Prometheus's file_sd targets of the burst pool, rewritten as it scales */
    burstTargets: join(tempDir, "burst-targets.json"),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;

/** The programs local mode runs; a setup error, before anything starts, when one is missing. */
export function findPrograms() {
  return {
    redis: requireProgram("redis-server", "redis-server"),
    prometheus: requireProgram("prometheus", "prometheus"),
    worker: builtProgram("apps/worker/dist/index.js"),
    frontend: builtProgram("apps/frontend/dist/index.js"),
    watcher: builtProgram("watcher/dist/index.js"),
    mesh: builtProgram("local/dist/mesh-main.js"),
  };
}
export type Programs = ReturnType<typeof findPrograms>;

/** Hands out internal ports: consecutive from `base` (each checked), or free ones; never `reserved`. */
function portAllocator(base: number, reserved: number): () => Promise<number> {
  let next = base;
  const taken = new Set([reserved]);
  return async () => {
    let p = base === 0 ? await freePort() : next++;
    while (base === 0 && taken.has(p)) p = await freePort();
    if (taken.has(p)) throw new Error(`port ${p} is both the frontend's port and an internal one (--base-port/LOCAL_BASE_PORT=${base}); choose ports apart`);
    if (base !== 0 && !(await portFree(p))) throw new Error(`port ${p} on ${HOST} is in use (internal ports start at --base-port/LOCAL_BASE_PORT=${base}); choose another base or 0 for free ports`);
    taken.add(p);
    return p;
  };
}

/** The frontend's port first, so that its clash is reported before anything starts; then the internal ones in a fixed order. */
export async function allocatePorts(config: LocalConfig): Promise<Ports> {
  const frontend = config.port === 0 ? await freePort() : config.port;
  if (config.port !== 0 && !(await portFree(frontend))) {
    throw new Error(`port ${frontend} on ${HOST} is in use (another local mode?): choose another with --port or LOCAL_PORT`);
  }
  const next = portAllocator(config.basePort, frontend);
  const take = async (n: number) => {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) ports.push(await next());
    return ports;
  };
  const [redis, meshData, meshAdmin, prometheus, watcher, scaler] = await take(6);
  return { frontend, redis, meshData, meshAdmin, prometheus, watcher, scaler, primary: await take(config.primaryWorkers) };
}

export function urlsOf(p: Ports): LocalUrls {
  const url = (port: number) => `http://${HOST}:${port}`;
  return {
    frontend: url(p.frontend),
    mesh: url(p.meshData),
    meshAdmin: url(p.meshAdmin),
    prometheus: url(p.prometheus),
    watcher: url(p.watcher),
    scaler: url(p.scaler),
    redis: `redis://${HOST}:${p.redis}`,
    workers: { primary: p.primary.map(url) },
  };
}

/** What Prometheus scrapes: every part that serves /metrics. */
export function scrapeJobs(urls: LocalUrls, burstTargets?: string): ScrapeJob[] {
  const hp = (u: string) => new URL(u).host;
  return [
    { name: "local-mesh", targets: [hp(urls.meshAdmin)] },
    { name: "worker-primary", targets: urls.workers.primary.map(hp), labels: { pool: "primary" } },
    { name: "worker-burst", targets: [], labels: { pool: "burst" }, files: burstTargets ? [burstTargets] : undefined },
    { name: "frontend", targets: [hp(urls.frontend)] },
    { name: "watcher", targets: [hp(urls.watcher)] },
    { name: "prometheus", targets: [hp(urls.prometheus)] },
  ];
}

/**
 * Prometheus is ready once it has scraped the mesh: its discovery hands new targets to the scrapers
 * only every few seconds after start, and until then the watcher's queries have no data.
 */
export async function prometheusScrapesMesh(prometheusUrl: string): Promise<boolean> {
  const query = encodeURIComponent('up{job="local-mesh"} == 1');
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${query}`, { signal: AbortSignal.timeout(2_000) });
  if (res.status !== 200) return false;
  const body = (await res.json()) as { data?: { result?: unknown[] } };
  return (body.data?.result?.length ?? 0) > 0;
}

/** Set by local mode for its parts; never inherited from the caller's environment. */
const MANAGED_ENV = [
  ...["PORT", "REDIS_URL", "PREFIX", "PROCESSOR_URL", "BURST_PREFIX", "WATCHER_URL"],
  ...["ADMIN_PORT", "HOST", "PRIMARY_UPSTREAMS", "BURST_UPSTREAMS", "WEIGHTS"],
  ...Object.values(WIRING_ENV),
  ...WATCHER_SETTINGS.map((s) => s.env),
  ...LOCAL_SETTINGS.map((s) => s.env),
];

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of MANAGED_ENV) delete env[k];
  return { ...env, ...extra };
}

export interface Topology {
  config: LocalConfig;
  ports: Ports;
  urls: LocalUrls;
  files: RunFiles;
  programs: Programs;
}

/** A Node program of this repository; ready when `<base>/_healthz` answers 200. */
function nodeSpec(name: string, program: string, env: Record<string, string>, base: string, stopPhase: number, url = base): ChildSpec {
  return { name, command: process.execPath, args: [program], env: childEnv(env), cwd: REPO_ROOT, url, ready: { http: `${base}/_healthz` }, stopPhase };
}

function workerEnv(config: LocalConfig, ports: Ports, pool: Side, port: number): Record<string, string> {
  return { PORT: String(port), REDIS_URL: `${HOST}:${ports.redis}`, PREFIX: pool === "burst" ? BURST_PREFIX : "", HASH_ROUNDS: String(config.hashRounds) };
}

/**
 * A member of the burst pool: the worker program with `PREFIX=bursty-` on `port`, stopped with the
 * workers, and the pool's start stagger (--burst-start-stagger-ms). `extraEnv` is laid over its
 * environment (a fault to show: a worker that cannot start).
 */
export function burstWorkerSpec({ config, ports, programs }: Pick<Topology, "config" | "ports" | "programs">, name: string, port: number, extraEnv: Record<string, string> = {}): BurstMemberSpec {
  const url = `http://${HOST}:${port}`;
  return { ...nodeSpec(name, programs.worker, { ...workerEnv(config, ports, "burst", port), ...extraEnv }, url, 2), startStaggerMs: config.burstStartStaggerMs ?? 0 };
}

/** The parts, stage by stage: Redis, the primary worker pool, the mesh, Prometheus, the watcher, the frontend. */
export function stages({ config, ports, urls, files, programs }: Topology): ChildSpec[][] {
  const redisHostPort = `${HOST}:${ports.redis}`;
  const node = nodeSpec;
  const worker = (url: string, i: number) => node(`worker-primary-${i + 1}`, programs.worker, workerEnv(config, ports, "primary", Number(new URL(url).port)), url, 2);
  // the burst pool starts empty here; local mode tells the mesh its members as they become ready
  const upstreams = { PRIMARY_UPSTREAMS: urls.workers.primary.join(","), BURST_UPSTREAMS: "" };
  const meshEnv = { PORT: String(ports.meshData), ADMIN_PORT: String(ports.meshAdmin), HOST, ...upstreams, WEIGHTS: formatWeights(config.naturalWeights), NAMESPACE: DEFAULT_NAMESPACE };
  const watcherEnv = {
    ...Object.fromEntries(
      watcherWiringEnv({
        port: String(ports.watcher),
        prometheusUrl: urls.prometheus,
        router: "local",
        meshUrl: urls.meshAdmin,
        scaler: "local",
        scalerUrl: urls.scaler,
        namespace: DEFAULT_NAMESPACE,
      }),
    ),
    ...watcherSettingsEnv(config),
  };
  // the frontend reads the watcher's /status directly (in the cluster: through the watcher's Service)
  const frontendEnv = { PORT: String(ports.frontend), PROCESSOR_URL: urls.mesh, REDIS_URL: redisHostPort, BURST_PREFIX, WATCHER_URL: urls.watcher };
  const prometheusArgv = prometheusArgs({ configFile: files.prometheusConfig, dataDir: files.prometheusData, listenAddress: `${HOST}:${ports.prometheus}` });
  return [
    [{ name: "redis", command: programs.redis, args: redisArgs(ports.redis, files.redis), env: childEnv({}), url: urls.redis, ready: { redis: { host: HOST, port: ports.redis } }, stopPhase: 3 }],
    urls.workers.primary.map(worker),
    [node("mesh", programs.mesh, meshEnv, urls.meshAdmin, 1, `${urls.mesh} (admin ${urls.meshAdmin})`)],
    [{ name: "prometheus", command: programs.prometheus, args: prometheusArgv, env: childEnv({}), url: urls.prometheus, ready: { check: () => prometheusScrapesMesh(urls.prometheus) }, stopPhase: 2 }],
    // (the burst pool's minimum starts between Prometheus and the watcher: see run.ts)
    [node("watcher", programs.watcher, watcherEnv, urls.watcher, 0, `${urls.watcher}/status`)],
    [node("frontend", programs.frontend, frontendEnv, urls.frontend, 0)],
  ];
}
