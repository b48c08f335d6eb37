/**
 * The routing panel's other states in a real browser, against stand-in watchers (the local-mode run
 * in routing-page.test.ts covers switch mode end to end): overflow mode in dry run, a watcher that
 * answers garbage, and no WATCHER_URL. The watcher's reasons are shown as text, never as markup.
 */
import type { Page } from "playwright-core";
import type { Frontend } from "../../../apps/frontend/src/app";
import { launchChromium, maybeScreenshot } from "../../helpers/browser";
import { startRedis, type RedisServer } from "../../helpers/services";
import { cannedStatus, startFakeWatcher, type FakeWatcher } from "./fake-watcher";
import { startCountingProcessor, startFrontend } from "./helpers";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

let redis: RedisServer;
let processor: Awaited<ReturnType<typeof startCountingProcessor>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const frontends: { frontend: Frontend; url: string }[] = [];
const watchers: FakeWatcher[] = [];

beforeAll(async () => {
  redis = await startRedis();
  processor = await startCountingProcessor();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  for (const fe of frontends) await fe.frontend.close();
  for (const w of watchers) await w.close();
  await processor?.close();
  await redis?.dispose();
});

async function openPage(watcherUrl: string | undefined): Promise<{ page: Page; problems: string[] }> {
  const fe = await startFrontend({ processorUrl: processor.url, redisUrl: redis.url, watcherUrl }, 2_000, { routing: { maxAgeMs: 0 } });
  frontends.push(fe);
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 1000 });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(fe.url);
  await page.waitForSelector("#connection.connected");
  return { page, problems };
}

const text = (page: Page, id: string) => page.$eval(`#${id}`, (el: any) => (el.hidden ? "" : String(el.textContent ?? "").trim()));

it("shows overflow mode in dry run: the capacity and steps, the fast view, and reasons as plain text", async () => {
  const status = cannedStatus();
  const watcher = await startFakeWatcher({
    kind: "json",
    body: {
      ...status,
      mode: "overflow",
      dryRun: true,
      weights: { primary: 70, burst: 30 },
      lastSample: { at: status.lastSample!.at, kind: "value", rps: 19.5, upRps: 21 },
      recentChanges: [{ ...status.recentChanges[0], action: "step-up", to: { primary: 70, burst: 30 }, dryRun: true, reason: "<img src=x onerror=alert(1)> over PRIMARY_CAPACITY_RPS 15" }],
    },
  });
  watchers.push(watcher);
  const { page, problems } = await openPage(watcher.url);
  await page.waitForSelector("#routing[data-watcher=ok]");
  expect(await text(page, "routing-phase")).toBe("bursting");
  expect(await text(page, "routing-mode")).toBe("overflow mode");
  expect(await text(page, "routing-dry-run")).toBe("dry run");
  expect([await text(page, "weight-primary"), await text(page, "weight-burst")]).toEqual(["70", "30"]);
  expect(await text(page, "routing-rate")).toBe("19.5");
  expect(await text(page, "routing-rate-fast")).toBe("(recent 21.0)");
  expect(await text(page, "routing-thresholds")).toBe("primary keeps up to 15 req/s; the excess goes to burst in steps of 10 %, at most 100 %");
  const reason = await page.$eval("#routing-changes .change-reason", (el: any) => ({ text: el.textContent, images: el.querySelectorAll("img").length }));
  expect(reason).toEqual({ text: "<img src=x onerror=alert(1)> over PRIMARY_CAPACITY_RPS 15", images: 0 });
  expect(await text(page, "routing-changes")).toMatch(/primary 70 \/ burst 30\s*dry run/);
  // the burst pool's size, from /api/routing's burstPool, and its cost
  expect(await text(page, "burst-pool")).toBe("burst pool: 1 of 2 ready");
  const since = await page.evaluate((iso: string) => new Date(iso).toLocaleTimeString(), status.cost!.since);
  expect((await text(page, "burst-cost")).replace(/\s+/g, " ")).toBe(`burst cost: 0.0004 USD (22 replica-s since ${since}); always on: 0.0014 USD`);
  await maybeScreenshot(page, "routing-overflow");
  expect(problems).toEqual([]);
  await page.close();
});

it("hides the burst pool and cost lines when the watcher does not scale the pool", async () => {
  const watcher = await startFakeWatcher({ kind: "json", body: { ...cannedStatus(), burstPool: null, cost: null } });
  watchers.push(watcher);
  const { page, problems } = await openPage(watcher.url);
  await page.waitForSelector("#routing[data-watcher=ok]");
  expect(await text(page, "routing-mode")).toBe("switch mode");
  expect(await text(page, "burst-pool")).toBe("");
  expect(await text(page, "burst-cost")).toBe("");
  // nor the replicas on the chart
  expect(await page.evaluate(() => {
    const chart = (globalThis as any).Chart.getChart(document.getElementById("rate-chart"));
    return [chart.options.scales.replicas.display, chart.data.datasets[3].hidden];
  })).toEqual([false, true]);
  expect(problems).toEqual([]);
  await page.close();
});

it("says the watcher is unreachable, with the reason, when it answers garbage", async () => {
  const watcher = await startFakeWatcher({ kind: "text", status: 200, type: "text/html", body: "<h1>hello</h1>" });
  watchers.push(watcher);
  const { page, problems } = await openPage(watcher.url);
  await page.waitForSelector("#routing[data-watcher=unreachable]");
  expect(await text(page, "routing-phase")).toBe("unreachable");
  expect(await text(page, "routing-message")).toBe("Watcher unreachable: answer is not JSON: <h1>hello</h1>. Hashes keep flowing.");
  expect(problems).toEqual([]);
  await page.close();
});

it("says routing is not configured when WATCHER_URL is not set, and shows no stale numbers", async () => {
  const { page, problems } = await openPage(undefined);
  await page.waitForSelector("#routing[data-watcher=not-configured]");
  expect(await text(page, "routing-phase")).toBe("not configured");
  expect(await text(page, "routing-message")).toBe("Routing is not configured: WATCHER_URL is not set, so the frontend cannot ask the watcher.");
  for (const id of ["routing-body", "routing-changes-header", "routing-changes"]) expect(await page.$eval(`#${id}`, (el: any) => el.hidden)).toBe(true);
  await maybeScreenshot(page, "routing-not-configured");
  expect(problems).toEqual([]);
  await page.close();
});
