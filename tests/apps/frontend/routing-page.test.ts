/**
 * The page's routing panel in a real browser, in local mode (startLocal: redis-server, both worker
 * pools, the mesh, Prometheus, the watcher and the frontend with WATCHER_URL): during a burst it shows
 * burst 100 and the watcher's reason, after the return primary 100, and with the watcher stopped it
 * says so while hashes keep flowing. The chart marks each weight change. Needs `npm run build`.
 *
 * Fast watcher settings (scrapes every 500 ms, 3 s rate window, 1 s dwell) keep a burst and a return
 * within seconds.
 */
import type { BurstCost, WeightChange } from "@istio-burst/contract";
import type { Page } from "playwright-core";
import { startLocal, type LocalRun } from "../../../local/src/run";
import { launchChromium, maybeScreenshot } from "../../helpers/browser";
import { setFrequency } from "../../helpers/local-stats";

jest.setTimeout(120_000);

// Browser globals for the functions evaluated in the page (the tree is type-checked without the DOM lib).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;

let run: LocalRun;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  run = await startLocal({
    port: 0,
    scrapeInterval: 500,
    pollInterval: 250,
    rateWindow: 3_000,
    minDwell: 1_000,
    highRps: 15,
    lowRps: 10,
    primaryWorkers: 1,
    out: devNull(),
    err: devNull(),
    readyTimeoutMs: 60_000,
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 1100 });
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await run?.stop();
});

function devNull(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_c, _e, done) => done() });
}

/** What the routing panel shows, read from the DOM. */
interface PanelView {
  watcher: string;
  phase: string;
  badge: string;
  primary: string;
  burst: string;
  message: string;
  rate: string;
  /** the fast view, `(recent 24.9)` */
  recentRate: string;
  mode: string;
  thresholds: string;
  changes: { seq: string; action: string; weights: string; reason: string }[];
}

function readPanel(): Promise<PanelView> {
  return page.evaluate(() => {
    const $ = (id: string) => document.getElementById(id);
    const panel = $("routing");
    return {
      watcher: String(panel.dataset.watcher ?? ""),
      phase: String(panel.dataset.phase ?? ""),
      badge: String($("routing-phase").textContent ?? ""),
      primary: String($("weight-primary").textContent ?? ""),
      burst: String($("weight-burst").textContent ?? ""),
      message: $("routing-message").hidden ? "" : String($("routing-message").textContent ?? ""),
      rate: String($("routing-rate").textContent ?? ""),
      recentRate: String($("routing-rate-fast").textContent ?? ""),
      mode: String($("routing-mode").textContent ?? ""),
      thresholds: String($("routing-thresholds").textContent ?? ""),
      changes: Array.from(document.querySelectorAll("#routing-changes li.routing-change")).map((li: any) => ({
        seq: String(li.dataset.seq),
        action: String(li.dataset.action),
        weights: String(li.querySelector(".change-weights")?.textContent ?? "").trim(),
        reason: String(li.querySelector(".change-reason")?.textContent ?? ""),
      })),
    };
  });
}

