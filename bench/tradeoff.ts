/**
 * The trade-off picture, bench/tradeoff.png: what each pre-warm policy's burst pool costs against the
 * requests it leaves over primary's capacity, summed over every trace (worst scrape phase of each),
 * one panel per scale-up delay, one point per policy and mode. Drawn with the page's own chart
 * library (chart.js, from node_modules) in headless chromium through playwright-core, and
 * screenshotted: no plotting dependency of its own.
 */
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import type { Mode, WatcherSettings } from "@istio-burst/contract";
import { requireProgram } from "../packages/tooling/src/processes";
import { delayKey, SIM, TRADEOFF_POLICIES, type Tradeoff, type TradeoffPolicy } from "./watcher-policy";

/** A policy's totals over every trace, for one mode and delay. */
export interface TradeoffTotal {
  policy: TradeoffPolicy;
  mode: Mode;
  burstReplicaSeconds: number;
  /** burstReplicaSeconds at burstReplicaHourlyCost */
  cost: number;
  overCapacityRequests: number;
}

const MODES: Mode[] = ["switch", "overflow"];

/** Per delay (`"60s"`): each policy and mode summed over the traces. */
export function tradeoffTotals(tradeoff: Tradeoff, pricing: Pick<WatcherSettings, "burstReplicaHourlyCost">): Record<string, TradeoffTotal[]> {
  const out: Record<string, TradeoffTotal[]> = {};
  for (const delay of SIM.scaleUpDelaysS.map(delayKey)) {
    out[delay] = [];
    for (const mode of MODES) {
      for (const policy of TRADEOFF_POLICIES) {
        const points = Object.values(tradeoff).map((byMode) => byMode[mode][policy][delay]);
        const burstReplicaSeconds = points.reduce((sum, p) => sum + p.burstReplicaSeconds, 0);
        const cost = Math.round(((burstReplicaSeconds * pricing.burstReplicaHourlyCost) / 3600) * 1e4) / 1e4;
        out[delay].push({ policy, mode, burstReplicaSeconds, cost, overCapacityRequests: points.reduce((sum, p) => sum + p.overCapacityRequests, 0) });
      }
    }
  }
  return out;
}

const COLOURS: Record<TradeoffPolicy, string> = { alwaysOn: "#6c757d", reactive: "#dc3545", level: "#fd7e14", trend: "#0d6efd" };
const POINT_STYLE: Record<Mode, string> = { switch: "circle", overflow: "triangle" };

