/**
 * Spawns and tracks the child processes of local mode.
 *
 * Each child runs in its own process group (so a Ctrl-C in the terminal reaches only local mode,
 * which then stops the children in order), with stdout and stderr appended to `<logDir>/<name>.log`
 * and the last lines kept in memory for the death report. Where util-linux `setpriv` is installed,
 * each child also gets a parent-death signal: the kernel SIGKILLs it the moment this process dies,
 * however it dies (even by SIGKILL, which leaves no chance to clean up). Readiness is an HTTP 200
 * (`/_healthz`, `/-/ready`) or a custom check. A child that exits while it is not being stopped is
 * reported once through `onDeath`. A child can also be stopped on purpose (`stopChild`, e.g. to
 * show a fault) and started again with the same spec (`restartChild`); that exit is not a death.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { httpOk, killedWithParent, redisPong, resolveCommand } from "@istio-burst/tooling";

export type Readiness = { http: string } | { redis: { host: string; port: number } } | { check: () => Promise<boolean> };

export interface ChildSpec {
  /** Unique name; also the log file name. */
  name: string;
  command: string;
  args?: string[];
  /** The complete environment of the child. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** What to show in the table of what runs where. */
  url?: string;
  ready: Readiness;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Shutdown phase: lower phases are stopped (and awaited) first; default 0. */
  stopPhase?: number;
  /**
   * Called, instead of the supervisor's onDeath, when this child exits (after it was ready) while not
   * being stopped: a member of a scaled pool, whose death is a fault to handle, not the end of the run.
   */
  onDeath?: (report: DeathReport) => void;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly url?: string;
  readonly logPath: string;
  readonly process: ChildProcess;
  readonly stopPhase: number;
  /** The last `n` lines the child wrote (stdout and stderr). */
  lastLines(n?: number): string[];
  /** True once the child has exited. */
  exited(): boolean;
}

export interface DeathReport {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  logPath: string;
  lastLines: string[];
}

export function formatDeath(r: DeathReport): string {
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  const lines = r.lastLines.length > 0 ? r.lastLines.map((l) => `  | ${l}`).join("\n") : "  | (no output)";
  return `${r.name} (pid ${r.pid}) ${how}; its last log lines:\n${lines}`;
}

export class ChildStartError extends Error {
  override name = "ChildStartError";
}

const KEEP_LINES = 200;

/** Keeps the last KEEP_LINES lines of a stream in `ring`. */
class LineTap {
  private partial = "";
  constructor(private readonly ring: string[]) {}
  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString("utf8");
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    for (const p of parts) this.line(p);
    if (this.partial.length > 64 * 1024) {
      this.line(this.partial);
      this.partial = "";
    }
  }
  flush(): void {
    if (this.partial) this.line(this.partial);
    this.partial = "";
  }
  private line(raw: string): void {
    this.ring.push(raw.replace(/\r$/, ""));
    if (this.ring.length > KEEP_LINES) this.ring.splice(0, this.ring.length - KEEP_LINES);
  }
}

export function isReady(r: Readiness): Promise<boolean> {
  if ("http" in r) return httpOk(r.http);
  if ("redis" in r) return redisPong(r.redis.host, r.redis.port);
  return r.check().catch(() => false);
}

/** True while a process with this pid exists (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface SupervisorOptions {
  logDir: string;
  /** SIGTERM, then SIGKILL after this long (default 10 s). */
  graceMs?: number;
  /** Called once per child that exits while not being stopped. */
  onDeath?: (report: DeathReport) => void;
}

type Entry = Child & { exitPromise: Promise<void>; spec: ChildSpec; onPurpose: boolean; report(): DeathReport };

/** Spawns `spec` in its own process group, its output appended to `logPath`; resolves once it runs. */
async function spawnChild(spec: ChildSpec, logPath: string): Promise<Entry> {
  const program = resolveCommand(spec.command, spec.env ?? process.env, spec.cwd);
  if (program === undefined) throw new ChildStartError(`could not start ${spec.name} (${spec.command}): not found or not executable`);
  const { file, args } = killedWithParent(program, spec.args ?? []);
  const log: WriteStream = createWriteStream(logPath, { flags: "a" });
  log.on("error", () => undefined);
  const proc = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    proc.once("spawn", () => resolve(undefined));
    proc.once("error", (err) => resolve(err));
  });
  if (spawnError || proc.pid === undefined) {
    log.end();
    throw new ChildStartError(`could not start ${spec.name} (${spec.command}): ${spawnError?.message ?? "no pid"}`);
  }
  const pid = proc.pid;
  const ring: string[] = [];
  const tap = (stream: Readable) => {
    const t = new LineTap(ring);
    stream.on("data", (chunk: Buffer) => {
      log.write(chunk);
      t.push(chunk);
    });
    stream.on("end", () => t.flush());
    return new Promise<void>((r) => stream.once("close", () => r()));
  };
  const streamsClosed = Promise.all([tap(proc.stdout!), tap(proc.stderr!)]);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      // Let the last output arrive (bounded: a stray grandchild could hold the pipe), and be written
      // to the log file before anyone reads it.
      void Promise.race([streamsClosed, new Promise((r) => setTimeout(r, 500))]).then(() => log.end(() => resolve()));
    });
  });
  return {
    name: spec.name,
    pid,
    url: spec.url,
    logPath,
    process: proc,
    stopPhase: spec.stopPhase ?? 0,
    exitPromise,
    spec,
    onPurpose: false,
    lastLines: (n = 20) => ring.slice(-n),
    exited: () => exitInfo !== undefined,
    report: () => ({ name: spec.name, pid, code: exitInfo?.code ?? null, signal: exitInfo?.signal ?? null, logPath, lastLines: ring.slice(-20) }),
  };
}

