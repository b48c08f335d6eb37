/**
 * A scale request that fails, in local mode with the real programs, under a rate above HIGH_RPS:
 *  - every burst worker fails to start (a bad HASH_ROUNDS in its environment): the pool never has a
 *    ready member, so the watcher moves no weight to burst and primary serves every request;
 *  - the scale endpoint answers 500: the watcher cannot scale, and keeps the traffic on primary.
 * Every call the frontend made is accounted for, none failed, and every hash arrived.
 * Needs `npm run build` first (npm test does it), and a watcher that reads SCALER=local.
 */
import { request } from "../helpers/local-http";
import { setFrequency } from "../helpers/local-stats";
import { sleep } from "../../packages/tooling/src/processes";
import { expectAccounted, expectAllDelivered, figures, meshWeights, quiet, startFaultRun, stats, stopFaultRun, summary, until, type FaultRun } from "./local-harness";

jest.setTimeout(120_000);

const HIGH = 25;
const HOLD_S = 15;

/** 25 req/s for HOLD_S seconds; the weights never leave primary and primary serves everything. */
async function holdsOnPrimary(f: FaultRun, scenario: string, checkDuring: () => Promise<void>): Promise<void> {
  const { run, counter } = f;
  const before = await quiet(run, counter);
  await setFrequency(run.urls.frontend, HIGH);
  const end = Date.now() + HOLD_S * 1_000;
  while (Date.now() < end) {
    expect(await meshWeights(run)).toEqual({ primary: 100, burst: 0 });
    await sleep(500);
  }
  await checkDuring();
  const mark = await quiet(run, counter, before);
  const fig = figures(before, mark);
  const status = (await request(`${run.urls.watcher}/status`)).json<{ burstPool: unknown; lastDecision: { action: string; reason: string } | null }>();
  console.log(summary(scenario, fig, `weights 100/0 throughout; the watcher's pool view ${JSON.stringify(status.burstPool)}, last decision ${JSON.stringify(status.lastDecision)}`));
  expect(run.weightChanges.filter((c) => c.to.burst > 0)).toEqual([]);
  expect(fig.hashesBurst).toBe(0);
  expect(fig.hashesPrimary).toBeGreaterThan(HOLD_S * HIGH * 0.8);
  expectAccounted(fig);
  expectAllDelivered(fig);
}

describe("a burst worker that cannot start", () => {
  let f: FaultRun;
  beforeAll(async () => {
    f = await startFaultRun({ highRps: 15, lowRps: 3, burstWorkerEnv: { HASH_ROUNDS: "x" }, burstRestartDelayMs: 2_000 });
  });
  afterAll(async () => {
    await stopFaultRun(f);
  });

  it("the watcher asks for burst workers, none becomes ready, and the traffic stays on primary with no failed request", async () => {
    await holdsOnPrimary(f, "burst workers fail to start", async () => {
      // the watcher asked, and the pool said why nothing came up
      await until("a scale request", async () => (f.run.burstPool.state().desired > 0 ? true : undefined), 5_000);
      expect(f.run.burstPool.state().ready).toBe(0);
      expect(f.out.text()).toMatch(/burst pool: worker-burst-\d+ failed to start, next try in \d+ s: .*HASH_ROUNDS/);
      expect((await stats(f.run.urls.frontend)).errors).toBe(0);
    });
  });
});

describe("the scale endpoint answering 500", () => {
  let f: FaultRun;
  beforeAll(async () => {
    f = await startFaultRun({ highRps: 15, lowRps: 3 });
    f.run.burstPool.setFault(500);
  });
  afterAll(async () => {
    await stopFaultRun(f);
  });

  it("the watcher cannot scale, keeps the traffic on primary, and no request fails", async () => {
    expect((await request(`${f.run.urls.scaler}/scale`)).status).toBe(500);
    await holdsOnPrimary(f, "scale endpoint answers 500", async () => {
      expect(f.run.burstPool.state()).toEqual({ desired: 0, ready: 0 });
      expect(f.run.children.filter((c) => c.name.startsWith("worker-burst-"))).toEqual([]);
    });
  });
});
