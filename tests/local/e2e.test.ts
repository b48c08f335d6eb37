/**
 * End to end: local mode with the real programs (redis-server, worker pools, mesh, Prometheus,
 * watcher, frontend). Needs `npm run build` first (npm test does it).
 *
 * The watcher keeps its default query's shape with a 5 s rate window (RATE_WINDOW) and a 2 s
 * MIN_DWELL, so that a switch takes seconds instead of the ~20 s the 30 s window gives.
 */
import { PassThrough } from "node:stream";
import { existsSync } from "node:fs";
import { startLocal, type LocalExit, type LocalRun } from "../../local/src/run";
import { pidAlive } from "../../local/src/supervisor";
import { launchChromium, maybeScreenshot } from "../helpers/browser";
import { request } from "../helpers/local-http";
import { getStats, setFrequency, waitForShare } from "../helpers/local-stats";
import { waitFor } from "../../packages/tooling/src/processes";
import { QUICK_RUN } from "./quick-run";

jest.setTimeout(150_000);

// Browser globals for the functions evaluated in the page (the tree is type-checked without the DOM lib).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: any): any;

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
  return { stream, text: () => text };
}

describe("local mode end to end", () => {
  let run: LocalRun;
  const out = collector();
  const err = collector();
  let pids: number[] = [];
  /** row geometry of the page's hash list, measured in the browser test */
  let rows: { rowHeight: number; lineHeight: number; items: number } | undefined;

  beforeAll(async () => {
    run = await startLocal({ ...QUICK_RUN, primaryWorkers: 2, out: out.stream, err: err.stream, graceMs: 10_000 });
    pids = run.children.map((c) => c.pid);
    // burst workers come and go with the load: every one that ran must be gone at the end
    const watch = setInterval(() => {
      for (const c of run.children) if (!pids.includes(c.pid)) pids.push(c.pid);
    }, 250);
    watch.unref();
    void run.done.then(() => clearInterval(watch));
  });

  afterAll(async () => {
    await run?.stop();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it("prints what runs where, with every part alive", async () => {
    const names = run.children.map((c) => c.name);
    // the burst pool starts empty (burstMinReplicas 0): the watcher scales it
    expect(names).toEqual(["redis", "worker-primary-1", "worker-primary-2", "mesh", "prometheus", "watcher", "frontend"]);
    expect(out.text()).toMatch(new RegExp(`^ +burst-pool +${process.pid} +${run.urls.scaler}/scale +0 of 0 ready \\(min 0, max 5`, "m"));
    for (const c of run.children) {
      expect(pidAlive(c.pid)).toBe(true);
      expect(out.text()).toMatch(new RegExp(`^ +${c.name} +${c.pid} +\\S+`, "m"));
    }
    expect(out.text()).toContain(run.urls.frontend);
    expect(out.text()).toContain("[5s]");
    expect((await request(`${run.urls.meshAdmin}/weights`)).json()).toEqual({ primary: 100, burst: 0 });
    const status = (await request(`${run.urls.watcher}/status`)).json<{ query: string }>();
    expect(status.query).toBe(
      'sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local"}[5s]))',
    );
  });

  it("bursts at 25 req/s (>= 90 % of new hashes from burst) and returns to primary at 3 req/s", async () => {
    const t0 = Date.now();
    await setFrequency(run.urls.frontend, 25);
    const up = await waitForShare(run.urls.frontend, "burst share >= 90 % at 25 req/s", (s) => s >= 0.9, { minHashes: 20, timeoutMs: 60_000 });
    const toBurstMs = Date.now() - t0;
    expect(up.hit.share).toBeGreaterThanOrEqual(0.9);
    expect((await request(`${run.urls.meshAdmin}/weights`)).json()).toEqual({ primary: 0, burst: 100 });
    // the watcher moves weight only to ready capacity: a share while the burst pool comes up, then all
    // (the way to 100 may pass through a share capped by the ready replicas: the reason then names them)
    expect(run.weightChanges[0]).toMatchObject({ action: "to-burst", from: { primary: 100, burst: 0 }, dryRun: false });
    expect(run.weightChanges[0].reason).toMatch(/HIGH_RPS/);
    const burstChange = run.weightChanges.find((c) => c.to.burst === 100);
    expect(burstChange).toMatchObject({ to: { primary: 0, burst: 100 }, dryRun: false });
    expect(burstChange!.reason).toMatch(/HIGH_RPS|burst replicas becoming ready/);
    expect(out.text()).toMatch(/weights primary +0 \/ burst 100 +(to-burst|step-up): /);

    const t1 = Date.now();
    await setFrequency(run.urls.frontend, 3);
    const down = await waitForShare(run.urls.frontend, "burst share ~0 at 3 req/s", (s) => s <= 0.05, { windowMs: 3_000, minHashes: 5, timeoutMs: 60_000 });
    const backMs = Date.now() - t1;
    expect(down.hit.share).toBeLessThanOrEqual(0.05);
    expect((await request(`${run.urls.meshAdmin}/weights`)).json()).toEqual({ primary: 100, burst: 0 });
    const actions = run.weightChanges.map((c) => c.action);
    expect(actions[0]).toBe("to-burst");
    expect(actions[actions.length - 1]).toBe("to-natural");
    expect(actions.filter((a) => a !== "to-burst" && a !== "step-up")).toEqual(["to-natural"]);
    expect(out.text()).toMatch(/weights primary 100 \/ burst +0 +to-natural: /);
    const stats = await getStats(run.urls.frontend);
    expect(stats.errors).toBe(0);
    // figures for the record (not asserted: no timed speed assertions)
    process.stdout.write(`local e2e: 90 % burst after ${(toBurstMs / 1000).toFixed(1)} s, back to primary after ${(backMs / 1000).toFixed(1)} s\n`);
  });

  it("shows the same in a real browser: the page's box sets the rate, burst hashes are marked, the chart moves", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(run.urls.frontend);
      await page.waitForSelector("#connection.connected", { timeout: 20_000 });
      await page.fill("#freq", "25");
      await page.click("#freq-submit");
      await page.waitForFunction(() => document.getElementById("freq-current")?.textContent === "25", undefined, { timeout: 10_000 });
      expect((await getStats(run.urls.frontend)).freq).toBe(25);

      // burst hashes appear in the list, marked as such, and the chart's burst series rises
      await page.waitForFunction(() => document.querySelectorAll('#hashes li[data-pool="burst"]').length >= 10, undefined, { timeout: 60_000, polling: 500 });
      await page.waitForFunction(
        () => {
          const chart = window.Chart.getChart(document.getElementById("rate-chart"));
          const burst = chart?.data.datasets.find((d: { label: string }) => d.label === "burst");
          // the watcher bursts within a few seconds: wait for some history in the chart too
          return burst !== undefined && Math.max(0, ...burst.data) > 5 && burst.data.length > 3;
        },
        undefined,
        { timeout: 30_000, polling: 500 },
      );
      const view = await page.evaluate(() => {
        const items: any[] = Array.from(document.querySelectorAll("#hashes li"));
        const burst = items.filter((li) => li.getAttribute("data-pool") === "burst");
        // Chart.js keeps its instances: the chart the page drew on the canvas
        const chart = window.Chart.getChart(document.getElementById("rate-chart"));
        const datasets: { label: string; data: number[] }[] = chart?.data.datasets ?? [];
        const series: Record<string, number[]> = Object.fromEntries(datasets.map((d) => [d.label, d.data]));
        return {
          burstItems: burst.length,
          items: items.length,
          burstTexts: burst.slice(0, 5).map((li) => String(li.textContent ?? "")),
          burstClass: String(burst[0]?.className ?? ""),
          // a marked row must also be legible: at least one line of text high
          rowHeight: Number(burst[0]?.getBoundingClientRect().height ?? 0),
          lineHeight: burst[0] ? parseFloat(getComputedStyle(burst[0]).fontSize) : 0,
          countBurst: String(document.getElementById("count-burst")?.textContent ?? ""),
          share: String(document.getElementById("burst-share")?.textContent ?? ""),
          series,
        };
      });
      expect(view.burstItems).toBeGreaterThanOrEqual(10);
      for (const t of view.burstTexts) expect(t).toMatch(/bursty-/);
      expect(view.burstClass).toContain("hash-burst");
      rows = { rowHeight: view.rowHeight, lineHeight: view.lineHeight, items: view.items };
      expect(Number(view.countBurst.replace(/\D/g, ""))).toBeGreaterThan(0);
      expect(Math.max(...view.series.burst)).toBeGreaterThan(5);
      expect(view.series.primary.length).toBeGreaterThan(3);
      await page.waitForFunction(() => /^(9\d|100) %$/.test(document.getElementById("burst-share")?.textContent ?? ""), undefined, { timeout: 30_000, polling: 500 });
      await maybeScreenshot(page, "local-e2e");

      // and back down through the box
      await page.fill("#freq", "0");
      await page.click("#freq-submit");
      await page.waitForFunction(() => document.getElementById("freq-current")?.textContent === "0", undefined, { timeout: 10_000 });
      expect((await getStats(run.urls.frontend)).freq).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it("keeps the marked hash rows legible (each at least one line of text high)", () => {
    // measured in the browser test above, with the list holding many hashes
    expect(rows).toBeDefined();
    expect(rows!.rowHeight).toBeGreaterThanOrEqual(rows!.lineHeight);
  });

  it("stops everything with a report and a non-zero result when a child dies", async () => {
    const victim = run.children.find((c) => c.name === "worker-primary-2")!;
    process.kill(victim.pid, "SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LocalExit>((r) => (timer = setTimeout(() => r({ code: -1 }), 60_000)));
    const exit = await Promise.race([run.done, timeout]).finally(() => clearTimeout(timer));
    expect(exit.code).toBe(1);
    expect(exit.death).toMatchObject({ name: "worker-primary-2", pid: victim.pid, signal: "SIGKILL" });
    expect(err.text()).toContain(`worker-primary-2 (pid ${victim.pid}) was killed by SIGKILL; its last log lines:`);
    expect(err.text()).toContain("stopping everything");
    await waitFor("every child to be gone", () => pids.every((p) => !pidAlive(p)), 5_000);
    expect(existsSync(run.tempDir)).toBe(false);
  });
});
