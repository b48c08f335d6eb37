/**
 * Local mode's burst pool and its scale endpoint, driven directly (no watcher): real redis-server,
 * the real worker program started through the supervisor, the mesh in this process. Needs
 * `npm run build` first (npm test does it).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BurstPool, scaleServer } from "../../local/src/burst-pool";
import { createMesh, type Mesh } from "../../local/src/mesh";
import { builtProgram, freePort, HOST, startRedis, waitFor, type RedisServer } from "../../packages/tooling/src/processes";
import { pidAlive, Supervisor, type DeathReport } from "../../local/src/supervisor";
import { burstWorkerSpec } from "../../local/src/topology";
import { resolveConfig, type LocalConfig } from "../../local/src/config";
import { request } from "../helpers/local-http";
import type { Server } from "node:http";

jest.setTimeout(90_000);

const MAX = 3;
let redis: RedisServer;
let mesh: Mesh;
let meshUrls: { dataUrl: string; adminUrl: string };
let logDir: string;
const lines: string[] = [];
const runDeaths: DeathReport[] = [];

interface Rig {
  supervisor: Supervisor;
  pool: BurstPool;
  server: Server;
  url: string;
  seen: Set<number>;
  close(): Promise<void>;
}

async function rig(extraEnv: Record<string, string> = {}, config: Partial<LocalConfig> = {}): Promise<Rig> {
  const supervisor = new Supervisor({ logDir, graceMs: 3_000, onDeath: (r) => runDeaths.push(r) });
  const topology = {
    config: resolveConfig({ burstMaxReplicas: MAX, ...config }),
    ports: { frontend: 0, redis: redis.port, meshData: 0, meshAdmin: 0, prometheus: 0, watcher: 0, scaler: 0, primary: [] },
    programs: { redis: "", prometheus: "", worker: builtProgram("apps/worker/dist/index.js"), frontend: "", watcher: "", mesh: "" },
  };
  const pool = new BurstPool({
    supervisor,
    spec: (name, port) => burstWorkerSpec(topology, name, port, extraEnv),
    meshAdmin: meshUrls.adminUrl,
    max: MAX,
    log: (l) => lines.push(l),
    restartDelayMs: 1_000,
    probeIntervalMs: 500,
    // 3.6 EUR a replica-hour: a replica-second costs 0.001
    pricing: { burstReplicaHourlyCost: 3.6, currency: "EUR", burstReplicas: 2 },
  });
  const server = scaleServer(pool);
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, HOST, () => r()));
  await pool.start(0);
  const seen = new Set<number>();
  const watch = setInterval(() => supervisor.children().forEach((c) => seen.add(c.pid)), 100);
  return {
    supervisor,
    pool,
    server,
    url: `http://${HOST}:${port}`,
    seen,
    async close() {
      clearInterval(watch);
      pool.close();
      server.close();
      server.closeAllConnections();
      await supervisor.stopAll();
      mesh.setUpstreams("burst", []);
    },
  };
}

const scale = async (r: Rig, body: unknown) => request(`${r.url}/scale`, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });
const state = async (r: Rig) => (await request(`${r.url}/scale`)).json<{ desired: number; ready: number }>();
const upstreams = async () => (await request(`${meshUrls.adminUrl}/upstreams/burst`)).json<{ upstreams: string[] }>().upstreams;
const burstMembers = (r: Rig) => r.supervisor.children().filter((c) => c.name.startsWith("worker-burst-"));

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), "burst-pool-test-"));
  redis = await startRedis();
  mesh = createMesh({ upstreams: { primary: [], burst: [] }, weights: { primary: 0, burst: 100 } });
  meshUrls = await mesh.listen({});
});

afterAll(async () => {
  await mesh?.close(500);
  await redis?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe("the burst pool's scale endpoint", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(async () => {
    await r?.close();
    for (const pid of r.seen) expect(pidAlive(pid)).toBe(false);
  });

  it("starts empty: GET /scale answers {desired 0, ready 0} and the mesh has no burst upstream", async () => {
    expect(await state(r)).toEqual({ desired: 0, ready: 0 });
    expect(burstMembers(r)).toEqual([]);
    expect(await upstreams()).toEqual([]);
  });

  it.each([
    ["not JSON", "{replicas"],
    ["no replicas", { n: 1 }],
    ["not an integer", { replicas: 1.5 }],
    ["a string", { replicas: "2" }],
    ["below 0", { replicas: -1 }],
    ["above the maximum", { replicas: MAX + 1 }],
  ])("refuses a body that is %s with 400 and a JSON error, and changes nothing", async (_what, body) => {
    const res = await scale(r, body);
    expect(res.status).toBe(400);
    expect(res.json<{ error: string }>().error).toMatch(new RegExp(`\\{"replicas": n\\} with n an integer from 0 to ${MAX}`));
    expect(await state(r)).toEqual({ desired: 0, ready: 0 });
  });

  it("scales up: PUT answers at once, each worker joins the mesh once its /_healthz answered, and serves bursty- hashes", async () => {
    const res = await scale(r, { replicas: 2 });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ desired: 2, ready: 0 });
    await waitFor("2 ready", async () => (await state(r)).ready === 2, 30_000);
    const members = burstMembers(r);
    expect(members).toHaveLength(2);
    expect((await upstreams()).sort()).toEqual(r.pool.list().map((m) => m.url).sort());
    for (const m of members) expect((await request(`${m.url?.split(" ")[0]}/_healthz`)).status).toBe(200);
    const answer = await request(meshUrls.dataUrl, { method: "POST", body: JSON.stringify({ str: "x" }), headers: { "content-type": "application/json" } });
    expect(answer.status).toBe(200);
    expect(answer.json<{ hash: string }>().hash).toMatch(/^bursty-/);
    expect(lines.join("\n")).toMatch(/burst pool: scaled 0 -> 2 \(PUT \/scale\); 0 of 2 ready; cost so far 0\.0000 EUR for 0 replica-s \(always on: \d+\.\d{4} EUR\)/);
    expect(lines.join("\n")).toMatch(/burst pool: worker-burst-\d+ \(pid \d+\) ready at http:\/\/127\.0\.0\.1:\d+; 2 of 2 ready; cost so far \d+\.\d{4} EUR/);
    // the running cost: two replicas since the scale-up, priced
    const cost = r.pool.cost()!;
    expect(cost.burstReplicaSeconds).toBeGreaterThan(0);
    expect(cost.burstCost).toBeCloseTo(cost.burstReplicaSeconds * 0.001, 4); // replica-seconds are rounded to 0.1
    expect(cost.alwaysOnCost).toBeGreaterThan(cost.burstCost);
  });

  it("a member that dies is no longer ready and leaves the mesh, the rest runs on, and it is replaced after the back-off", async () => {
    const [victim] = burstMembers(r);
    process.kill(victim.pid, "SIGKILL");
    await waitFor("1 ready", async () => (await state(r)).ready === 1, 5_000);
    expect(await upstreams()).toHaveLength(1);
    expect(await upstreams()).not.toContain(victim.url);
    expect(runDeaths).toEqual([]);
    expect(lines.join("\n")).toContain(`${victim.name} (pid ${victim.pid}) was killed by SIGKILL;`);
    await waitFor("replaced: 2 ready", async () => (await state(r)).ready === 2, 20_000);
    expect(await state(r)).toEqual({ desired: 2, ready: 2 });
    expect(burstMembers(r).map((c) => c.pid)).not.toContain(victim.pid);
  });

  it("a hung member (SIGSTOP) fails its readiness probes and leaves the mesh; it comes back when it answers again", async () => {
    const [hung] = burstMembers(r);
    process.kill(hung.pid, "SIGSTOP");
    try {
      await waitFor("1 ready", async () => (await state(r)).ready === 1, 10_000);
      expect(await upstreams()).toHaveLength(1);
      expect(lines.join("\n")).toContain(`${hung.name} (pid ${hung.pid}) failed 3 readiness probes: out of the mesh`);
    } finally {
      process.kill(hung.pid, "SIGCONT");
    }
    await waitFor("2 ready again", async () => (await state(r)).ready === 2, 10_000);
    expect(await upstreams()).toHaveLength(2);
  });

  it("scales down: out of the mesh first, then SIGTERM; back to no burst process", async () => {
    const pids = burstMembers(r).map((c) => c.pid);
    const res = await scale(r, { replicas: 0 });
    expect(res.status).toBe(200);
    expect(res.json<{ desired: number }>().desired).toBe(0);
    expect(await upstreams()).toEqual([]);
    await waitFor("no burst process", () => burstMembers(r).length === 0 && pids.every((p) => !pidAlive(p)), 15_000);
    expect(await state(r)).toEqual({ desired: 0, ready: 0 });
    const stopped = r.supervisor.children().map((c) => c.name);
    expect(stopped.filter((n) => n.startsWith("worker-burst-"))).toEqual([]);
    for (const pid of pids) {
      const log = lines.find((l) => l.includes(`(pid ${pid}) stopped`));
      expect(log).toBeDefined();
    }
  });

  it("answers every request with the injected fault status, then normally again", async () => {
    r.pool.fault = 500;
    expect((await request(`${r.url}/scale`)).status).toBe(500);
    expect((await scale(r, { replicas: 1 })).status).toBe(500);
    r.pool.fault = null;
    expect(await state(r)).toEqual({ desired: 0, ready: 0 });
  });
});

describe("the burst pool with a worker that cannot start", () => {
  it("leaves the pool at 0 ready, says why, retries after the back-off, and never reaches the mesh", async () => {
    const r = await rig({ HASH_ROUNDS: "x" });
    try {
      const res = await scale(r, { replicas: 1 });
      expect(res.status).toBe(200);
      await waitFor("two failed starts", () => lines.filter((l) => /worker-burst-\d+ failed to start/.test(l)).length >= 2, 20_000);
      expect(await state(r)).toEqual({ desired: 1, ready: 0 });
      expect(await upstreams()).toEqual([]);
      expect(lines.join("\n")).toMatch(/HASH_ROUNDS/);
      expect(runDeaths).toEqual([]);
      expect(readFileSync(join(logDir, "worker-burst-1.log"), "utf8")).toMatch(/HASH_ROUNDS/);
    } finally {
      await r.close();
    }
    for (const pid of r.seen) expect(pidAlive(pid)).toBe(false);
  });
});

describe("the burst pool with a start stagger (--burst-start-stagger-ms)", () => {
  it("starts one worker at once and the next only a stagger later; one scaled away while it waits never starts", async () => {
    // a stagger far longer than the test waits: the second worker is still waiting for its turn
    const r = await rig({}, { burstStartStaggerMs: 60_000 });
    const from = lines.length;
    try {
      expect((await scale(r, { replicas: 2 })).json()).toEqual({ desired: 2, ready: 0 });
      await waitFor("1 ready", async () => (await state(r)).ready === 1, 30_000);
      const [first, second] = r.pool.list();
      expect(first.state).toBe("ready");
      expect(second).toMatchObject({ state: "starting", pid: undefined });
      expect(burstMembers(r).map((c) => c.name)).toEqual([first.name]);
      expect(await upstreams()).toEqual([first.url]);
      const ours = lines.slice(from).join("\n");
      expect(ours).toMatch(new RegExp(`burst pool: ${second.name} starts in \\d+\\.\\d s \\(a start stagger of 60000 ms\\); 0 of 2 ready`));
      expect(ours).not.toMatch(new RegExp(`${first.name} starts in`));
      // scaled down while the second waits: it goes without ever starting a process
      const pid = burstMembers(r)[0].pid;
      await scale(r, { replicas: 1 });
      await waitFor("the waiting member gone", () => r.pool.list().length === 1, 5_000);
      expect(r.pool.list()[0].name).toBe(first.name);
      expect(await state(r)).toEqual({ desired: 1, ready: 1 });
      expect(burstMembers(r).map((c) => c.pid)).toEqual([pid]);
    } finally {
      await r.close();
    }
    for (const pid of r.seen) expect(pidAlive(pid)).toBe(false);
  });

  it("with a short stagger the pool still gets to every replica ready", async () => {
    const r = await rig({}, { burstStartStaggerMs: 300 });
    const from = lines.length;
    try {
      await scale(r, { replicas: 2 });
      await waitFor("2 ready", async () => (await state(r)).ready === 2, 30_000);
      expect(await upstreams()).toHaveLength(2);
      expect(lines.slice(from).filter((l) => / starts in \d+\.\d s \(a start stagger of 300 ms\)/.test(l))).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});
