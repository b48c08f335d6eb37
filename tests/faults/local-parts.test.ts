/**
 * The deliberate-fault API under the fault tests: the supervisor stops one child on purpose without
 * reporting a death, starts it again with the same spec, and still reports an unexpected death of
 * any child (the restarted one included). Small node children, no build needed.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive, Supervisor, type ChildSpec, type DeathReport } from "../../local/src/supervisor";
import { freePort, makeTempDir, sleep, waitFor } from "../../packages/tooling/src/processes";

jest.setTimeout(30_000);

/** A node child serving 200 on `port`; SIGTERM prints "bye" and exits 0. */
function spec(name: string, port: number, stopPhase = 0): ChildSpec {
  const script = `
    process.on("SIGTERM", () => { console.log("bye"); process.exit(0); });
    require("node:http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1", () => console.log("listening " + process.pid));
  `;
  return { name, command: process.execPath, args: ["-e", script], ready: { http: `http://127.0.0.1:${port}/` }, stopPhase };
}

describe("supervisor: parts stopped and started on purpose", () => {
  let tmp: { dir: string; remove: () => void };
  let logDir: string;
  let deaths: DeathReport[];
  let sup: Supervisor;
  beforeEach(() => {
    tmp = makeTempDir("local-parts");
    logDir = join(tmp.dir, "logs");
    mkdirSync(logDir);
    deaths = [];
    sup = new Supervisor({ logDir, graceMs: 2_000, onDeath: (r) => deaths.push(r) });
  });
  afterEach(async () => {
    await sup.stopAll();
    tmp.remove();
  });

  it("stops one child (SIGKILL by default) without a death report; the others keep running", async () => {
    const a = await sup.start(spec("a", await freePort()));
    const b = await sup.start(spec("b", await freePort()));
    const stopped = await sup.stopChild("a");
    expect(stopped.pid).toBe(a.pid);
    expect(a.process.signalCode).toBe("SIGKILL");
    expect(pidAlive(a.pid)).toBe(false);
    await sleep(200);
    expect(deaths).toEqual([]);
    expect(pidAlive(b.pid)).toBe(true);
    expect(sup.isStopping()).toBe(false);
  });

  it("stops with SIGTERM when asked (a clean shutdown)", async () => {
    const a = await sup.start(spec("a", await freePort()));
    await sup.stopChild("a", { signal: "SIGTERM" });
    expect(a.process.exitCode).toBe(0);
    expect(readFileSync(a.logPath, "utf8")).toContain("bye");
    expect(deaths).toEqual([]);
  });

  it("starts it again with the same spec, log file and place in the list; its later death is reported as any other", async () => {
    const port = await freePort();
    await sup.start(spec("first", await freePort()));
    const old = await sup.start(spec("middle", port));
    await sup.start(spec("last", await freePort()));
    await sup.stopChild("middle");
    const again = await sup.restartChild("middle");
    expect(again.pid).not.toBe(old.pid);
    expect(again.logPath).toBe(old.logPath);
    expect(sup.children().map((c) => c.name)).toEqual(["first", "middle", "last"]);
    expect(sup.children()[1].pid).toBe(again.pid);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const log = readFileSync(old.logPath, "utf8");
    expect(log).toContain(`listening ${old.pid}`);
    expect(log).toContain(`listening ${again.pid}`);

    // an unexpected death is still a death, also for a child restarted on purpose
    process.kill(again.pid, "SIGKILL");
    await waitFor("the death report", () => deaths.length > 0, 10_000);
    expect(deaths).toEqual([expect.objectContaining({ name: "middle", pid: again.pid, signal: "SIGKILL" })]);
  });

  it("refuses unknown names, stopping a stopped child, restarting a running one, and anything once stopping", async () => {
    await sup.start(spec("a", await freePort()));
    await expect(sup.stopChild("nope")).rejects.toThrow('no part named "nope" (parts: a)');
    await expect(sup.restartChild("a")).rejects.toThrow(/a \(pid \d+\) was not stopped with stopChild; stop it first/);
    await sup.stopChild("a");
    await expect(sup.stopChild("a")).rejects.toThrow(/a \(pid \d+\) is not running/);
    const stopping = sup.stopAll();
    await expect(sup.restartChild("a")).rejects.toThrow("not starting a: local mode is stopping");
    await stopping;
    expect(deaths).toEqual([]);
  });

  it("stopAll stops the others and leaves a stopped child alone", async () => {
    const a = await sup.start(spec("a", await freePort(), 0));
    const b = await sup.start(spec("b", await freePort(), 1));
    await sup.stopChild("b");
    await sup.stopAll();
    expect(pidAlive(a.pid)).toBe(false);
    expect(pidAlive(b.pid)).toBe(false);
    expect(deaths).toEqual([]);
  });
});
