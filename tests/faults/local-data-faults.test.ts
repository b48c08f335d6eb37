/**
 * Faults on the data path, under a steady request rate, in local mode with the real programs:
 * Redis killed and started again, and the primary worker pool's process killed and started again.
 * Every call the frontend made is accounted for (answered, failed, dropped), and every 200 answer's
 * hash reached the frontend. Needs `npm run build` first (npm test does it).
 *
 * The watcher's thresholds are set out of reach (100/50 req/s): these faults are about the traffic,
 * which stays on the primary pool.
 */
import { parseMetrics, request } from "../helpers/local-http";
import { setFrequency } from "../helpers/local-stats";
import { sleep } from "../../packages/tooling/src/processes";
import {
  expectAccounted,
  expectAllDelivered,
  figures,
  httpStatus,
  meshWeights,
  quiet,
  startFaultRun,
  stats,
  stopFaultRun,
  summary,
  until,
  type FaultRun,
} from "./local-harness";

jest.setTimeout(120_000);

const RATE = 20;

let f: FaultRun;

beforeAll(async () => {
  f = await startFaultRun({ highRps: 100, lowRps: 50 });
});

afterAll(async () => {
  await stopFaultRun(f);
});

const probe = { method: "POST", body: '{"str":"probe"}' };
const others = (name: string) => f.run.children.filter((c) => c.name !== name).map((c) => `${c.name}:${c.pid}`);
const total = (s: { hashes: { primary: number; burst: number } }) => s.hashes.primary + s.hashes.burst;

/** Waits for the next 200 answer; returns the ms it took. */
async function firstOk(): Promise<number> {
  const t = Date.now();
  const from = await stats(f.run.urls.frontend);
  await until("a 200 answer", async () => ((await stats(f.run.urls.frontend)).ok > from.ok ? true : undefined), 20_000, 50);
  return Date.now() - t;
}

/** Waits for `n` more 200 answers and hashes than in the reading `from` (a sign traffic flows). */
async function flowing(what: string, n: number, timeoutMs = 20_000): Promise<void> {
  const from = await stats(f.run.urls.frontend);
  await until(what, async () => {
    const s = await stats(f.run.urls.frontend);
    return s.ok - from.ok >= n && total(s) - total(from) >= n ? true : undefined;
  }, timeoutMs);
}

