/**
 * The String Hashr page in a real browser: two workers (one with PREFIX=bursty-) behind a
 * round-robin proxy, a real redis-server, the frontend; the frequency is set through the page's box
 * and the hashes, burst marks, counters and chart are read back from the DOM.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { createLogger, listen } from "@istio-burst/common";
import type { Page } from "playwright-core";
import type { Frontend } from "../../../apps/frontend/src/app";
import { createWorker, type Worker } from "../../../apps/worker/src/app";
import { launchChromium, maybeScreenshot } from "../../helpers/browser";
import { startRedis, type RedisServer } from "../../helpers/services";
import { startFrontend } from "./helpers";

/** Sends each request to the next target in turn, standing in for the mesh's load balancing. */
async function roundRobin(targets: string[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", targets[next++ % targets.length]);
    const out = httpRequest(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  return { url: `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`, server };
}

let redis: RedisServer;
let workers: Worker[] = [];
let proxy: { url: string; server: Server };
let fe: { frontend: Frontend; url: string };
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  redis = await startRedis();
  const log = createLogger("worker", "silent");
  workers = [createWorker({ port: 0, redisUrl: redis.url, prefix: "", hashRounds: 1 }, { log }), createWorker({ port: 0, redisUrl: redis.url, prefix: "bursty-", hashRounds: 1 }, { log })];
  const urls = [];
  for (const w of workers) urls.push(`http://127.0.0.1:${await listen(w.server, 0, "127.0.0.1")}`);
  proxy = await roundRobin(urls);
  fe = await startFrontend({ processorUrl: proxy.url, redisUrl: redis.url });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fe?.frontend.close();
  proxy?.server.closeAllConnections();
  proxy?.server.close();
  await Promise.all(workers.map((w) => w.close()));
  await redis?.dispose();
});

/** The browser globals the page functions below use (the test tree is compiled without the DOM lib). */
interface Browser {
  document: {
    getElementById(id: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): { length: number };
  };
  getComputedStyle(el: unknown): { backgroundColor: string };
  Chart: { getChart(id: string): { data: { labels: unknown[]; datasets: Array<{ label: string; data: number[] }> } } | undefined };
}

const count = async (page: Page, id: string) => Number((await page.textContent(`#${id}`))?.replace(/[^\d]/g, ""));

it("sets the frequency from the page and shows hashes, burst ones marked, counters and the chart", async () => {
  const page = await browser.context.newPage();
  const foreign: string[] = [];
  const problems: string[] = [];
  page.on("request", (req) => {
    if (!req.url().startsWith(fe.url)) foreign.push(req.url());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });

  await page.goto(fe.url);
  expect(await page.title()).toBe("String Hashr");
  await page.waitForSelector("#connection.connected");
  expect(await page.textContent("#freq-max")).toBe("5000");

  // A refused value shows the server's message and changes nothing.
  await page.fill("#freq", "-5");
  await page.click("#freq-submit");
  await page.waitForSelector("#freq.is-invalid");
  expect(await page.textContent("#freq-error")).toMatch(/from 0 to 5000/);
  expect(fe.frontend.pacer.rate).toBe(0);

  await page.fill("#freq", "20");
  await page.click("#freq-submit");
  await page.waitForFunction(() => (globalThis as unknown as Browser).document.getElementById("freq-current")?.textContent === "20");
  expect(await page.$("#freq.is-invalid")).toBeNull();
  expect(fe.frontend.pacer.rate).toBe(20);

  // Hashes from both pools arrive; burst ones are marked, primary ones are not.
  await page.waitForFunction(
    () => {
      const { document } = globalThis as unknown as Browser;
      return document.querySelectorAll("#hashes li[data-pool=burst]").length >= 5 && document.querySelectorAll("#hashes li[data-pool=primary]").length >= 5;
    },
    undefined,
    { timeout: 20_000 },
  );
  const items = await page.$$eval("#hashes li", (lis) =>
    lis.map((li) => ({ pool: li.getAttribute("data-pool"), cls: li.className, badge: li.querySelector(".badge")?.textContent, text: li.textContent ?? "" })),
  );
  for (const item of items) {
    if (item.pool === "burst") {
      expect(item.cls).toContain("hash-burst");
      expect(item.badge).toBe("burst");
      expect(item.text).toMatch(/^burstbursty-[A-Za-z0-9+/]{43}=$/);
    } else {
      expect(item.pool).toBe("primary");
      expect(item.cls).toContain("hash-primary");
      expect(item.cls).not.toContain("hash-burst");
      expect(item.badge).toBe("primary");
      expect(item.text).toMatch(/^primary[A-Za-z0-9+/]{43}=$/);
    }
  }
  const burstColour = await page.$eval("#hashes li[data-pool=burst]", (li) => (globalThis as unknown as Browser).getComputedStyle(li).backgroundColor);
  const primaryColour = await page.$eval("#hashes li[data-pool=primary]", (li) => (globalThis as unknown as Browser).getComputedStyle(li).backgroundColor);
  expect(burstColour).not.toBe(primaryColour);

  // Counters and the chart come from the periodic stats; give them two stats periods with data.
  await page.waitForFunction(
    () => {
      const chart = (globalThis as unknown as Browser).Chart.getChart("rate-chart");
      const [primary, burst] = chart?.data.datasets ?? [];
      return !!primary && primary.data.some((v) => v > 0) && burst.data.some((v) => v > 0);
    },
    undefined,
    { timeout: 20_000 },
  );
  expect(await count(page, "count-primary")).toBeGreaterThan(0);
  expect(await count(page, "count-burst")).toBeGreaterThan(0);
  expect(await count(page, "count-sent")).toBeGreaterThan(0);
  expect(await count(page, "count-errors")).toBe(0);
  const chart = await page.evaluate(() => {
    const c = (globalThis as unknown as Browser).Chart.getChart("rate-chart");
    return { labels: c?.data.labels.length ?? 0, datasets: (c?.data.datasets ?? []).map((d) => ({ label: d.label, data: d.data })) };
  });
  expect(chart.labels).toBeGreaterThan(0);
  // the burst pool's ready replicas have a line too, hidden while no watcher reports a pool (none here)
  expect(chart.datasets.map((d) => d.label)).toEqual(["primary", "burst", "errors", "burst replicas ready"]);
  const canvas = await page.$eval("#rate-chart", (c) => ({ w: (c as unknown as { width: number }).width, h: (c as unknown as { height: number }).height }));
  expect(canvas.w).toBeGreaterThan(100);
  expect(canvas.h).toBeGreaterThan(100);

  // A long list scrolls inside its card; rows keep their height (not squashed to fit).
  await page.waitForFunction(() => (globalThis as unknown as Browser).document.querySelectorAll("#hashes li").length >= 30);
  const rows = await page.$$eval("#hashes li", (lis) => lis.map((li) => li.getBoundingClientRect().height));
  expect(Math.min(...rows)).toBeGreaterThanOrEqual(20);
  expect(rows.length).toBeLessThanOrEqual(100);

  await maybeScreenshot(page, "string-hashr");

  await page.fill("#freq", "0");
  await page.click("#freq-submit");
  await page.waitForFunction(() => (globalThis as unknown as Browser).document.getElementById("freq-current")?.textContent === "0");
  expect(fe.frontend.pacer.rate).toBe(0);

  // Everything came from the frontend itself (works offline), and the page logged no errors.
  expect(foreign).toEqual([]);
  expect(problems).toEqual([]);
  await page.close();
});
