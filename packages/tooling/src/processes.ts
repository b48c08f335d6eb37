/**
 * Process helpers for local mode, the doctor, the e2e harness, the tests and the benchmarks: free ports, waiting for a condition,
 * a URL or Redis, stopping a child, requiring an installed or built program (a missing one is a
 * setup error, never a skip), children that die with their parent, temp dirs, and a throwaway
 * redis-server on loopback (local mode's throwaway Prometheus is local/src/prometheus-server.ts).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";

export const HOST = "127.0.0.1";

/** The repository root: the nearest folder above this file that holds the npm workspaces (the file may be compiled into the benchmarks' build). */
export const REPO_ROOT = ((from: string) => {
  for (let dir = resolve(from); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, "package-lock.json")) && existsSync(join(dir, "apps", "worker", "package.json"))) return dir;
  }
  return resolve(from, "..", "..");
})(__dirname);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
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

/** Whether `port` can be listened on at `host` (default 127.0.0.1): nothing holds it there or on every address. */
export function portFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Polls `check` until it returns a truthy value (errors count as not yet), or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
    await sleep(everyMs);
  }
}

/** GET without keep-alive; undefined when nothing answered within `timeoutMs`. */
export function httpGet(url: string, timeoutMs = 1_000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

export async function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await httpGet(url, timeoutMs))?.status === 200;
}

/** Waits until `url` answers: 200 by default, any status with `anyStatus`. */
export function waitForUrl(url: string, opts: { timeoutMs?: number; anyStatus?: boolean } = {}): Promise<true> {
  const answered = async () => {
    const status = (await httpGet(url))?.status;
    return status !== undefined && (opts.anyStatus || status === 200);
  };
  return waitFor(url, answered, opts.timeoutMs ?? 15_000, 100);
}

/** True when a Redis server answers PING on host:port. */
export function redisPong(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
    sock.on("error", () => done(false));
  });
}

/** The absolute path of `command` as a child with this PATH and cwd would run it; undefined when there is none. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    return executable(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const path = resolve(cwd, dir, command);
    if (executable(path)) return path;
  }
  return undefined;
}

let setpriv: string | null | undefined;

/**
 * util-linux `setpriv` (Debian: util-linux, always installed), when it can set a parent-death
 * signal (`--pdeathsig`, util-linux 2.33 and later; Linux only); null otherwise.
 */
export function setprivPath(): string | null {
  if (setpriv === undefined) {
    const path = process.platform === "linux" ? resolveCommand("setpriv") : undefined;
    const works = path !== undefined && spawnSync(path, ["--pdeathsig", "SIGKILL", "--", process.execPath, "-e", ""], { stdio: "ignore", timeout: 10_000 }).status === 0;
    setpriv = works ? (path as string) : null;
  }
  return setpriv;
}

/**
 * The command line that runs `program` (an absolute path) so that the kernel SIGKILLs it when this
 * process dies, however this process dies (SIGKILL and the OOM killer included):
 * `setpriv --pdeathsig SIGKILL -- <program> <args>`. setpriv sets the signal and then becomes the
 * program (exec), so the child's pid, signals and exit status are the program's own. Without a
 * usable setpriv, the program alone.
 *
 * The signal fires when the *thread* that spawned the child ends; Node spawns from its main
 * thread, so in effect when this process ends.
 */
export function killedWithParent(program: string, args: string[] = []): { file: string; args: string[] } {
  const wrapper = setprivPath();
  return wrapper === null ? { file: program, args } : { file: wrapper, args: ["--pdeathsig", "SIGKILL", "--", program, ...args] };
}

let unshareArgs: string[] | null | undefined;

/**
 * How util-linux `unshare` gives a program a PID namespace of its own here (as root; else in a user
 * namespace of its own, mapped to this user), the namespace ending with it (`--kill-child`); null
 * when neither is allowed.
 */
function pidNamespaceArgs(): string[] | null {
  if (unshareArgs === undefined) {
    const path = process.platform === "linux" ? resolveCommand("unshare") : undefined;
    const tries = [["--pid", "--fork", "--kill-child=SIGKILL"], ["--user", "--map-current-user", "--pid", "--fork", "--kill-child=SIGKILL"]];
    const works = (args: string[]) => path !== undefined && spawnSync(path, [...args, "--", process.execPath, "-e", ""], { stdio: "ignore", timeout: 10_000 }).status === 0;
    const found = tries.find(works);
    unshareArgs = found && path ? [path, ...found] : null;
  }
  return unshareArgs;
}

/**
 * killedWithParent for a program that starts programs of its own (the pulumi CLI starts its language
 * host and provider plugins, which outlive a killed CLI): it runs as the first process of a PID
 * namespace of its own, so when it ends, however it ends, the kernel ends everything it started; the
 * namespace's keeper (unshare) dies with this process. Where no PID namespace can be made, the
 * program's own children are not covered (killedWithParent alone).
 */
export function killedWithParentTree(program: string, args: string[] = []): { file: string; args: string[] } {
  const ns = pidNamespaceArgs();
  if (ns === null) return killedWithParent(program, args);
  const [unshare, ...nsArgs] = ns;
  return killedWithParent(unshare, [...nsArgs, "--", program, ...args]);
}

