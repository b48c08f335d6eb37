/**
 * The local-mode CLI, `node dist/index.js`, started from the workspace directory (as `npm start -w
 * local` runs it; `npm run local` runs the same program from the repository root). Needs `npm run
 * build` first (npm test does it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { pidAlive } from "../../local/src/supervisor";
import { request } from "../helpers/local-http";
import { freePort, stopChild, waitFor } from "../../packages/tooling/src/processes";

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, "..", "..");
const LOCAL_DIR = join(ROOT, "local");
const ENTRY = join(LOCAL_DIR, "dist", "index.js");

function cli(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  return spawnSync(process.execPath, [ENTRY, ...args], { cwd: LOCAL_DIR, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
}

describe("local CLI", () => {
  it("--help prints the flags and exits 0", () => {
    const r = cli(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--high-rps <v> +HIGH_RPS/);
    expect(r.stdout).toMatch(/--port <v> +LOCAL_PORT/);
  });

  it.each([
    [["--high-rps", "many"], {}, /^local: --high-rps="many" is invalid: must be a number/],
    [[], { PRIMARY_WORKERS: "0" }, /^local: PRIMARY_WORKERS="0" is invalid: must be an integer from 1 to 32/],
    [["--burst-workers", "2"], {}, /^local: Unknown option '--burst-workers'/],
    [["--bogus"], {}, /^local: Unknown option '--bogus'/],
  ])("refuses %j %j with one line and exit 2", (args, env, message) => {
    const r = cli(args as string[], env as Record<string, string>);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("refuses a frontend port that is taken, before starting anything", async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", () => r()));
    try {
      const r = cli([], { LOCAL_PORT: String(port) });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^local: port ${port} on 127.0.0.1 is in use .*--port or LOCAL_PORT`));
    } finally {
      blocker.close();
    }
  });

  /** Starts the CLI from the workspace dir and waits for its table. */
  async function startCli(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, [ENTRY, ...args], { cwd: LOCAL_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const io = { stdout: "", stderr: "" };
    child.stdout!.on("data", (c: Buffer) => (io.stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (io.stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    await waitFor("the table", () => /Ctrl-C stops everything/.test(io.stdout) || child.exitCode !== null, 90_000, 200);
    const rows = [...io.stdout.matchAll(/^ {2}(redis|worker-\S+|mesh|prometheus|watcher|frontend) +(\d+) +(\S+)/gm)].map((m) => ({ name: m[1], pid: Number(m[2]), url: m[3] }));
    const logDir = /logs: +(\S+)\/<name>\.log/.exec(io.stdout)?.[1] ?? "";
    return { child, io, exited, rows, logDir };
  }

  describe("a full run", () => {
    const children: ChildProcess[] = [];
    afterAll(async () => {
      for (const c of children) await stopChild(c, "SIGKILL", 1_000);
    });

    it("starts from the workspace dir, prints the table, and on SIGINT stops every part and removes its temp dir", async () => {
      const port = await freePort();
      const { child, io, exited, rows, logDir } = await startCli(["--primary-workers", "2"], { LOCAL_PORT: String(port) });
      children.push(child);
      expect(io.stderr).toBe("");
      expect(rows.map((r) => r.name)).toEqual(["redis", "worker-primary-1", "worker-primary-2", "mesh", "prometheus", "watcher", "frontend"]);
      expect(rows.find((r) => r.name === "frontend")!.url).toBe(`http://127.0.0.1:${port}`);
      for (const r of rows) expect(pidAlive(r.pid)).toBe(true);
      // the default query, with local mode's window: 6 scrape intervals of 1 s
      expect(io.stdout).toContain("[6s]))");
      expect(existsSync(join(logDir, "watcher.log"))).toBe(true);
      expect((await request(`http://127.0.0.1:${port}/api/stats`)).status).toBe(200);

      child.kill("SIGINT");
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(io.stdout).toContain("local: every part stopped");
      for (const r of rows) expect(pidAlive(r.pid)).toBe(false);
      expect(existsSync(join(logDir, ".."))).toBe(false);
    });

    it("ends with code 1, a report and nothing left behind when a worker is killed", async () => {
      const { child, io, exited, rows, logDir } = await startCli(["--port", "0"], {});
      children.push(child);
      expect(rows).toHaveLength(6);
      const victim = rows.find((r) => r.name === "worker-primary-1")!;
      process.kill(victim.pid, "SIGKILL");
      expect(await exited).toEqual({ code: 1, signal: null });
      expect(io.stderr).toContain(`local: worker-primary-1 (pid ${victim.pid}) was killed by SIGKILL; its last log lines:`);
      expect(io.stderr).toMatch(/local: stopped because worker-primary-1 died\n$/);
      for (const r of rows) expect(pidAlive(r.pid)).toBe(false);
      expect(existsSync(join(logDir, ".."))).toBe(false);
    });
  });
});
