/**
 * Real services for tests: each starts the Debian program on a free loopback port and a fresh temp
 * dir, and stops it afterwards. A missing program is a setup error (run `npm test`, which installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function requireProgram(cmd: string, debianPackage: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`setup error: '${cmd}' is not installed; run 'npm test' (installs it as root) or: sudo apt-get install -y ${debianPackage}`);
  }
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
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
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
    }
    await sleep(everyMs);
  }
}

export function makeTempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `istio-burst-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits for a child to exit, killing it with `signal` first; SIGKILL after `graceMs`. */
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

export interface RedisServer {
  port: number;
  url: string;
  /** host:port, the form the 2018 codelab passes in REDIS_URL */
  hostPort: string;
  /** Stops the server (it can be started again on the same port with start()). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and removes its files. */
  dispose(): Promise<void>;
  /** redis-cli against this server */
  cli(...args: string[]): string;
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const bin = requireProgram("redis-server", "redis-server");
  const cliBin = requireProgram("redis-cli", "redis-tools");
  const p = port ?? (await freePort());
  const tmp = makeTempDir("redis");
  let child: ChildProcess | undefined;
  const cli = (...args: string[]) => spawnSync(cliBin, ["-p", String(p), ...args], { encoding: "utf8" }).stdout.trim();
  const start = async () => {
    child = spawn(bin, ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp.dir], { stdio: "ignore" });
    await waitFor(`redis-server on port ${p}`, () => cli("ping") === "PONG");
  };
  await start();
  const stop = async () => {
    if (child) await stopChild(child, "SIGKILL");
    child = undefined;
  };
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    hostPort: `127.0.0.1:${p}`,
    cli,
    start,
    stop,
    async dispose() {
      await stop();
      tmp.remove();
    },
  };
}
