/**
 * Burst capacity on demand, end to end in local mode with its defaults (burstMinReplicas 0, switch
 * mode, burstReplicas 2) and short windows so that the test stays under a minute: idle -> no burst
 * worker process; a step to 25 req/s -> the watcher starts burst workers (SCALER=local), moves the
 * weight once they are ready, and not one request fails; back to 0 req/s -> no burst worker process
 * after the cooldown. Needs `npm run build` first (npm test does it), and a watcher that reads
 * SCALER=local.
 */
import type { BurstCost } from "@istio-burst/contract";
import { startLocal, type LocalRun } from "../../local/src/run";
import { pidAlive } from "../../local/src/supervisor";
import { sleep } from "../../packages/tooling/src/processes";
import { request } from "../helpers/local-http";
import { getStats, setFrequency, waitForShare } from "../helpers/local-stats";
import { collector, until } from "../faults/local-harness";
import { QUICK_RUN } from "./quick-run";

jest.setTimeout(120_000);

const COOLDOWN_S = 5;
let run: LocalRun;
const out = collector();
const seen = new Set<number>();
let watch: NodeJS.Timeout;

const burstProcesses = () => run.children.filter((c) => c.name.startsWith("worker-burst-"));
const scaleState = async () => (await request(`${run.urls.scaler}/scale`)).json<{ desired: number; ready: number }>();

beforeAll(async () => {
  run = await startLocal({ ...QUICK_RUN, scaleDownCooldown: COOLDOWN_S * 1_000, out: out.stream, err: collector().stream, graceMs: 5_000 });
  watch = setInterval(() => run.children.forEach((c) => seen.add(c.pid)), 100);
});

afterAll(async () => {
  clearInterval(watch);
  await run?.stop();
  for (const pid of seen) expect(pidAlive(pid)).toBe(false);
});

describe("burst capacity on demand in local mode", () => {
  it("idles with no burst worker process, and says so in its table", async () => {
    expect(run.config.burstMinReplicas).toBe(0);
    expect(burstProcesses()).toEqual([]);
    expect(await scaleState()).toEqual({ desired: 0, ready: 0 });
    expect(out.text()).toMatch(/^ +burst-pool +\d+ +\S+\/scale +0 of 0 ready \(min 0, max 5; scaled by the watcher\)/m);
    await setFrequency(run.urls.frontend, 3);
    await sleep(4_000);
    expect(burstProcesses()).toEqual([]);
    const status = (await request(`${run.urls.watcher}/status`)).json<{ burstPool: { desired: number; ready: number } | null }>();
    expect(status.burstPool).toMatchObject({ desired: 0, ready: 0 });
  });

  it("a step to 25 req/s: burst workers start, the weight moves once they are ready, burst serves and no request fails", async () => {
    await setFrequency(run.urls.frontend, 25);
    const hit = await waitForShare(run.urls.frontend, "burst share >= 90 % at 25 req/s", (s) => s >= 0.9, { minHashes: 20, timeoutMs: 60_000 });
    expect(hit.hit.share).toBeGreaterThanOrEqual(0.9);
    const pool = await scaleState();
    expect(pool.ready).toBeGreaterThanOrEqual(1);
    expect(burstProcesses().length).toBe(pool.desired);
    // the weight moved only to ready capacity: the pool was ready before the first change to burst
    const toBurst = run.weightChanges.find((c) => c.to.burst > 0)!;
    expect(toBurst).toBeDefined();
    const text = out.text();
    const firstReady = text.search(/burst pool: worker-burst-\d+ \(pid \d+\) ready at /);
    const firstChange = text.search(/weights primary +\d+ \/ burst +[1-9]\d* /);
    expect(firstReady).toBeGreaterThan(-1);
    expect(firstReady).toBeLessThan(firstChange);
    expect(text).toMatch(/burst pool: scaled 0 -> \d+ \(PUT \/scale\)/);
    // the page's routing panel reads it from /api/routing
    const routing = (await request(`${run.urls.frontend}/api/routing`)).json<{ burstPool?: { ready: number; desired: number }; cost?: BurstCost }>();
    expect(routing.burstPool).toEqual({ ready: pool.ready, desired: pool.desired });
    // and what the pool has cost since the watcher started, beside an always-on pool of burstReplicas
    const cost = routing.cost!;
    expect(cost).toMatchObject({ currency: run.config.currency });
    expect(cost.burstReplicaSeconds).toBeGreaterThan(0);
    expect(cost.burstCost).toBeCloseTo((cost.burstReplicaSeconds * run.config.burstReplicaHourlyCost) / 3600, 5);
    expect(cost.alwaysOnCost).toBeGreaterThan(cost.burstCost);
    expect(Date.parse(cost.since)).toBeLessThan(Date.parse(toBurst.at));
    // local mode's line for each pool change says what the pool has cost so far
    expect(text).toMatch(/burst pool: scaled 0 -> \d+ \(PUT \/scale\); 0 of \d+ ready; cost so far \d+\.\d{4} USD for \d+ replica-s \(always on: \d+\.\d{4} USD\)/);
    const stats = await getStats(run.urls.frontend);
    expect(stats.errors).toBe(0);
  });

  it("back to 0 req/s: the weight returns to primary and the pool to 0 processes after the cooldown, still with no failed request", async () => {
    await setFrequency(run.urls.frontend, 0);
    await until("weights back to primary", async () => ((await request(`${run.urls.meshAdmin}/weights`)).json<{ burst: number }>().burst === 0 ? true : undefined), 40_000);
    const pids = burstProcesses().map((c) => c.pid);
    await until("no burst worker process", async () => (burstProcesses().length === 0 && (await scaleState()).desired === 0 ? true : undefined), 40_000);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(out.text()).toMatch(/burst pool: scaled \d+ -> 0 \(PUT \/scale\)/);
    expect((await getStats(run.urls.frontend)).errors).toBe(0);
  });
});