export class Supervisor {
  private readonly list: Entry[] = [];
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly graceMs: number;
  private readonly killOnExit = () => {
    for (const c of this.list) if (!c.exited()) signalGroup(c.pid, "SIGKILL");
  };

  constructor(private readonly opts: SupervisorOptions) {
    this.graceMs = opts.graceMs ?? 10_000;
    // If this process ends without stopping its children (an uncaught error), take them along.
    process.on("exit", this.killOnExit);
  }

  children(): Child[] {
    return [...this.list];
  }

  isStopping(): boolean {
    return this.stopping;
  }

  /** Spawns a child and resolves once it is ready; rejects if it exits first or is not ready in time. */
  async start(spec: ChildSpec): Promise<Child> {
    if (this.stopping) throw new ChildStartError(`not starting ${spec.name}: local mode is stopping`);
    if (this.list.some((c) => c.name === spec.name)) throw new Error(`child name ${spec.name} used twice`);
    const child = await spawnChild(spec, join(this.opts.logDir, `${spec.name}.log`));
    this.list.push(child);
    let ready = false;
    void child.exitPromise.then(() => {
      if (!this.stopping && ready && !child.onPurpose) (spec.onDeath ?? this.opts.onDeath)?.(child.report());
    });
    await this.waitReady(child);
    ready = true;
    return child;
  }

  private async waitReady(child: Entry): Promise<void> {
    const { spec } = child;
    const timeoutMs = spec.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const died = async () => {
      await child.exitPromise;
      return new ChildStartError(`${spec.name} stopped while starting: ${formatDeath(child.report())}`);
    };
    for (;;) {
      if (child.exited()) throw await died();
      if (this.stopping) throw new ChildStartError(`${spec.name}: start abandoned, local mode is stopping`);
      if (await isReady(spec.ready)) break;
      if (Date.now() > deadline) {
        const lines = child.lastLines().map((l) => `  | ${l}`).join("\n");
        throw new ChildStartError(`${spec.name} (pid ${child.pid}) was not ready within ${timeoutMs} ms; its last log lines:\n${lines || "  | (no output)"}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exited()) throw await died();
  }

  private entry(name: string): Entry {
    const e = this.list.find((c) => c.name === name);
    if (!e) throw new Error(`no part named ${JSON.stringify(name)} (parts: ${this.list.map((c) => c.name).join(", ")})`);
    return e;
  }

  /**
   * Stops one child on purpose: its exit is not reported as a death and the others keep running.
   * `signal` SIGKILL (the default) is a crash; SIGTERM lets it shut down (SIGKILL after the grace
   * period). Resolves once it has exited.
   */
  async stopChild(name: string, opts: { signal?: NodeJS.Signals } = {}): Promise<Child> {
    if (this.stopping) throw new Error(`not stopping ${name}: local mode is stopping`);
    const c = this.entry(name);
    if (c.exited()) throw new Error(`${name} (pid ${c.pid}) is not running`);
    c.onPurpose = true;
    const signal = opts.signal ?? "SIGKILL";
    signalGroup(c.pid, signal);
    const timer = signal === "SIGKILL" ? undefined : setTimeout(() => signalGroup(c.pid, "SIGKILL"), this.graceMs);
    await c.exitPromise;
    clearTimeout(timer);
    signalGroup(c.pid, "SIGKILL");
    return c;
  }

  /** Drops an exited child from the list (a scaled pool's member that is gone for good). */
  forget(name: string): void {
    const at = this.list.findIndex((c) => c.name === name && c.exited());
    if (at >= 0) this.list.splice(at, 1);
  }

  /**
   * Starts a child stopped with stopChild again, with the same command, environment, log file and
   * readiness check; resolves once it is ready (rejects like start()). It takes the old one's place.
   */
  async restartChild(name: string): Promise<Child> {
    if (this.stopping) throw new ChildStartError(`not starting ${name}: local mode is stopping`);
    const old = this.entry(name);
    if (!old.exited() || !old.onPurpose) throw new Error(`${name} (pid ${old.pid}) was not stopped with stopChild; stop it first`);
    const at = this.list.indexOf(old);
    this.list.splice(at, 1);
    const c = await this.start(old.spec);
    // keep the order of the table
    this.list.splice(this.list.indexOf(c as Entry), 1);
    this.list.splice(at, 0, c as Entry);
    return c;
  }

  /**
   * Stops every child: phase by phase (lowest first), SIGTERM to each process group of the phase,
   * SIGKILL after the grace period. Idempotent.
   */
  stopAll(): Promise<void> {
    this.stopping = true;
    this.stopped ??= (async () => {
      const phases = [...new Set(this.list.map((c) => c.stopPhase))].sort((a, b) => a - b);
      for (const phase of phases) {
        await Promise.all(this.list.filter((c) => c.stopPhase === phase).map((c) => this.stopOne(c)));
      }
      process.off("exit", this.killOnExit);
    })();
    return this.stopped;
  }

  private async stopOne(c: Entry): Promise<void> {
    if (c.exited()) return c.exitPromise;
    signalGroup(c.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(c.pid, "SIGKILL"), this.graceMs);
    await c.exitPromise;
    clearTimeout(timer);
    // Anything left in its group (nothing, normally) goes too.
    signalGroup(c.pid, "SIGKILL");
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
