/**
 * startLocal: the whole burst system as processes on 127.0.0.1, stage by stage as topology.ts lists
 * them, each stage once the one before is ready. Stopping goes the other way round. A child that
 * dies on its own stops the whole run (no half-alive demo) and is reported with its last log lines.
 * A part stopped on purpose (stopPart, to show a fault) is not a death; startPart brings it back.
 * The burst worker pool is the exception: it is scaled on demand through local mode's scale endpoint
 * (burst-pool.ts), starts with the watcher's burstMinReplicas, and a member that dies is a fault the
 * watcher handles, not the end of the run.
 */
import type { Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { listen } from "@istio-burst/common";
import { burstThresholdOf, formatDuration, type WatcherStatus, type WeightChange } from "@istio-burst/contract";
import { resolveConfig, type LocalConfig } from "./config";
import { BurstPool, scaleServer, type PoolMember, type ScaleState } from "./burst-pool";
import { HOST, makeOwnedTempDir, makeTempDir, removeAbandonedTempDirs, type TempDir } from "@istio-burst/tooling";
import { renderPrometheusConfig } from "./prometheus-config";
import { formatDeath, Supervisor, type Child, type ChildSpec, type DeathReport } from "./supervisor";
import { allocatePorts, burstWorkerSpec, findPrograms, runFiles, scrapeJobs, stages, urlsOf, type LocalUrls, type RunFiles } from "./topology";
import { followWeightChanges, formatWeightChange, readStatus } from "./weight-changes";

export type { LocalUrls } from "./topology";

/** How a run is driven, besides its settings. */
export interface RunOptions {
  /** Where the table and the weight changes go (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Where problems go (default process.stderr). */
  err?: NodeJS.WritableStream;
  /** Called for every weight change the watcher makes. */
  onWeightChange?: (change: WeightChange) => void;
  /** Aborting it during start-up stops what was started and rejects; afterwards it stops the run. */
  signal?: AbortSignal;
  /** Readiness timeout per part (default 30 s). */
  readyTimeoutMs?: number;
  /** SIGTERM-to-SIGKILL grace per child (default 10 s). */
  graceMs?: number;
  /** Laid over each burst worker's environment: e.g. `{ HASH_ROUNDS: "x" }` makes every start fail (a fault to show). */
  burstWorkerEnv?: Record<string, string>;
  /** Back-off before a dead or failed burst worker is replaced (default 10 s, doubling). */
  burstRestartDelayMs?: number;
}

/** startLocal's options: settings given in code (checked as the flags are) and how the run is driven. */
export interface StartLocalOptions extends Partial<LocalConfig>, RunOptions {}

/** The burst pool of a run, for scripts and fault tests (the watcher uses the HTTP endpoint). */
export interface BurstPoolControl {
  /** What GET /scale answers. */
  state(): ScaleState;
  /** The members and their states (starting, ready, unready, stopping). */
  members(): PoolMember[];
  /** What PUT /scale does; throws RangeError outside 0..burstMaxReplicas. */
  scale(replicas: number): ScaleState;
  /** Makes the scale endpoint answer every request with this HTTP status (a fault to show); null ends it. */
  setFault(status: number | null): void;
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
  readonly urls: LocalUrls;
  /** Every part, in start order, with its current pid (a part restarted by startPart has a new one). */
  readonly children: PartInfo[];
  /** Temp dir of this run (removed on stop unless keepTemp); logs are in `<tempDir>/logs`. */
  readonly tempDir: string;
  readonly logDir: string;
  readonly config: LocalConfig;
  /** The watcher's weight changes so far, oldest first (from its /status). */
  readonly weightChanges: WeightChange[];
  /** The burst worker pool (its scale endpoint is urls.scaler). */
  readonly burstPool: BurstPoolControl;
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
  readonly done: Promise<LocalExit>;
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

const clock = () => new Date().toTimeString().slice(0, 8);
const partInfo = (c: Child): PartInfo => ({ name: c.name, pid: c.pid, url: c.url, logPath: c.logPath });

class Run implements LocalRun {
  readonly weightChanges: WeightChange[] = [];
  readonly done: Promise<LocalExit>;
  readonly supervisor: Supervisor;
  death?: DeathReport;
  pool?: BurstPool;
  scaler?: Server;
  private finish!: (exit: LocalExit) => void;
  private stopping?: Promise<void>;
  private feed?: { stop(): void };
  /** last resort when the process exits without stop() (the supervisor SIGKILLs the children) */
  private readonly onExit = () => {
    try {
      this.removeTemp();
    } catch {
      // nothing more to do while exiting
    }
  };

  constructor(
    readonly config: LocalConfig,
    readonly urls: LocalUrls,
    private readonly temp: TempDir,
    readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
    graceMs?: number,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.supervisor = new Supervisor({ logDir: this.logDir, graceMs, onDeath: (report) => this.onDeath(report) });
    process.on("exit", this.onExit);
  }

  get tempDir(): string {
    return this.temp.dir;
  }

  get logDir(): string {
    return runFiles(this.temp.dir).logs;
  }

  get burstPool(): BurstPoolControl {
    const pool = this.pool;
    if (!pool) throw new Error("the burst pool has not started yet");
    return {
      state: () => pool.state(),
      members: () => pool.list(),
      scale: (n) => pool.scale(n, "local mode's API"),
      setFault: (status) => {
        pool.fault = status;
        this.out.write(`${clock()}  local: scale endpoint ${status === null ? "answers again" : `answers every request with HTTP ${status} (fault injected)`}\n`);
      },
    };
  }

  /** Starts the burst pool (its minimum, ready) and its scale endpoint, before the watcher starts. */
  async startBurstPool(topology: Parameters<typeof burstWorkerSpec>[0], scalerPort: number, targetsFile: string, options: RunOptions): Promise<void> {
    const { config } = this;
    this.pool = new BurstPool({
      supervisor: this.supervisor,
      spec: (name, port) => ({ ...burstWorkerSpec(topology, name, port, options.burstWorkerEnv), readyTimeoutMs: options.readyTimeoutMs }),
      meshAdmin: this.urls.meshAdmin,
      max: config.burstMaxReplicas,
      targetsFile,
      restartDelayMs: options.burstRestartDelayMs,
      pricing: config,
      log: (line) => this.out.write(`${clock()}  ${line}\n`),
    });
    this.scaler = scaleServer(this.pool);
    await listen(this.scaler, scalerPort, HOST);
    await this.pool.start(config.burstMinReplicas);
  }

  get children(): PartInfo[] {
    return this.supervisor.children().map(partInfo);
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.feed?.stop();
      this.pool?.close();
      this.scaler?.close();
      this.scaler?.closeAllConnections();
      await this.supervisor.stopAll();
      this.removeTemp();
      process.off("exit", this.onExit);
      this.finish(this.death ? { code: 1, death: this.death } : { code: 0 });
    })();
    return this.stopping;
  }

  private removeTemp(): void {
    if (!this.config.keepTemp) this.temp.remove();
  }

  private onDeath(report: DeathReport): void {
    if (this.death || this.stopping) return;
    this.death = report;
    const kept = this.config.keepTemp ? "" : " (removed now; --keep-temp keeps it)";
    this.err.write(`\nlocal: ${formatDeath(report)}\nlocal: full log: ${report.logPath}${kept}\nlocal: stopping everything\n`);
    void this.stop();
  }

  /** Prints and records each weight change from now on (and those the watcher made before). */
  follow(onWeightChange?: (change: WeightChange) => void): void {
    this.feed = followWeightChanges(this.urls.watcher, (change) => {
      this.weightChanges.push(change);
      this.out.write(`${formatWeightChange(change)}\n`);
      onWeightChange?.(change);
    });
  }

  async stopPart(name: string, opts: { signal?: NodeJS.Signals } = {}): Promise<void> {
    if (this.stopping) throw new Error(`not stopping ${name}: local mode is stopping`);
    const c = await this.supervisor.stopChild(name, opts);
    this.out.write(`${clock()}  local: stopped ${name} (pid ${c.pid}) on purpose with ${opts.signal ?? "SIGKILL"}; the rest keeps running\n`);
  }

  async startPart(name: string): Promise<PartInfo> {
    if (this.stopping) throw new Error(`not starting ${name}: local mode is stopping`);
    const c = await this.supervisor.restartChild(name);
    this.out.write(`${clock()}  local: started ${name} again (pid ${c.pid})\n`);
    return partInfo(c);
  }
}

