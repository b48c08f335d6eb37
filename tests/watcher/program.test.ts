/**
 * The built program (`node watcher/dist/index.js`, built by `npm test` before jest): configuration
 * errors, and a full run against a canned Prometheus with both routers: switch, SIGTERM, restart in
 * burst, JSON log lines.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { kubeConfigFile, startFakeKubeApi, workerVirtualService, type FakeKubeApi } from "../helpers/fake-kube-api";
import { freePort, makeTempDir, stopChild, waitFor } from "../helpers/services";
import { startFakeMesh, type FakeMesh } from "./fake-mesh";

const ROOT = join(__dirname, "..", "..");
const ENTRY = join(ROOT, "watcher", "dist", "index.js");

beforeAll(() => {
  if (!existsSync(ENTRY)) throw new Error(`setup error: ${ENTRY} is missing; run 'npm run build' (npm test does)`);
});

const baseEnv = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", LOG_LEVEL: "info" });

describe("configuration errors: exit non-zero with one stderr line naming the variable", () => {
  it.each<[Record<string, string>, string, RegExp]>([
    [{ LOW_RPS: "15" }, "LOW_RPS", /must be a number below HIGH_RPS \(15\)/],
    [{ HIGH_RPS: "8" }, "LOW_RPS", /below HIGH_RPS \(8\)/],
    [{ HIGH_RPS: "lots" }, "HIGH_RPS", /must be a number/],
    [{ NATURAL_WEIGHTS: "60,30" }, "NATURAL_WEIGHTS", /two integers primary,burst in 0\.\.100 summing to 100/],
    [{ BURST_WEIGHTS: "0,99" }, "BURST_WEIGHTS", /summing to 100/],
    [{ BURST_WEIGHTS: "100,0" }, "BURST_WEIGHTS", /more to burst than NATURAL_WEIGHTS/],
    [{ NATURAL_WEIGHTS: "100" }, "NATURAL_WEIGHTS", /summing to 100/],
    [{ MODE: "both" }, "MODE", /one of switch, overflow/],
    [{ POLL_INTERVAL: "soon" }, "POLL_INTERVAL", /a duration/],
    [{ MIN_DWELL: "10x" }, "MIN_DWELL", /a duration/],
    [{ QUERY_TIMEOUT: "-1s" }, "QUERY_TIMEOUT", /a duration/],
    [{ RATE_WINDOW: "30x" }, "RATE_WINDOW", /a duration/],
    [{ ROUTER: "local" }, "MESH_URL", /is required: must be an http/],
    [{ ROUTER: "local", MESH_URL: "mesh:15000" }, "MESH_URL", /http:\/\/ or https:\/\/ URL/],
    [{ ROUTER: "linkerd" }, "ROUTER", /one of istio, local/],
    [{ STEP_WEIGHT: "0" }, "STEP_WEIGHT", /integer from 1 to 100/],
    [{ MAX_BURST_WEIGHT: "101" }, "MAX_BURST_WEIGHT", /integer from 0 to 100/],
    [{ PORT: "70000" }, "PORT", /integer from 0 to 65535/],
    [{ DRY_RUN: "maybe" }, "DRY_RUN", /true or false/],
    [{ PROMETHEUS_URL: "ftp://prom" }, "PROMETHEUS_URL", /http/],
    [{ NAMESPACE: "Default_NS" }, "NAMESPACE", /namespace/],
    [{ BURST_MIN_SUCCESS: "2" }, "BURST_MIN_SUCCESS", /from 0 to 1/],
  ])("%j -> names %s", (vars, variable, requirement) => {
    const r = spawnSync(process.execPath, [ENTRY], { env: { ...baseEnv(), ...vars }, encoding: "utf8", timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^watcher: ${variable}\\b`));
    expect(lines[0]).toMatch(requirement);
    expect(r.stdout).toBe("");
  });
});

/** A Prometheus stand-in answering every query with the value the test sets. */
async function cannedPrometheus() {
  const state = { rps: 0 };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [Date.now() / 1000, String(state.rps)] }] } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Running {
  child: ChildProcess;
  base: string;
  stdout: string[];
  stderr: string[];
}

