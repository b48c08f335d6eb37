/**
 * `npm run clusters` (e2e/src/clusters-cli.ts, as the npm script execs it): both control planes come
 * up and answer, and however the command is stopped, none of its processes is left. Leftovers are
 * found by command line (every process of a run names the run's folder or the tools' folder).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtProgram, killedWithParent, sleep, waitFor } from "../../packages/tooling/src/processes";
import { kubeFrom } from "../../packages/tooling/src/kube";
import { ensureTools } from "../src/tools";

/** The command lines of live processes that mention `text`, this test's own excepted. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  dir: string;
  kubeconfigs: { primary: string; burst: string };
}

async function startClustersCli(): Promise<Started> {
  // the harness watches its parent (like local mode): a child of this test, without a setpriv wrapper, so a SIGKILL reaches it alone
  const child = spawn(process.execPath, [builtProgram("e2e/dist/e2e/src/clusters-cli.js")], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString("utf8")));
  const ready = () => {
    if (child.exitCode !== null) throw new Error(`clusters exited with ${child.exitCode}: ${text}`);
    return /Ctrl-C stops both and removes (\S+)/.exec(text) ?? undefined;
  };
  const match = await waitFor("npm run clusters to print its kubeconfigs", ready, 10 * 60_000, 200);
  const kubeconfig = (side: string) => new RegExp(`export KUBECONFIG=(\\S+)\\s+# ${side}`).exec(text)![1];
  return { child, output: () => text, dir: match[1], kubeconfigs: { primary: kubeconfig("primary"), burst: kubeconfig("burst") } };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));

describe("npm run clusters", () => {
  beforeAll(() => ensureTools(), 60 * 60_000);

  it("serves both clusters, with kwok nodes Ready, until SIGTERM; then every process ends and the folder is removed", async () => {
    const run = await startClustersCli();
    for (const side of ["primary", "burst"] as const) {
      const kube = await kubeFrom(readFileSync(run.kubeconfigs[side], "utf8"));
      const nodes = (await kube.core.listNode()).items;
      expect(nodes.length).toBeGreaterThan(0);
      expect(nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))).toBe(true);
    }
    expect(processesMentioning(run.dir).length).toBeGreaterThanOrEqual(6);
    run.child.kill("SIGTERM");
    expect(await exited(run.child)).toBe(0);
    expect(processesMentioning(run.dir)).toEqual([]);
    expect(existsSync(run.dir)).toBe(false);
  });

  it("leaves no process behind when it is killed with SIGKILL, and its folder goes at the next start", async () => {
    const run = await startClustersCli();
    run.child.kill("SIGKILL");
    await exited(run.child);
    await waitFor(`no process of ${run.dir} left`, () => processesMentioning(run.dir).length === 0, 20_000, 250).catch(() => undefined);
    expect(processesMentioning(run.dir)).toEqual([]);
    expect(existsSync(run.dir)).toBe(true);
    const next = await startClustersCli();
    expect(existsSync(run.dir)).toBe(false);
    next.child.kill("SIGTERM");
    expect(await exited(next.child)).toBe(0);
  });

  it("stops when whoever started it dies without passing a signal on", async () => {
    // a shell that starts the harness in the background and is then killed: the harness sees its parent go
    const cmd = killedWithParent("/bin/sh", ["-c", `${process.execPath} ${builtProgram("e2e/dist/e2e/src/clusters-cli.js")} & wait`]);
    const shell = spawn(cmd.file, cmd.args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    shell.stdout!.on("data", (d: Buffer) => (text += d.toString("utf8")));
    const match = await waitFor("the harness to be up", () => /Ctrl-C stops both and removes (\S+)/.exec(text) ?? undefined, 10 * 60_000, 200);
    shell.kill("SIGKILL");
    await sleep(500);
    // it stops every process, then removes its folder
    const gone = () => processesMentioning(match[1]).length === 0 && !existsSync(match[1]);
    await waitFor(`no process of ${match[1]} left, and no folder`, gone, 30_000, 250).catch(() => undefined);
    expect(processesMentioning(match[1])).toEqual([]);
    expect(existsSync(match[1])).toBe(false);
  });
});
