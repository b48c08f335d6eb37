/**
 * `npm run local` ends every part however it is stopped: SIGTERM to the outermost npm process
 * (what `timeout`, systemd, an IDE or a CI runner sends), SIGHUP to it (a closed terminal; npm does
 * not pass SIGHUP on), and SIGKILL of local mode itself (no chance to clean up).
 *
 * Leftovers are found by command line, not by process group (which a detached child escapes):
 * the run's temp dir (Prometheus), its unique `--port` (npm, local mode), its addresses
 * (redis-server's title, checked against its working dir) and, for the built Node programs, whose
 * command lines are the same for every run, the program's path together with the run's ports in
 * its environment.
 *
 * Runs the real npm script with LOCAL_SKIP_BUILD=1: `npm test` has installed and built already, and
 * a second build here would rewrite the programs other test files are running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { builtProgram, freePort, REPO_ROOT, sleep, waitFor } from "../../packages/tooling/src/processes";
import { removeAbandonedTempDirs } from "../../packages/tooling/src/processes";

jest.setTimeout(90_000);

const PROGRAMS = ["apps/worker/dist/index.js", "apps/frontend/dist/index.js", "watcher/dist/index.js", "local/dist/mesh-main.js", "local/dist/index.js"].map(builtProgram);

interface NpmRun {
  npm: ChildProcess;
  /** the frontend's port, given as `--port`: it makes the command lines of npm and local mode unique */
  port: number;
  tempDir: string;
  /** every port of the table */
  ports: number[];
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run local -- --port <free port>`, in its own session, up to the table of what runs where. */
async function startNpmRun(): Promise<NpmRun> {
  const port = await freePort();
  const npm = spawn("npm", ["run", "local", "--", "--port", String(port)], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOCAL_SKIP_BUILD: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  npm.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  npm.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once("exit", (code, signal) => r({ code, signal })));
  await waitFor("the table of what runs where", () => {
    if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm run local ended early:\n${out}`);
    return /Ctrl-C stops everything/.test(out);
  }, 60_000, 100);
  const table = out.slice(out.indexOf("local mode is up:"), out.indexOf("  watcher:"));
  const ports = [...table.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  const tempDir = /logs: +(\S+)\/logs\/<name>\.log/.exec(out)?.[1] ?? "";
  expect(ports).toContain(port);
  expect(ports.length).toBeGreaterThanOrEqual(7);
  expect(existsSync(tempDir)).toBe(true);
  return { npm, port, tempDir, ports, output: () => out, exited };
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  const list: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z" || !cmdline) continue; // a zombie has ended; it only waits to be reaped
      list.push({ pid: Number(name), ppid: Number(ppid), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return list;
}

function envOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return "";
  }
}

/**
 * The processes of this run that still exist. A port alone is not enough (once the run has freed it,
 * a test running alongside may take it): redis-server, whose title is only its address, must also
 * work in the run's temp dir; a built Node program must have the run's PORT and one more of the
 * run's ports (Redis, Prometheus, the mesh, an upstream) in its environment.
 */
function leftovers(run: NpmRun): Proc[] {
  const ours = (text: string) => run.ports.filter((p) => new RegExp(`(^|\\D)${p}(\\D|$)`).test(text));
  return processes().filter(({ pid, cmdline }) => {
    if (cmdline.includes(run.tempDir) || new RegExp(`--port ${run.port}( |$)`).test(cmdline)) return true;
    if (run.ports.some((p) => cmdline.includes(`127.0.0.1:${p}`)) && cwdOf(pid).startsWith(run.tempDir)) return true;
    if (!PROGRAMS.some((p) => cmdline.includes(p))) return false;
    const env = envOf(pid);
    const port = env.find((v) => v.startsWith("PORT="));
    return port !== undefined && ours(port).length === 1 && new Set(env.flatMap(ours)).size >= 2;
  });
}

/** Waits until no process of the run is left; fails after 20 s listing those that are. */
async function expectNothingLeft(run: NpmRun): Promise<number> {
  const start = Date.now();
  for (;;) {
    const left = leftovers(run);
    if (left.length === 0) return Date.now() - start;
    if (Date.now() - start > 20_000) {
      throw new Error(`still running 20 s later:\n${left.map((p) => `  ${p.pid} ${p.cmdline}`).join("\n")}\noutput:\n${run.output()}`);
    }
    await sleep(200);
  }
}

describe("npm run local stops every part however it is stopped", () => {
  const runs: NpmRun[] = [];
  afterAll(() => {
    for (const run of runs) {
      for (const p of leftovers(run)) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      rmSync(run.tempDir, { recursive: true, force: true });
    }
  });

  /** The three runs start together: start-up is most of the time these tests take. */
  let started: Promise<NpmRun[]>;
  beforeAll(() => {
    started = Promise.all([startNpmRun(), startNpmRun(), startNpmRun()]).then((r) => (runs.push(...r), r));
    started.catch(() => undefined);
  });

  it("SIGTERM to the outermost npm process: every part stops, the temp dir is removed", async () => {
    const run = (await started)[0];
    const chain = processes().filter((p) => p.ppid === run.npm.pid);
    process.kill(run.npm.pid!, "SIGTERM");
    await expectNothingLeft(run);
    // npm -> local mode directly: no shell or second npm in between that could die alone
    expect(chain.map((p) => p.cmdline)).toEqual([expect.stringMatching(/node local\/dist\/index\.js --port \d+$/)]);
    // npm passed SIGTERM on, waited for local mode and ends with its code
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain("local: SIGTERM: stopping every part");
    expect(run.output()).toContain("local: every part stopped; temp files removed");
    expect(existsSync(run.tempDir)).toBe(false);
  });

  it("SIGHUP to the outermost npm process (npm dies without passing it on): local mode notices and stops every part", async () => {
    const run = (await started)[1];
    process.kill(run.npm.pid!, "SIGHUP");
    expect(await run.exited).toEqual({ code: null, signal: "SIGHUP" });
    await expectNothingLeft(run);
    expect(run.output()).toMatch(/local: its parent \(pid \d+\) has gone: stopping every part/);
    expect(run.output()).toContain("local: every part stopped; temp files removed");
    expect(existsSync(run.tempDir)).toBe(false);
  });

  it("SIGKILL of local mode itself: the kernel ends every part within seconds; the next run removes the temp dir", async () => {
    const run = (await started)[2];
    const runner = leftovers(run).find((p) => /^\S*node (\S*\/)?dist\/index\.js --port /.test(p.cmdline));
    expect(runner).toBeDefined();
    process.kill(runner!.pid, "SIGKILL");
    const took = await expectNothingLeft(run);
    expect(took).toBeLessThan(5_000);
    await run.exited;
    // nobody removed it...
    expect(existsSync(run.tempDir)).toBe(true);
    // ...until a later start finds it abandoned (what startLocal does first)
    expect(removeAbandonedTempDirs("local")).toContain(run.tempDir);
    expect(existsSync(run.tempDir)).toBe(false);
  });
});
