/**
 * Faults on the control path, under a steady request rate, in local mode with the real programs,
 * one after the other on one run:
 *  - Prometheus killed and restarted: the watcher holds the weights and counts its failed queries,
 *    then decides again (here: the burst it could not see while Prometheus was down);
 *  - the watcher killed while in burst and restarted: it stays in burst, no weight change;
 *  - the burst pool (scaled up by the watcher, SCALER=local) killed while it takes all the traffic:
 *    local mode takes the dead workers out of the mesh, the watcher sends the traffic back to primary
 *    (ready capacity 0, or its health guard); once the pool has replaced them, it bursts again;
 *  - the burst pool hung (SIGSTOP): its workers fail their readiness probes and leave the mesh, and
 *    the traffic returns to primary the same way.
 * Every call the frontend made is accounted for, and every 200 answer's hash reached the frontend.
 * Needs `npm run build` first (npm test does it).
 */
import { readFileSync } from "node:fs";
import { request } from "../helpers/local-http";
import { setFrequency } from "../helpers/local-stats";
import { sleep } from "../../packages/tooling/src/processes";
import {
  expectAccounted,
  expectAllDelivered,
  figures,
  meshWeights,
  metric,
  quiet,
  startFaultRun,
  stats,
  stopFaultRun,
  summary,
  until,
  type FaultRun,
  type Mark,
} from "./local-harness";

jest.setTimeout(120_000);

const LOW = 8; // below HIGH_RPS 15
const HIGH = 25; // above it
const RETRY_AFTER_S = 8;

let f: FaultRun;
/** The last quiet reading: each scenario accounts from there. */
let mark: Mark;

beforeAll(async () => {
  // LOW_RPS 3: the short pauses in which the tests take their readings do not end a burst
  f = await startFaultRun({ highRps: 15, lowRps: 3, burstRetryAfter: RETRY_AFTER_S * 1_000 });
  mark = await quiet(f.run, f.counter);
});

afterAll(async () => {
  await stopFaultRun(f);
});

interface Status {
  ready: boolean;
  phase: string;
  weights: { primary: number; burst: number };
  healthQuery: string | null;
  polls: number;
  lastSample: { kind: string; message?: string } | null;
  lastDecision: { action: string; reason: string } | null;
  lastChange: unknown;
}

const status = async () => (await request(`${f.run.urls.watcher}/status`)).json<Status>();
const watcherMetric = (name: string, labels?: Record<string, string>) => metric(`${f.run.urls.watcher}/metrics`, name, labels);
const total = (s: { hashes: { primary: number; burst: number } }) => s.hashes.primary + s.hashes.burst;

/** Waits for `n` more hashes (from `pool` when given) and 200 answers than now. */
async function flowing(what: string, n: number, pool?: "primary" | "burst", timeoutMs = 30_000): Promise<void> {
  const from = await stats(f.run.urls.frontend);
  await until(
    what,
    async () => {
      const s = await stats(f.run.urls.frontend);
      const hashes = pool ? s.hashes[pool] - from.hashes[pool] : total(s) - total(from);
      return s.ok - from.ok >= n && hashes >= n ? true : undefined;
    },
    timeoutMs,
  );
}

async function nextChange(action: string, since: number, timeoutMs: number) {
  return until(`a weight change ${action}`, async () => f.run.weightChanges.slice(since).find((c) => c.action === action), timeoutMs);
}