async function startWatcher(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [ENTRY], { env: { ...baseEnv(), PORT: String(port), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on("data", (c: Buffer) => stdout.push(...c.toString("utf8").split("\n").filter(Boolean)));
  child.stderr?.on("data", (c: Buffer) => stderr.push(...c.toString("utf8").split("\n").filter(Boolean)));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`watcher ready on ${base}`, async () => {
    if (child.exitCode !== null) throw new Error(`watcher exited ${child.exitCode}: ${stderr.join("\n")}`);
    return (await fetch(`${base}/_healthz`)).status === 200;
  });
  return { child, base, stdout, stderr };
}

const status = async (w: Running) => (await (await fetch(`${w.base}/status`)).json()) as { phase: string; polls: number; weights: unknown; lastChange: unknown };

describe("the built watcher, end to end", () => {
  jest.setTimeout(90_000);
  let prom: Awaited<ReturnType<typeof cannedPrometheus>>;
  beforeAll(async () => {
    prom = await cannedPrometheus();
  });
  afterAll(() => prom.close());

  const common = () => ({ PROMETHEUS_URL: prom.url, POLL_INTERVAL: "100ms", MIN_DWELL: "0", DOWN_STABILIZATION: "0" });

  async function restartScenario(env: Record<string, string>, weights: () => unknown, writes: () => number) {
    // 1: 20 rps > HIGH_RPS 15 -> burst
    prom.state.rps = 20;
    const first = await startWatcher(env);
    await waitFor("switch to burst", () => JSON.stringify(weights()) === JSON.stringify({ primary: 0, burst: 100 }), 15_000);
    const code = await stopChild(first.child, "SIGTERM", 10_000);
    expect(code).toBe(0);
    expect(first.stderr).toEqual([]);
    const lines = first.stdout.map((l) => JSON.parse(l) as { msg: string; action?: string; level: number });
    expect(lines.filter((l) => l.msg === "changed weights").map((l) => l.action)).toEqual(["to-burst"]);
    expect(lines.map((l) => l.msg)).toContain("stopped");
    expect(writes()).toBe(1);

    // 2: restarted at 12 rps (inside the band): it stays in burst and writes nothing
    prom.state.rps = 12;
    const second = await startWatcher(env);
    try {
      await waitFor("10 polls", async () => (await status(second)).polls >= 10, 15_000);
      expect(await status(second)).toMatchObject({ phase: "burst", weights: { primary: 0, burst: 100 }, lastChange: null });
      expect(writes()).toBe(1);
      // not a log line per poll: start lines only
      expect(second.stdout.length).toBeLessThanOrEqual(3);
      // 3: below LOW_RPS -> natural
      prom.state.rps = 4;
      await waitFor("back to natural", () => JSON.stringify(weights()) === JSON.stringify({ primary: 100, burst: 0 }), 15_000);
      expect(writes()).toBe(2);
    } finally {
      expect(await stopChild(second.child, "SIGTERM", 10_000)).toBe(0);
    }
  }

  it("ROUTER=local: switches the mesh, exits 0 on SIGTERM, a restart in burst stays in burst", async () => {
    const mesh: FakeMesh = await startFakeMesh({ primary: 100, burst: 0 });
    try {
      await restartScenario(
        { ...common(), ROUTER: "local", MESH_URL: mesh.url },
        () => mesh.weights,
        () => mesh.puts.length,
      );
    } finally {
      await mesh.close();
    }
  });

  it("ROUTER=istio (KUBECONFIG -> fake API server): same, with an Event per change", async () => {
    const api: FakeKubeApi = await startFakeKubeApi();
    const tmp = makeTempDir("watcher-kube");
    try {
      api.put("networking.istio.io", "v1", "virtualservices", workerVirtualService({ namespace: "mesh" }));
      const kubeconfig = join(tmp.dir, "config");
      writeFileSync(kubeconfig, kubeConfigFile(api, "mesh"));
      const weights = () => {
        const vs = api.get("networking.istio.io", "v1", "virtualservices", "mesh", "worker-virtual-service") as any;
        return Object.fromEntries(vs.spec.http[0].route.map((d: any) => [d.destination.subset, d.weight]));
      };
      await restartScenario(
        { ...common(), ROUTER: "istio", NAMESPACE: "mesh", KUBECONFIG: kubeconfig, HOME: tmp.dir },
        () => ({ primary: weights().primary, burst: weights().burst }),
        () => api.requests.filter((r) => r.method === "PATCH").length,
      );
      expect(api.events.map((e: any) => [e.reason, e.involvedObject.namespace, e.involvedObject.name])).toEqual([
        ["BurstStarted", "mesh", "worker-virtual-service"],
        ["BurstEnded", "mesh", "worker-virtual-service"],
      ]);
    } finally {
      tmp.remove();
      await api.close();
    }
  });
});