/** A temp dir with the run's sub-folders and its prometheus.yml. */
function prepareFiles(config: LocalConfig, urls: LocalUrls): { temp: TempDir; files: RunFiles } {
  const temp = config.keepTemp ? makeTempDir("local") : makeOwnedTempDir("local");
  const files = runFiles(temp.dir);
  for (const dir of [files.logs, files.redis, files.prometheusData]) mkdirSync(dir);
  writeFileSync(files.prometheusConfig, renderPrometheusConfig({ scrapeIntervalMs: config.scrapeInterval, jobs: scrapeJobs(urls, files.burstTargets) }));
  return { temp, files };
}

async function startStage(supervisor: Supervisor, stage: ChildSpec[]): Promise<void> {
  const results = await Promise.allSettled(stage.map((spec) => supervisor.start(spec)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

function table(rows: PartInfo[]): string {
  const w0 = Math.max(4, ...rows.map((r) => r.name.length));
  const w1 = Math.max(3, ...rows.map((r) => String(r.pid).length));
  const line = (a: string, b: string, c: string) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`;
  return [line("name", "pid", "url"), ...rows.map((r) => line(r.name, String(r.pid), r.url ?? ""))].join("\n");
}

function poolLine(run: Run): string {
  const { config: c } = run;
  const s = run.pool?.state() ?? { desired: 0, ready: 0 };
  return `${s.ready} of ${s.desired} ready (min ${c.burstMinReplicas}, max ${c.burstMaxReplicas}; scaled by the watcher)`;
}

/** How the watcher warms the pool, in words. */
function prewarmLine(run: Run): string {
  const { config: c } = run;
  if (c.prewarm === "off") return "started when traffic is due to move";
  if (c.prewarm === "level") return `warmed above ${c.prewarmRps} req/s`;
  return `warmed when the rate is on course to cross ${burstThresholdOf(c).rps} req/s within ${formatDuration(c.scaleUpTime)}, unused replicas back after ${formatDuration(c.prewarmTimeout)}`;
}

function banner(run: Run, status: WatcherStatus | undefined): string {
  const { config: c, urls } = run;
  const rows = [...run.children, { name: "burst-pool", pid: process.pid, url: `${urls.scaler}/scale  ${poolLine(run)}`, logPath: "" }];
  const fromStatus = (text: string | null | undefined) => (status ? (text ?? "off (--burst-health-query off)") : `see ${urls.watcher}/status`);
  return [
    "",
    "istio-burst local mode is up:",
    table(rows),
    "",
    `  watcher: ${c.mode} mode, to burst above ${c.highRps} req/s, back below ${c.lowRps} req/s`,
    `  burst:   pool ${poolLine(run)}; ${prewarmLine(run)}, back to ${c.burstMinReplicas} ${Math.round(c.scaleDownCooldown / 1000)} s after the last need`,
    `  cost:    ${c.burstReplicaHourlyCost} ${c.currency} a burst replica-hour (approximate; --burst-replica-hourly-cost); each pool line says what it has cost so far`,
    `  query:   ${fromStatus(status?.query)}`,
    `  health:  ${fromStatus(status?.healthQuery)}`,
    `  logs:    ${run.logDir}/<name>.log${c.keepTemp ? "" : " (removed on exit; --keep-temp keeps them)"}`,
    "",
    `Open ${urls.frontend} and set the frequency above ${c.highRps}. Ctrl-C stops everything.`,
    "Weight changes (from the watcher's /status) and burst pool changes:",
    "",
  ].join("\n");
}

/** Stops what was started and says why the start failed. */
async function startFailed(run: Run, cause: unknown, signal?: AbortSignal): Promise<StartLocalError> {
  await run.stop();
  const stopped = run.supervisor.children().map((c) => ({ name: c.name, pid: c.pid }));
  if (run.death) return new StartLocalError(`a part stopped during start-up: ${formatDeath(run.death)}`, stopped);
  if (signal?.aborted) return new StartLocalError("start-up aborted", stopped);
  return new StartLocalError(cause instanceof Error ? cause.message : String(cause), stopped);
}

/**
 * Starts local mode with settings given in code, checked as the flags are (resolveConfig), and
 * resolves once every part is ready (after printing the table). Rejects, after stopping whatever it
 * started, when a setting is bad or a part cannot start.
 */
export async function startLocal(options: StartLocalOptions = {}): Promise<LocalRun> {
  return startLocalWith(resolveConfig(options), options);
}

/**
 * Starts local mode with settings parsed already (the CLI's parseLocalConfig): the config is used as
 * it is, not turned back into text and parsed again. Otherwise as startLocal.
 */
export async function startLocalWith(config: LocalConfig, options: RunOptions = {}): Promise<LocalRun> {
  const programs = findPrograms();
  removeAbandonedTempDirs("local");
  const ports = await allocatePorts(config);
  const urls = urlsOf(ports);
  const { temp, files } = prepareFiles(config, urls);
  const run = new Run(config, urls, temp, options.out ?? process.stdout, options.err ?? process.stderr, options.graceMs);
  options.signal?.addEventListener("abort", () => void run.stop(), { once: true });
  if (options.signal?.aborted) void run.stop();
  try {
    for (const stage of stages({ config, ports, urls, files, programs })) {
      if (stage.some((spec) => spec.name === "watcher")) await run.startBurstPool({ config, ports, programs }, ports.scaler, files.burstTargets, options);
      await startStage(run.supervisor, stage.map((spec) => ({ ...spec, readyTimeoutMs: options.readyTimeoutMs })));
    }
    if (run.isStopping) throw new Error("stopped during start-up");
    run.out.write(banner(run, await readStatus(urls.watcher, 5_000)));
    run.follow(options.onWeightChange);
  } catch (e) {
    throw await startFailed(run, e, options.signal);
  }
  return run;
}