/** Waits until the panel satisfies `accept`; the last view is in the failure message. */
async function waitForPanel(what: string, accept: (v: PanelView) => boolean, timeoutMs: number): Promise<PanelView> {
  const deadline = Date.now() + timeoutMs;
  let view = await readPanel();
  while (!accept(view)) {
    if (Date.now() > deadline) throw new Error(`routing panel: ${what} not seen within ${timeoutMs} ms; last view: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 200));
    view = await readPanel();
  }
  return view;
}

/**
 * The local run's record of the weight changes once it holds `count` of them: it follows the
 * watcher's feed by polling, so it may trail what the page already shows by a poll.
 */
async function recordedChanges(count: number, timeoutMs = 10_000): Promise<WeightChange[]> {
  const deadline = Date.now() + timeoutMs;
  while (run.weightChanges.length < count) {
    if (Date.now() > deadline) throw new Error(`local mode recorded ${run.weightChanges.length} weight changes within ${timeoutMs} ms, the page shows ${count}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return [...run.weightChanges];
}

/** The weight change markers on the chart. */
function chartMarkers(): Promise<{ seq: number; label: string; visible: boolean }[]> {
  return page.evaluate(() => {
    const chart = window.Chart.getChart(document.getElementById("rate-chart"));
    return (chart?.$weightChanges ?? []).map((m: any) => ({ seq: m.seq, label: m.label, visible: true }));
  });
}

const hashCount = async () => Number(((await page.textContent("#count-primary")) ?? "").replace(/\D/g, "")) + Number(((await page.textContent("#count-burst")) ?? "").replace(/\D/g, ""));

it("shows the natural routing with the thresholds before any load", async () => {
  await page.goto(run.urls.frontend);
  await page.waitForSelector("#connection.connected", { timeout: 20_000 });
  const view = await waitForPanel("primary 100 from the watcher", (v) => v.watcher === "ok" && v.primary === "100", 10_000);
  expect(view).toMatchObject({ phase: "natural", burst: "0", message: "" });
  expect(view.badge).toBe("natural");
  expect(view.mode).toBe("switch mode");
  expect(view.thresholds).toBe("to burst above 15 req/s, back below 10 req/s");
  expect(view.changes).toEqual([]);
});

it("during a burst shows burst 100 and the watcher's reason, and marks the change on the chart", async () => {
  await page.fill("#freq", "30");
  await page.click("#freq-submit");
  const view = await waitForPanel("burst 100", (v) => v.watcher === "ok" && v.burst === "100" && v.changes.length > 0, 45_000);
  // The burst pool starts empty: the watcher moves as much weight as the ready replicas allow, so the
  // way to burst 100 is a to-burst, possibly followed by step-ups as the second replica gets ready.
  const changes = await recordedChanges(view.changes.length);
  const up = changes.find((c) => c.action === "to-burst");
  const last = changes.at(-1)!;
  expect(up).toBeDefined();
  expect(last.to).toEqual({ primary: 0, burst: 100 });
  expect(view).toMatchObject({ phase: "burst", primary: "0", burst: "100" });
  expect(view.badge).toBe("bursting");
  expect(view.changes[0]).toEqual({ seq: String(last.seq), action: last.action, weights: "primary 0 / burst 100", reason: last.reason });
  expect(view.changes.map((c) => c.seq)).toEqual(changes.map((c) => String(c.seq)).reverse());
  expect(view.changes.at(-1)).toMatchObject({ action: "to-burst", reason: up!.reason });
  expect(up!.reason).toMatch(/HIGH_RPS 15/);
  // the watcher burst on the fast view (its reason names the rate it saw); the panel shows both views
  expect(Number(/observed ([\d.]+) rps/.exec(up!.reason)?.[1])).toBeGreaterThan(15);
  expect(Number(view.rate)).toBeGreaterThan(0);
  expect(view.recentRate).toMatch(/^\(recent [\d.]+\)$/);
  // the chart draws a marker at each change once a stats point follows it
  await page.waitForFunction((n: number) => (window.Chart.getChart(document.getElementById("rate-chart"))?.$weightChanges ?? []).length >= n, changes.length, { timeout: 5_000 });
  const markers = await chartMarkers();
  expect(markers.map((m) => m.seq)).toEqual(changes.map((c) => c.seq));
  expect(markers.at(-1)!.label).toBe("burst 100%");
  await page.waitForFunction(() => Number(document.getElementById("count-burst")?.textContent?.replace(/\D/g, "")) > 0, undefined, { timeout: 10_000 });
  // the pool's size and its cost in the panel, as /api/routing has them
  const routing = (await (await fetch(`${run.urls.frontend}/api/routing`)).json()) as { burstPool: { ready: number; desired: number }; cost: BurstCost };
  expect(routing.burstPool.ready).toBeGreaterThanOrEqual(1);
  expect(routing.cost).toMatchObject({ currency: "USD", since: expect.any(String) });
  expect(routing.cost.burstReplicaSeconds).toBeGreaterThan(0);
  await page.waitForFunction(() => !document.getElementById("burst-cost").hidden, undefined, { timeout: 5_000 });
  const costLine = String(await page.textContent("#burst-cost")).replace(/\s+/g, " ").trim();
  expect(costLine).toMatch(/^burst cost: \d+\.\d{4} USD \([\d,]+ replica-s since .+\); always on: \d+\.\d{4} USD$/);
  expect(await page.textContent("#burst-pool-text")).toMatch(/^\d of \d ready$/);
  // and the ready replicas over time on the chart's second axis
  await page.waitForFunction(
    () => {
      const chart = window.Chart.getChart(document.getElementById("rate-chart"));
      return chart.options.scales.replicas.display && !chart.data.datasets[3].hidden && chart.data.datasets[3].data.some((n: number | null) => (n ?? 0) >= 1);
    },
    undefined,
    { timeout: 10_000 },
  );
  await maybeScreenshot(page, "routing-burst");
});

it("after the return shows primary 100, with both changes listed newest first and marked", async () => {
  await setFrequency(run.urls.frontend, 2);
  const view = await waitForPanel("primary 100 again", (v) => v.watcher === "ok" && v.primary === "100" && v.changes.length >= 2, 45_000);
  const back = (await recordedChanges(view.changes.length)).find((c) => c.action === "to-natural");
  expect(back).toBeDefined();
  expect(view).toMatchObject({ phase: "natural", primary: "100", burst: "0" });
  const actions = view.changes.map((c) => c.action);
  expect(actions[0]).toBe("to-natural");
  expect(actions.at(-1)).toBe("to-burst");
  expect(actions.slice(1, -1).every((a) => a === "step-up")).toBe(true);
  expect(view.changes[0]).toMatchObject({ seq: String(back!.seq), weights: "primary 100 / burst 0", reason: back!.reason });
  expect(view.changes[0].reason).toMatch(/LOW_RPS 10/);
  await page.waitForFunction((n: number) => (window.Chart.getChart(document.getElementById("rate-chart"))?.$weightChanges ?? []).length >= n, actions.length, { timeout: 5_000 });
  const labels = (await chartMarkers()).map((m) => m.label);
  expect(labels.at(-1)).toBe("primary 100%");
  expect(labels.at(-2)).toBe("burst 100%");
  await maybeScreenshot(page, "routing-back");
});

it("with the watcher stopped says it is unreachable, and hashes keep flowing", async () => {
  await run.stopPart("watcher");
  const view = await waitForPanel("unreachable", (v) => v.watcher === "unreachable", 10_000);
  expect(view.badge).toBe("unreachable");
  expect(view.message).toMatch(/^Watcher unreachable: connection refused\. Last answer at .+ Hashes keep flowing\.$/);
  // the rest of the page goes on: new hashes arrive in the counters and the list
  const before = await hashCount();
  const firstHash = await page.textContent("#hashes li:first-child");
  await page.waitForFunction((n: number) => Number(document.getElementById("count-primary")?.textContent?.replace(/\D/g, "")) + Number(document.getElementById("count-burst")?.textContent?.replace(/\D/g, "")) >= n + 4, before, {
    timeout: 10_000,
  });
  expect(await page.textContent("#hashes li:first-child")).not.toBe(firstHash);
  expect((await readPanel()).watcher).toBe("unreachable");
  await maybeScreenshot(page, "routing-unreachable");
  expect(problems).toEqual([]);
});