/** The chart.js configurations of the panels, one per delay. */
export function tradeoffCharts(totals: Record<string, TradeoffTotal[]>, currency: string): { delay: string; config: unknown }[] {
  return Object.entries(totals).map(([delay, rows]) => ({
    delay,
    config: {
      type: "scatter",
      data: {
        datasets: rows.map((r) => ({
          label: `${r.policy} (${r.mode})`,
          data: [{ x: r.cost, y: r.overCapacityRequests }],
          backgroundColor: COLOURS[r.policy],
          borderColor: COLOURS[r.policy],
          pointStyle: POINT_STYLE[r.mode],
          pointRadius: 9,
        })),
      },
      options: {
        animation: false,
        responsive: false,
        plugins: {
          title: { display: true, text: `scale-up delay ${delay}`, font: { size: 16 } },
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 8 } },
        },
        scales: {
          x: { min: 0, title: { display: true, text: `burst pool cost over all traces (${currency})` } },
          y: { min: 0, title: { display: true, text: "requests over primary's capacity, all traces" } },
        },
      },
    },
  }));
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font-family: sans-serif; background: #fff; }
#panels { display: flex; gap: 8px; padding: 12px; width: max-content; }
h1 { font-size: 15px; font-weight: normal; margin: 12px 12px 0; }
</style></head><body><h1 id="title"></h1><div id="panels"></div></body></html>`;

const DRAW = `({ charts, title }) => {
  document.getElementById("title").textContent = title;
  for (const { config } of charts) {
    const canvas = document.createElement("canvas");
    canvas.width = 520;
    canvas.height = 560;
    document.getElementById("panels").appendChild(canvas);
    new window.Chart(canvas, config);
  }
}`;

/** Draws the panels in headless chromium and saves the screenshot as `outPath` (PNG). */
export async function renderTradeoff(totals: Record<string, TradeoffTotal[]>, currency: string, outPath: string): Promise<void> {
  const charts = tradeoffCharts(totals, currency);
  const browser = await chromium.launch({ executablePath: requireProgram("chromium", "chromium"), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 640 }, deviceScaleFactor: 1 });
    await page.setContent(PAGE);
    await page.addScriptTag({ path: join(dirname(require.resolve("chart.js")), "chart.umd.min.js") });
    const title = "Burst pool cost against overload: one point per pre-warm policy (circle: switch, triangle: overflow), every trace, worst scrape phase";
    // runs in the page (no DOM types here): a canvas and a chart per panel
    await page.evaluate(`(${DRAW})(${JSON.stringify({ charts, title })})`);
    await page.locator("body").screenshot({ path: outPath });
  } finally {
    await browser.close();
  }
}

const POLICY_WORDS: Record<TradeoffPolicy, string> = {
  alwaysOn: "`alwaysOn`: `burstReplicas` replicas all the time, never scaled",
  reactive: "`reactive` (`prewarm: off`): replicas only once traffic is due to move, which then waits for them",
  level: "`level` (`prewarm: level`): also above `prewarmRps`, kept by the cooldown: the pre-warm before `trend`",
  trend: "`trend` (`prewarm: trend`, the default): on course to cross the threshold within the scale-up time, clear of the rate's noise; unused replicas go back after `prewarmTimeout`",
};

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : "–");

/** The reading of one delay's totals, from the figures: what trend costs and leaves against the others. */
function reading(delay: string, rows: TradeoffTotal[], currency: string): string[] {
  return (["switch", "overflow"] as Mode[]).map((mode) => {
    const of = (policy: TradeoffPolicy) => rows.find((r) => r.mode === mode && r.policy === policy) as TradeoffTotal;
    const [always, reactive, level, trend] = TRADEOFF_POLICIES.map(of);
    const cheapest = [...rows.filter((r) => r.mode === mode)].sort((a, b) => a.cost - b.cost)[0].policy;
    return (
      `- ${delay}, ${mode}: \`trend\` costs ${trend.cost} ${currency} (${pct(trend.cost, always.cost)} of always-on, ${pct(trend.cost, level.cost)} of \`level\`, ` +
      `${pct(trend.cost, reactive.cost)} of \`reactive\`) and leaves ${trend.overCapacityRequests} requests over capacity ` +
      `(always-on ${always.overCapacityRequests}, \`level\` ${level.overCapacityRequests}, \`reactive\` ${reactive.overCapacityRequests}); the cheapest is \`${cheapest}\`.`
    );
  });
}

/**
 * The headline: where `trend` sits against `level` (down and to the left of it means cheaper and no
 * more overload), and what it gives up where a noisy rate really sits at the threshold.
 */
function headlineReading(tradeoff: Tradeoff, rows: TradeoffTotal[], delay: string): string[] {
  const lines = (["switch", "overflow"] as Mode[]).map((mode) => {
    const of = (policy: TradeoffPolicy) => rows.find((r) => r.mode === mode && r.policy === policy) as TradeoffTotal;
    const [trend, level] = [of("trend"), of("level")];
    const where =
      trend.cost <= level.cost && trend.overCapacityRequests <= level.overCapacityRequests
        ? "below and to the left of `level`: cheaper, and no more overload"
        : trend.cost <= level.cost
          ? "left of `level` but higher: cheaper, for more overload"
          : "right of `level`: dearer";
    return `- At ${delay}, ${mode} mode, \`trend\` is ${where} (${pct(trend.cost, level.cost)} of its cost, ${trend.overCapacityRequests} against ${level.overCapacityRequests} requests over capacity).`;
  });
  const noisy = tradeoff["noisy-threshold"]?.switch;
  if (noisy) {
    const [t, l] = [noisy.trend[delay], noisy.level[delay]];
    lines.push(
      `- What it gives up: on \`noisy-threshold\` (a rate sitting at the threshold, switch mode) it starts no pool for the noise, ` +
        `${t.burstReplicaSeconds} replica-s against \`level\`'s ${l.burstReplicaSeconds}, and primary carries the wobble above its capacity: ` +
        `${t.overCapacityRequests} requests over it against ${l.overCapacityRequests}.`,
    );
  }
  return lines;
}

