import { mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { createServer as createTcpServer } from "node:net";
import { formatDeath, isReady, pidAlive, Supervisor, type DeathReport } from "../../local/src/supervisor";
import { freePort, makeTempDir, waitFor } from "../../packages/tooling/src/processes";

/** A node child serving /_healthz on `port`, printing a line, optionally ignoring SIGTERM. */
function serverScript(port: number, opts: { ignoreTerm?: boolean } = {}): string {
  return `
    const http = require("node:http");
    ${opts.ignoreTerm ? 'process.on("SIGTERM", () => console.log("ignoring SIGTERM"));' : 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0); });'}
    http.createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port: ${port} })));
    console.error("a line on stderr");
  `;
}

describe("supervisor", () => {
  let tmp: { dir: string; remove: () => void };
  let logDir: string;
  beforeEach(() => {
    tmp = makeTempDir("local-sup");
    logDir = join(tmp.dir, "logs");
    mkdirSync(logDir);
  });
  afterEach(() => tmp.remove());

  it("waits for readiness, captures output to a log file and its last lines, and stops in phases", async () => {
    const sup = new Supervisor({ logDir, graceMs: 5_000 });
    const port = await freePort();
    const c = await sup.start({
      name: "svc",
      command: process.execPath,
      args: ["-e", serverScript(port)],
      ready: { http: `http://127.0.0.1:${port}/_healthz` },
    });
    expect(pidAlive(c.pid)).toBe(true);
    await waitFor("its lines", () => c.lastLines().some((l) => l.includes("listening")) && c.lastLines().includes("a line on stderr"));
    await sup.stopAll();
    expect(pidAlive(c.pid)).toBe(false);
    const log = readFileSync(c.logPath, "utf8");
    expect(log).toContain('"msg":"listening"');
    expect(log).toContain("a line on stderr");
    expect(log).toContain("bye");
  });

  it("SIGKILLs a child that ignores SIGTERM after the grace period", async () => {
    const sup = new Supervisor({ logDir, graceMs: 300 });
    const port = await freePort();
    const c = await sup.start({ name: "stubborn", command: process.execPath, args: ["-e", serverScript(port, { ignoreTerm: true })], ready: { http: `http://127.0.0.1:${port}/` } });
    // Its own "listening" line proves the script (and so its SIGTERM handler) runs, whoever answered the port.
    await waitFor("the child's listening line", () => readFileSync(c.logPath, "utf8").includes('"listening"'), 10_000);
    await sup.stopAll();
    expect(c.process.signalCode).toBe("SIGKILL");
    expect(pidAlive(c.pid)).toBe(false);
  });

  it("reports a child that dies on its own, with its exit code and last lines, once", async () => {
    const deaths: DeathReport[] = [];
    const sup = new Supervisor({ logDir, onDeath: (r) => deaths.push(r) });
    const port = await freePort();
    const c = await sup.start({
      name: "fragile",
      command: process.execPath,
      // dies when asked, once it is known to be ready
      args: ["-e", `${serverScript(port)}; process.on("SIGUSR2", () => { console.error("fatal: out of luck"); process.exit(3); });`],
      ready: { http: `http://127.0.0.1:${port}/` },
    });
    process.kill(c.pid, "SIGUSR2");
    await waitFor("the death report", () => deaths.length > 0, 10_000);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]).toMatchObject({ name: "fragile", pid: c.pid, code: 3, signal: null });
    expect(deaths[0].lastLines).toContain("fatal: out of luck");
    expect(formatDeath(deaths[0])).toMatch(/^fragile \(pid \d+\) exited with code 3; its last log lines:\n(.|\n)*\| fatal: out of luck/);
    await sup.stopAll();
    expect(deaths).toHaveLength(1);
  });

  it("does not report children it stops", async () => {
    const deaths: DeathReport[] = [];
    const sup = new Supervisor({ logDir, onDeath: (r) => deaths.push(r) });
    const port = await freePort();
    await sup.start({ name: "svc", command: process.execPath, args: ["-e", serverScript(port)], ready: { http: `http://127.0.0.1:${port}/` } });
    await sup.stopAll();
    expect(deaths).toEqual([]);
  });

  it("fails a start when the child exits before it is ready, or is not ready in time, or cannot be spawned", async () => {
    const sup = new Supervisor({ logDir, graceMs: 1_000 });
    const port = await freePort();
    await expect(
      sup.start({ name: "crash", command: process.execPath, args: ["-e", 'console.error("PORT must be a port"); process.exit(2)'], ready: { http: `http://127.0.0.1:${port}/` } }),
    ).rejects.toThrow(/crash stopped while starting: crash \(pid \d+\) exited with code 2(.|\n)*PORT must be a port/);
    await expect(
      sup.start({ name: "slow", command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"], ready: { http: `http://127.0.0.1:${port}/` }, readyTimeoutMs: 500 }),
    ).rejects.toThrow(/slow \(pid \d+\) was not ready within 500 ms/);
    await expect(sup.start({ name: "missing", command: "no-such-program-istio-burst", ready: { http: "http://127.0.0.1:1/" } })).rejects.toThrow(/could not start missing/);
    const pids = sup.children().map((c) => c.pid);
    await sup.stopAll();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it("checks Redis-style readiness with PING", async () => {
    const port = await freePort();
    const srv = createTcpServer((s) => s.on("data", () => s.write("+PONG\r\n")));
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", () => r()));
    expect(await isReady({ redis: { host: "127.0.0.1", port } })).toBe(true);
    srv.close();
    expect(await isReady({ redis: { host: "127.0.0.1", port: await freePort() } })).toBe(false);
    const web = http.createServer((_q, s) => s.end("ok"));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
    const webPort = (web.address() as import("node:net").AddressInfo).port;
    expect(await isReady({ http: `http://127.0.0.1:${webPort}/` })).toBe(true);
    expect(await isReady({ redis: { host: "127.0.0.1", port: webPort } })).toBe(false);
    web.close();
  });
});