describe("local mode faults on the control path", () => {
  it("has the burst health guard on by default, over the mesh's reporter=source metrics and the run's rate window", async () => {
    const s = await status();
    expect(s.healthQuery).toBe(
      '(sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local",destination_cluster="burst",response_code!~"0|5.."}[5s])) or vector(0))' +
        ' / sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local",destination_cluster="burst"}[5s]))',
    );
    expect(f.out.text()).toContain(`  health:  ${s.healthQuery}`);
  });

  it("Prometheus killed and restarted: the watcher holds the weights, counts failed queries, then decides again", async () => {
    const { run, counter } = f;
    const fe = run.urls.frontend;
    const before = mark;
    await setFrequency(fe, LOW);
    await flowing("hashes to flow", 10);
    expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });
    const changes = run.weightChanges.length;
    const errors0 = await watcherMetric("watcher_query_errors_total");

    await run.stopPart("prometheus");
    const downAt = Date.now();
    // the load rises above HIGH_RPS while nobody can see it
    await setFrequency(fe, HIGH);
    const errors1 = await until("the watcher to count failed queries", async () => {
      const n = await watcherMetric("watcher_query_errors_total");
      return n - errors0 >= 6 ? n : undefined;
    }, 15_000);
    const held = await status();
    expect(held.lastSample).toMatchObject({ kind: "error", message: expect.stringMatching(/request failed|timed out/) });
    expect(held.lastDecision?.action).toBe("query-error");
    expect(held.weights).toEqual({ primary: 100, burst: 0 });
    expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });
    expect(run.weightChanges.length).toBe(changes);
    const log = readFileSync(run.children.find((c) => c.name === "watcher")!.logPath, "utf8");
    expect(log).toMatch(/"msg":"Prometheus query failed; holding weights"/);
    // the traffic does not depend on Prometheus
    await flowing("hashes to flow without Prometheus", 20, "primary");

    const noData0 = await watcherMetric("watcher_no_data_total");
    await run.startPart("prometheus");
    const upAt = Date.now();
    const change = await nextChange("to-burst", changes, 30_000);
    const resumedMs = Date.now() - upAt;
    // the watcher moves weight only to ready capacity: a share while the pool's members come up, then all
    expect(change.to.burst).toBeGreaterThan(0);
    expect(change.reason).toMatch(/> HIGH_RPS 15/);
    expect((await status()).lastSample?.kind).toBe("value");
    const errors2 = await watcherMetric("watcher_query_errors_total");
    // a restarted Prometheus answers before it scrapes (its target discovery hands the targets over
    // after about 5 s): the watcher holds on "no data" until then
    const noData = (await watcherMetric("watcher_no_data_total")) - noData0;
    await sleep(1_500);
    // queries work again (three polls; one slow answer on a loaded machine is not a failure of this test)
    expect((await watcherMetric("watcher_query_errors_total")) - errors2).toBeLessThanOrEqual(1);
    await flowing("burst hashes to flow", 20, "burst");
    await until("weights 0/100 once the burst pool is ready", async () => ((await meshWeights(run)).burst === 100 ? true : undefined), 30_000);

    mark = await quiet(run, counter, before);
    const fig = figures(before, mark);
    console.log(
      summary(
        "prometheus killed and restarted",
        fig,
        `down ${((upAt - downAt) / 1000).toFixed(1)} s with ${errors2 - errors0} failed watcher queries (${errors1 - errors0} when checked), weights held at 100/0; after the restart ${noData} polls without data, then to-burst ${(resumedMs / 1000).toFixed(1)} s after it`,
      ),
    );
    expectAccounted(fig);
    expectAllDelivered(fig);
  });

  it("the watcher killed while in burst and restarted: it stays in burst, no weight change", async () => {
    const { run, counter } = f;
    const fe = run.urls.frontend;
    const before = mark;
    expect(await meshWeights(run)).toEqual({ primary: 0, burst: 100 });
    await setFrequency(fe, HIGH);
    await flowing("burst hashes to flow", 20, "burst");
    const changes = run.weightChanges.length;
    const oldPid = run.children.find((c) => c.name === "watcher")!.pid;

    await run.stopPart("watcher");
    await flowing("burst hashes to flow without a watcher", 20, "burst");
    expect(await meshWeights(run)).toEqual({ primary: 0, burst: 100 });
    const part = await run.startPart("watcher");
    expect(part.pid).not.toBe(oldPid);

    const s = await status();
    expect(s).toMatchObject({ ready: true, phase: "burst", weights: { primary: 0, burst: 100 }, lastChange: null });
    const found = readFileSync(part.logPath, "utf8")
      .split("\n")
      .filter((l) => l.includes('"msg":"found current weights"'))
      .map((l) => JSON.parse(l) as { phase: string; weights: unknown });
    // one line from the first watcher (natural), one from this one (burst); the log file is shared
    expect(found).toEqual([expect.objectContaining({ phase: "natural" }), expect.objectContaining({ phase: "burst", weights: { primary: 0, burst: 100 } })]);
    // it polls and decides at 25 req/s: hold (burst), never a change
    const polls0 = s.polls;
    await until("six polls", async () => ((await status()).polls >= polls0 + 6 ? true : undefined), 15_000);
    const later = await status();
    expect(later.lastSample?.kind).toBe("value");
    expect(later.lastDecision?.action).toBe("hold");
    expect(later.lastChange).toBeNull();
    expect(run.weightChanges.length).toBe(changes);
    expect(await meshWeights(run)).toEqual({ primary: 0, burst: 100 });

    mark = await quiet(run, counter, before);
    const fig = figures(before, mark);
    console.log(summary("watcher killed in burst and restarted", fig, `weights stayed 0/100, ${later.polls} polls after the restart, no change`));
    expectAccounted(fig);
    expectAllDelivered(fig);
    expect(fig.hashesBurst).toBeGreaterThan(fig.hashesPrimary);
  });

  /** The burst pool's members that serve now (the watcher scaled the pool up for the burst). */
  const readyMembers = () => f.run.burstPool.members().filter((m) => m.state === "ready" && m.pid !== undefined);
  const burstWeightZero = (since: number) => async () => f.run.weightChanges.slice(since).find((c) => c.to.burst === 0);

  it("the burst pool killed while bursting: its workers leave the mesh, the watcher returns the traffic to primary, and bursts again once the pool is back", async () => {
    const { run, counter, out } = f;
    const fe = run.urls.frontend;
    const before = mark;
    expect(await meshWeights(run)).toEqual({ primary: 0, burst: 100 });
    await setFrequency(fe, HIGH);
    await flowing("burst hashes to flow", 20, "burst");
    const changes = run.weightChanges.length;
    const victims = readyMembers();
    expect(victims.length).toBeGreaterThan(0);

    // a crash of every member (not stopPart: the pool must find out by itself)
    for (const m of victims) process.kill(m.pid!, "SIGKILL");
    const killAt = Date.now();
    await until("the pool to see no ready member", async () => (run.burstPool.state().ready === 0 ? true : undefined), 5_000);
    // a dead member is a fault the watcher handles, not the end of the run
    expect(run.children.map((c) => c.name)).toEqual(expect.arrayContaining(["redis", "mesh", "watcher", "frontend"]));
    for (const m of victims) expect(out.text()).toContain(`burst pool: ${m.name} (pid ${m.pid}) was killed by SIGKILL;`);
    const fallback = await until("a weight change back to primary", burstWeightZero(changes), 30_000);
    const fallbackMs = Date.now() - killAt;
    const atFallback = await stats(fe);
    expect(fallback).toMatchObject({ to: { primary: 100, burst: 0 } });
    expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });
    await flowing("primary hashes to flow", 20, "primary");

    // the pool replaces its members after the back-off; the watcher bursts again once they are ready
    const back = await until("a weight change to burst again", async () => run.weightChanges.slice(changes).find((c) => c.to.burst > 0 && c.seq > fallback.seq), 60_000);
    expect(run.burstPool.state().ready).toBeGreaterThan(0);
    await flowing("burst hashes to flow again", 20, "burst");

    mark = await quiet(run, counter, before);
    const fig = figures(before, mark);
    const failedBeforeFallback = atFallback.errors - before.stats.errors;
    console.log(
      summary(
        "burst pool killed while bursting",
        fig,
        `${fallback.action} ${(fallbackMs / 1000).toFixed(1)} s after the kill (${failedBeforeFallback} calls failed by then), to burst again ${((Date.parse(back.at) - Date.parse(fallback.at)) / 1000).toFixed(1)} s after it`,
      ),
    );
    expectAccounted(fig);
    expect(fig.errors).toBe((fig.responses["503"] ?? 0) + (fig.responses["502"] ?? 0) + (fig.responses.error ?? 0) + (fig.responses.timeout ?? 0) + fig.dropped);
    // the failures are the calls sent to burst before the fallback (give or take those in flight when it was read)
    expect(fig.errors - failedBeforeFallback).toBeLessThanOrEqual(2);
    // every 200's hash arrived; a call a killed worker had published but not answered is a hash without a 200
    expect(fig.hashes).toBeGreaterThanOrEqual(fig.ok);
    expect(fig.hashes - fig.ok).toBeLessThanOrEqual(victims.length * 2);
    expect(fig.channel).toBe(fig.hashes);
  });

  it("the burst pool hung (SIGSTOP) while bursting: its workers fail their readiness probes and leave the mesh, the traffic returns to primary", async () => {
    const { run, counter } = f;
    const fe = run.urls.frontend;
    const before = mark;
    expect((await meshWeights(run)).burst).toBeGreaterThan(0);
    await setFrequency(fe, HIGH);
    await flowing("burst hashes to flow", 20, "burst");
    const changes = run.weightChanges.length;
    const hung = readyMembers();
    expect(hung.length).toBeGreaterThan(0);

    for (const m of hung) process.kill(m.pid!, "SIGSTOP");
    const hungAt = Date.now();
    let fallbackMs: number;
    let action: string;
    try {
      await until("the pool to see no ready member", async () => (run.burstPool.state().ready === 0 ? true : undefined), 10_000);
      const fallback = await until("a weight change back to primary", burstWeightZero(changes), 40_000);
      fallbackMs = Date.now() - hungAt;
      action = fallback.action;
      expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });
      await flowing("primary hashes to flow", 20, "primary");
    } finally {
      for (const m of hung) process.kill(m.pid!, "SIGCONT");
    }

    mark = await quiet(run, counter, before);
    const fig = figures(before, mark);
    const extra = fig.hashes - fig.ok;
    console.log(
      summary(
        "burst pool hung while bursting",
        fig,
        `${action} ${(fallbackMs / 1000).toFixed(1)} s after the hang; hashes without a 200 ${extra} (published when the workers resumed, for calls that had timed out)`,
      ),
    );
    expectAccounted(fig);
    expect(fig.errors).toBe((fig.responses.timeout ?? 0) + (fig.responses["503"] ?? 0) + (fig.responses["502"] ?? 0) + (fig.responses.error ?? 0) + fig.dropped);
    // every 200's hash arrived; the hung workers, once resumed, may still publish calls that timed out
    expect(fig.hashes).toBeGreaterThanOrEqual(fig.ok);
    expect(extra).toBeLessThanOrEqual(fig.responses.timeout ?? 0);
    expect(fig.channel).toBe(fig.hashes);
  });
});