describe("local mode faults on the data path, at 20 req/s", () => {
  it("Redis killed and restarted: workers answer 503, the frontend counts them, everything recovers by itself", async () => {
    const { run, counter } = f;
    const fe = run.urls.frontend;
    const worker = run.urls.workers.primary[0];
    const unchanged = others("redis");
    const before = await quiet(run, counter);

    await setFrequency(fe, RATE);
    await flowing("hashes to flow", 40);
    await run.stopPart("redis");
    const downAt = Date.now();

    // While Redis is down: a worker refuses to pretend (503, nothing published), it and the frontend
    // report not ready, and the frontend counts the 503s that reach it through the mesh.
    const direct = await request(worker, { ...probe, headers: { "content-type": "application/json" } });
    expect(direct.status).toBe(503);
    expect(direct.json()).toEqual({ error: expect.stringMatching(/^redis unavailable, hash not published/) });
    await until("worker /_healthz 503", async () => ((await httpStatus(`${worker}/_healthz`)) === 503 ? true : undefined), 10_000);
    await until("frontend /_healthz 503", async () => ((await httpStatus(`${fe}/_healthz`)) === 503 ? true : undefined), 10_000);
    await until("the frontend to count 503s", async () => ((await stats(fe)).responses["503"] ?? 0) - (before.stats.responses["503"] ?? 0) >= 20 || undefined, 10_000);
    const down = await stats(fe);
    await sleep(1_000);
    const stillDown = await stats(fe);
    expect(stillDown.ok).toBe(down.ok); // no 200 without Redis
    expect(total(stillDown)).toBe(total(down));

    await run.startPart("redis");
    const upAt = Date.now();
    await until(
      "every worker and the frontend ready again",
      async () => {
        const urls = [...run.urls.workers.primary, ...run.burstPool.members().map((m) => m.url), fe].map((u) => `${u}/_healthz`);
        const codes = await Promise.all(urls.map((u) => httpStatus(u)));
        return codes.every((c) => c === 200) ? true : undefined;
      },
      20_000,
    );
    const readyMs = Date.now() - upAt;
    const okMs = (await firstOk()) + readyMs;
    await flowing("hashes to flow again", 40);
    expect(others("redis")).toEqual(unchanged); // nothing else was restarted
    expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });

    const after = await quiet(run, counter, before);
    const fig = figures(before, after);
    const lost = fig.ok - fig.hashes;
    console.log(
      summary(
        "redis killed and restarted",
        fig,
        `down ${((upAt - downAt) / 1000).toFixed(1)} s; after the restart every part ready within ${(readyMs / 1000).toFixed(1)} s, first 200 after ${(okMs / 1000).toFixed(1)} s; 200s without a hash at the frontend ${lost}`,
      ),
    );
    expectAccounted(fig);
    expect(fig.responses["503"]).toBeGreaterThanOrEqual(20);
    expect(fig.errors).toBe(fig.responses["503"] + (fig.responses.error ?? 0) + (fig.responses.timeout ?? 0) + fig.dropped);
    // A 200 is only answered after Redis took the publish. The frontend's subscription and the
    // workers' connections come back on their own schedules (each retries within 1 s), so hashes
    // published in the moment the workers are back and the subscription is not are 200s that reach
    // nobody: allowed here, bounded by about a second of traffic, and reported.
    expect(fig.hashes).toBeLessThanOrEqual(fig.ok + 2);
    expect(lost).toBeLessThanOrEqual(RATE * 1.5);

    // Once recovered, the accounting is exact again: every call answered 200, every hash delivered.
    await setFrequency(fe, RATE);
    await sleep(3_000);
    const end = await quiet(run, counter, after);
    const clean = figures(after, end);
    console.log(summary("redis, after recovery", clean));
    expectAccounted(clean);
    expect(clean.sent).toBeGreaterThanOrEqual(RATE * 2);
    expectAllDelivered(clean);
  });

  it("the primary worker pool's process killed and started again under load: calls fail during the gap, are counted, then it recovers", async () => {
    const { run, counter } = f;
    const fe = run.urls.frontend;
    const name = "worker-primary-1";
    const unchanged = others(name);
    const oldPid = run.children.find((c) => c.name === name)!.pid;
    const before = await quiet(run, counter);

    await setFrequency(fe, RATE);
    await flowing("hashes to flow", 40);
    await run.stopPart(name);
    const downAt = Date.now();
    // the mesh cannot connect: 503 (UF) for every call to the pool, counted by the frontend
    await until("the frontend to count 503s", async () => ((await stats(fe)).responses["503"] ?? 0) - (before.stats.responses["503"] ?? 0) >= 20 || undefined, 10_000);
    const failed = await metric503UF();
    expect(failed).toBeGreaterThanOrEqual(20);

    const part = await run.startPart(name);
    const upAt = Date.now();
    expect(part.pid).not.toBe(oldPid);
    const okMs = await firstOk();
    await flowing("hashes to flow again", 40);
    expect(others(name)).toEqual(unchanged);

    const after = await quiet(run, counter, before);
    const fig = figures(before, after);
    console.log(
      summary(
        "primary worker killed and restarted",
        fig,
        `down ${((upAt - downAt) / 1000).toFixed(1)} s (its restart until ready included); first 200 ${(okMs / 1000).toFixed(1)} s after it was ready`,
      ),
    );
    expectAccounted(fig);
    expect(fig.responses["503"]).toBeGreaterThanOrEqual(20);
    // Every 200's hash arrived. A call the worker had published when it was killed, but not yet
    // answered, is a hash without a 200 (at most the calls in flight at the kill).
    expect(fig.hashes).toBeGreaterThanOrEqual(fig.ok);
    expect(fig.hashes - fig.ok).toBeLessThanOrEqual(2);
    expect(fig.channel).toBe(fig.hashes);
  });
});

/** Calls the mesh answered 503 UF (upstream connect failure) for the primary pool, so far. */
async function metric503UF(): Promise<number> {
  const text = (await request(`${f.run.urls.meshAdmin}/metrics`)).text;
  return parseMetrics(text)
    .filter((m) => m.name === "istio_requests_total" && m.labels.destination_cluster === "primary" && m.labels.response_code === "503" && m.labels.response_flags === "UF")
    .reduce((a, m) => a + m.value, 0);
}