/** At the quickest scale-up, how much of the overload `trend` adds over `level` (switch mode) comes from noisy-threshold. */
function quickestReading(tradeoff: Tradeoff, totals: Record<string, TradeoffTotal[]>): string[] {
  const delay = delayKey(Math.min(...SIM.scaleUpDelaysS));
  const rows = totals[delay].filter((r) => r.mode === "switch");
  const added = (rows.find((r) => r.policy === "trend") as TradeoffTotal).overCapacityRequests - (rows.find((r) => r.policy === "level") as TradeoffTotal).overCapacityRequests;
  const noisy = tradeoff["noisy-threshold"]?.switch;
  if (!noisy || added <= 0) return [];
  const fromNoise = noisy.trend[delay].overCapacityRequests - noisy.level[delay].overCapacityRequests;
  return [`- At ${delay}, where a replica is ready at once, \`trend\` leaves ${added} more requests over capacity than \`level\` in switch mode; ${fromNoise} of them are that wobble on \`noisy-threshold\`.`];
}

/** RESULTS.md's trade-off section: the policies, the picture, the totals, the per-trace figures at the headline delay, and the reading. */
export function tradeoffSection(tradeoff: Tradeoff, pricing: Pick<WatcherSettings, "burstReplicaHourlyCost" | "currency">): string[] {
  const totals = tradeoffTotals(tradeoff, pricing);
  const lines = [
    "### Burst economics: cost against overload",
    "",
    "The same traces and delays with four pre-warm policies (the capacity side on, except always-on):",
    "",
    ...TRADEOFF_POLICIES.map((p) => `- ${POLICY_WORDS[p]}`),
    "",
    `Replica-seconds are priced at \`burstReplicaHourlyCost\` (${pricing.burstReplicaHourlyCost} ${pricing.currency} a replica-hour, the default: approximate).`,
    `In results.json: \`tradeoff.<trace>.<mode>.<policy>.<delay>\` with \`burstReplicaSeconds\` and \`overCapacityRequests\` (worst scrape phase).`,
    "",
    "![cost against overload per policy, a panel per scale-up delay](tradeoff.png)",
    "",
    `| delay | mode | policy | replica-s | cost ${pricing.currency} | over capacity |`,
    "| --- | --- | --- | ---: | ---: | ---: |",
  ];
  for (const [delay, rows] of Object.entries(totals)) {
    for (const r of rows) lines.push(`| ${delay} | ${r.mode} | ${r.policy} | ${r.burstReplicaSeconds} | ${r.cost} | ${r.overCapacityRequests} |`);
  }
  const headline = delayKey(SIM.scaleUpDelayS);
  const cells = (mode: Mode, trace: string, key: "burstReplicaSeconds" | "overCapacityRequests") => TRADEOFF_POLICIES.map((p) => tradeoff[trace][mode][p][headline][key]);
  lines.push("", `Per trace at the ${headline} delay (replica-s, then requests over capacity):`, "");
  lines.push(`| trace | mode | ${TRADEOFF_POLICIES.map((p) => `${p} replica-s`).join(" | ")} | trend / always-on | ${TRADEOFF_POLICIES.map((p) => `${p} over`).join(" | ")} |`);
  lines.push(`| --- | --- | ${TRADEOFF_POLICIES.map(() => "---:").join(" | ")} | ---: | ${TRADEOFF_POLICIES.map(() => "---:").join(" | ")} |`);
  for (const trace of Object.keys(tradeoff)) {
    for (const mode of MODES) {
      const rs = cells(mode, trace, "burstReplicaSeconds");
      lines.push(`| ${trace} | ${mode} | ${rs.join(" | ")} | ${pct(rs[3], rs[0])} | ${cells(mode, trace, "overCapacityRequests").join(" | ")} |`);
    }
  }
  lines.push("", "Reading the picture (the sentences are written from this run's figures):", "");
  lines.push(...headlineReading(tradeoff, totals[headline], headline), ...quickestReading(tradeoff, totals));
  for (const [delay, rows] of Object.entries(totals)) lines.push(...reading(delay, rows, pricing.currency));
  return lines;
}