/** The path of an installed program; a setup error naming the Debian package when it is missing. */
export function requireProgram(cmd: string, debianPackage: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`setup error: '${cmd}' is not installed; run 'npm run setup' (installs it as root) or: sudo apt-get install -y ${debianPackage}`);
  }
  return path;
}

/** The absolute path of a built entry point, e.g. `apps/worker/dist/index.js`; a setup error when it is missing. */
export function builtProgram(relPath: string): string {
  const path = join(REPO_ROOT, relPath);
  if (!existsSync(path)) throw new Error(`setup error: ${relPath} is missing; run 'npm run build' (npm run local, npm test and npm run bench build first)`);
  return path;
}

export interface TempDir {
  dir: string;
  /** Removes it; idempotent. */
  remove(): void;
}

export function makeTempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `istio-burst-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }) };
}

/** In an owned temp dir: which process owns it (pid and start time), so a later run can tell it was abandoned. */
const OWNER_FILE = "owner";

/** `<pid> <start time in clock ticks since boot>` of a live process (Linux), or undefined. */
export function processIdentity(pid: number | "self"): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `${pid === "self" ? process.pid : pid} ${fields[19]}`;
  } catch {
    return undefined;
  }
}

/**
 * A temp dir (makeTempDir) that names this process as its owner, so that when this process is killed
 * without removing it (SIGKILL, the OOM killer), the next run's removeAbandonedTempDirs does.
 */
export function makeOwnedTempDir(prefix: string): TempDir {
  const temp = makeTempDir(prefix);
  const me = processIdentity("self");
  if (me !== undefined) writeFileSync(join(temp.dir, OWNER_FILE), `${me}\n`);
  return temp;
}

/**
 * Removes the temp dirs of earlier runs (`istio-burst-<prefix>-*`) whose owner has gone without
 * removing them. A dir is removed only when its owner file names a process that no longer exists
 * (same pid and start time); a dir without one (kept on purpose, or another program's) stays.
 */
export function removeAbandonedTempDirs(prefix: string, dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(`istio-burst-${prefix}-`));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const owner = readFileSync(join(path, OWNER_FILE), "utf8").trim();
      const pid = Number(owner.split(" ")[0]);
      if (!Number.isInteger(pid) || pid <= 0 || processIdentity(pid) === owner) continue;
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
      removed.push(path);
    } catch {
      // no owner file, or not ours to read: leave it
    }
  }
  return removed;
}

/**
 * A signal that aborts on SIGINT, SIGTERM or SIGHUP, or when the process that started this one has
 * gone without passing a signal on (npm does not forward SIGHUP; nothing forwards SIGKILL): this
 * process then has a new parent, and stops. A second signal more than a second after the first exits
 * at once (within a second it is the same Ctrl-C, forwarded by npm as well as sent by the terminal);
 * children under a parent-death signal (killedWithParent) end with it.
 */
export function stopSignal(name: string, what = "stopping"): AbortSignal {
  const abort = new AbortController();
  let firstSignalAt = 0;
  const stopAll = (why: string) => {
    firstSignalAt = Date.now();
    process.stdout.write(`\n${name}: ${why}: ${what} (Ctrl-C again to force)\n`);
    abort.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === 0) {
      stopAll(signal);
    } else if (Date.now() - firstSignalAt > 1_000) {
      process.stderr.write(`${name}: forced exit; killing every part\n`);
      process.exit(130);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent && firstSignalAt === 0) stopAll(`its parent (pid ${parent}) has gone`);
  }, 500);
  parentWatch.unref();
  return abort.signal;
}

/** Waits for a child to exit, sending `signal` first; SIGKILL after `graceMs`. Resolves to its exit code. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/** redis-server on 127.0.0.1:port, no persistence, in the foreground. */
export function redisArgs(port: number, dir: string): string[] {
  return ["--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"];
}

export interface RedisServer {
  port: number;
  url: string;
  /** host:port, the form the 2018 codelab passes in REDIS_URL */
  hostPort: string;
  /** Kills the server (start() starts it again on the same port). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and removes its files. */
  dispose(): Promise<void>;
  /** redis-cli against this server */
  cli(...args: string[]): string;
}

/** A throwaway redis-server on a free (or the given) port. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const bin = requireProgram("redis-server", "redis-server");
  const cliBin = requireProgram("redis-cli", "redis-tools");
  const p = port ?? (await freePort());
  // a run killed before dispose() leaves its folder behind: the next one removes it
  removeAbandonedTempDirs("redis");
  const tmp = makeOwnedTempDir("redis");
  let child: ChildProcess | undefined;
  const start = async () => {
    const cmd = killedWithParent(bin, redisArgs(p, tmp.dir));
    child = spawn(cmd.file, cmd.args, { stdio: "ignore" });
    await waitFor(`redis-server on port ${p}`, () => redisPong(HOST, p));
  };
  const stop = async () => {
    if (child) await stopChild(child, "SIGKILL");
    child = undefined;
  };
  await start();
  return {
    port: p,
    url: `redis://${HOST}:${p}`,
    hostPort: `${HOST}:${p}`,
    cli: (...args) => spawnSync(cliBin, ["-p", String(p), ...args], { encoding: "utf8" }).stdout.trim(),
    start,
    stop,
    async dispose() {
      await stop();
      tmp.remove();
    },
  };
}
