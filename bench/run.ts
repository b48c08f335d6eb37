/**
 * `npm run bench`: every benchmark, each figure a ratio or a comparison measured in this same run on
 * this machine. Writes bench/results.json (stable names) and bench/RESULTS.md.
 *   node bench/dist/bench/run.js [worker] [watcher] [local] [pacing]   (default: all)
 */
import { cpus, totalmem } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPacingBench, type PacingRun } from "./frontend-pacing";
import { runLocalBench, type LocalBench } from "./local-e2e";
import { ROOT } from "./paths";
import { DEFAULT_WATCHER_SETTINGS } from "@istio-burst/contract";
import { renderTradeoff, tradeoffSection, tradeoffTotals } from "./tradeoff";
import { alwaysOnReplicas, phases, poolFigureName, POLICIES, runWatcherBench, SIM, traces, type BenchResult, type PolicyName, type Tradeoff } from "./watcher-policy";
import { runWorkerBench, type WorkerBench } from "./worker";

const SECTIONS = ["worker", "watcher", "local", "pacing"] as const;
type Section = (typeof SECTIONS)[number];

export interface Results {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; date: string };
  worker?: WorkerBench;
  watcher?: Record<string, Record<PolicyName, BenchResult>>;
  /** per trace, mode, pre-warm policy and scale-up delay: burst replica-seconds and requests over primary's capacity */
  tradeoff?: Tradeoff;
  local?: LocalBench;
  frontend?: { pacing: Record<string, PacingRun> };
}

export function flatten(r: Results): Record<string, number | null> {
  const flat: Record<string, number | null> = {};
  if (r.worker) {
    flat["worker.ratioToFloor"] = r.worker.ratioToFloor;
    flat["worker.p99Ms"] = r.worker.p99Ms;
    flat["worker.p50Ms"] = r.worker.p50Ms;
    flat["worker.hashesPerS"] = r.worker.hashesPerS;
    flat["worker.floorHashesPerS"] = Math.round(r.worker.floor.hashesPerS);
  }
  for (const [trace, byPolicy] of Object.entries(r.watcher ?? {})) {
    for (const [policy, m] of Object.entries(byPolicy)) {
      for (const [k, v] of Object.entries(m)) flat[`watcher.${trace}.${policy}.${k}`] = v as number | null;
    }
  }
  for (const [trace, byMode] of Object.entries(r.tradeoff ?? {})) {
    for (const [mode, byPolicy] of Object.entries(byMode)) {
      for (const [policy, byDelay] of Object.entries(byPolicy)) {
        for (const [delay, point] of Object.entries(byDelay)) {
          for (const [k, v] of Object.entries(point)) flat[`tradeoff.${trace}.${mode}.${policy}.${delay}.${k}`] = v;
        }
      }
    }
  }
  if (r.local) {
    flat["local.reactionUpS"] = r.local.reactionUpS;
    flat["local.reactionDownS"] = r.local.reactionDownS;
    flat["local.reactionUpMaxS"] = r.local.reactionUpMaxS;
    flat["local.reactionDownMaxS"] = r.local.reactionDownMaxS;
    flat["local.runs"] = r.local.runs;
    flat["local.staggeredRuns"] = r.local.staggeredRuns;
    flat["local.boundUpS"] = r.local.boundUpS;
    flat["local.boundDownS"] = r.local.boundDownS;
    flat["local.loadAverage.atStart"] = r.local.loadAverage?.atStart ?? null;
    flat["local.loadAverage.max"] = r.local.loadAverage?.max ?? null;
    flat["local.loadAverage.mean"] = r.local.loadAverage?.mean ?? null;
  }
  for (const [rate, p] of Object.entries(r.frontend?.pacing ?? {})) flat[`frontend.pacing.${rate}.achievedRatio`] = p.achievedRatio;
  return flat;
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? "–" : String(v));

export function markdown(r: Results): string {
  const m = r.machine;
  const lines: string[] = [
    "# Benchmark results",
    "",
    `Measured by \`npm run bench\` on ${m.date}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node.js ${m.node}.`,
    "Every figure is a ratio or a comparison measured in the same run; the raw figures are in",
    "[results.json](results.json) under stable names.",
    "",
  ];
  if (r.worker) lines.push(...workerSection(r.worker));
  if (r.watcher) lines.push(...watcherSection(r.watcher, r.tradeoff));
  if (r.local) lines.push(...localSection(r.local, r.machine));
  if (r.frontend) lines.push(...frontendSection(r.frontend));
  lines.push("## Reproduce", "", "```sh", "npm run bench            # all sections (about 10 minutes: local mode runs 6 times)", "npm run bench -- watcher  # one section: worker, watcher, local, pacing", "```", "");
  return lines.join("\n");
}

/** Section 1: the worker's throughput against its floor. */
function workerSection(w: NonNullable<Results["worker"]>): string[] {
  return [
    "## 1. Worker throughput",
    "",
    `autocannon, ${w.settings.connections} keep-alive connections, ${w.settings.rounds} alternating rounds of ${w.settings.durationS} s, median round;`,
    "hashes/s counted as Redis PUBLISH calls. The floor is `bench/floor-worker.ts`: node:http + crypto + one publish, nothing else.",
    "",
    "| server | hashes/s | p50 ms | p99 ms | non-2xx |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| floor | ${Math.round(w.floor.hashesPerS)} | ${w.floor.p50Ms} | ${w.floor.p99Ms} | ${w.floor.non2xx} |`,
    `| worker | ${Math.round(w.worker.hashesPerS)} | ${w.worker.p50Ms} | ${w.worker.p99Ms} | ${w.worker.non2xx} |`,
    "",
    `**worker.ratioToFloor = ${w.ratioToFloor}** (target ≥ 0.8).`,
    "",
  ];
}

/** Section 2: the watcher's policies on the load traces, the pool scaled on demand, the full burst, the trade-off and the traces. */
function watcherSection(watcher: NonNullable<Results["watcher"]>, tradeoff: Results["tradeoff"]): string[] {
  const lines = [...policiesTable(watcher), ...scaledPoolTable(watcher), ...fullBurstSection(watcher)];
  if (tradeoff) lines.push(...tradeoffSection(tradeoff, DEFAULT_WATCHER_SETTINGS));
  lines.push("", "Traces:", "");
  for (const t of traces()) lines.push(`- \`${t.name}\`: ${t.description}`);
  lines.push("");
  return lines;
}

/** Section 2's first table: each policy's reaction, changes, episodes and overload on each trace, and why spikes burst. */
function policiesTable(watcher: NonNullable<Results["watcher"]>): string[] {
  const lines = [
    "## 2. Watcher policies on load traces",
    "",
    `Simulated time (bench/watcher-policy.ts): Prometheus scrapes every ${SIM.scrapeS} s and answers rate() and irate() as Prometheus does,`,
    `the watcher polls every ${SIM.pollS} s, a weight change takes effect ${SIM.propagationS} s after it is written, primary's capacity is`,
    `${SIM.primaryCapacityRps} rps, thresholds ${SIM.highRps}/${SIM.lowRps} rps. \`switch\` and \`overflow\` are this project's decide() with its defaults`,
    "for a 5 s scrape: bursting on `irate()` over [15s] (the last full scrape interval), coming back on `rate()` over [30s] once every",
    "sample of the last 30 s called for it. `codelab` is the 2018 istiowatcher: 1 s poll, no dwell, all-or-nothing, an empty result read",
    "as 0, on its `reporter=\"destination\"` [15s] query, which with per-cluster telemetry counts only what primary serves.",
    `Each trace runs at ${phases().length} scrape phases (the scrapes shifted by 0, ${SIM.phaseStepS}, ... s against the trace); the table shows the worst phase.`,
    "",
    "reaction: seconds from the threshold crossing to the first move in that direction, worst phase (best in brackets; – where the trace has no",
    "crossing or it never moved); changes: weight changes; episodes: moves from no burst to some, and in how many phases there was one;",
    "over capacity: requests offered to primary above its capacity; capacity used: primary's mean load over the surge plateau as a share of its capacity.",
    "",
    "| trace | policy | reaction s | changes | episodes | phases with an episode | over capacity | capacity used |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [trace, byPolicy] of Object.entries(watcher)) {
    for (const p of POLICIES) {
      const x = byPolicy[p];
      const reaction = x.reactionS === null ? "–" : `${x.reactionS} (${x.reactionBestS})`;
      lines.push(`| ${trace} | ${p} | ${reaction} | ${x.changes} | ${x.episodes} | ${x.phasesWithEpisode}/${x.phases} | ${x.overCapacityRequests} | ${show(x.primaryCapacityUsed)} |`);
    }
  }
  lines.push(
    "",
    "Why every phase of a spike bursts once: with 5 s scrapes, a 3 s spike to 40 rps over a base of 5 rps puts at least 15.5 rps",
    "into one scrape interval whatever the phase (26 rps when it falls into one interval, 15.5 + 15.5 when it is split in two),",
    "and a step to 25 rps can show the same first interval. Bursting within the first full interval after a step (at most 11 s)",
    "therefore means bursting on such a spike too; the stabilization window makes it a single episode that ends 30 s later.",
    "In overflow mode an episode is made of steps: the fast view climbs through the partial interval first, and the way back",
    "goes through the band the slow view still asks for.",
  );
  return lines;
}

/** Section 2, "Burst capacity on demand": replica-seconds, requests to an unready pool and overload at each scale-up delay. */
function scaledPoolTable(watcher: NonNullable<Results["watcher"]>): string[] {
  const delays = SIM.scaleUpDelaysS;
  const fig = (x: BenchResult, metric: string, d: number) => show(x[poolFigureName(metric, d)] as number | null);
  const lines = [
    "",
    "### Burst capacity on demand",
    "",
    "The same traces with the capacity side on (SCALER), the watcher's defaults: the burst pool starts at `burstMinReplicas` (0),",
    "replicas are asked for by the trend pre-warm (`prewarm: trend`: the fast view on course to cross the threshold within the",
    "time replicas take to get ready, or above it, clear of its noise; switch: `burstReplicas`; overflow: the excess at",
    "`burstPodCapacityRps` a replica), weight moves only to ready replicas (capped by the ready share), unused replicas go back",
    "after `prewarmTimeout`, and the pool goes back to 0 a `scaleDownCooldown` (60 s) after it was last needed.",
    `A replica asked for is ready after the scale-up delay: ${delays.join(" s, ")} s (a local process, a new pod`,
    "with its image pull, a new node first); it is paid for from the moment it is asked for. The always-on pool is",
    `\`burstReplicas\` (${alwaysOnReplicas()}) replicas for the whole trace, as before this change; \`codelab\` keeps it.`,
    "",
    `In results.json: \`watcher.<trace>.<policy>.burstReplicaSeconds\`, \`.requestsToUnreadyPool\`, \`.scaledOverCapacityRequests\` and \`.scaledReactionS\``,
    `at the ${SIM.scaleUpDelayS} s delay; the other delays under the same names with \`_<delay>s\` appended (e.g. \`.burstReplicaSeconds_${delays[0]}s\`);`,
    "`.alwaysOnReplicaSeconds` for the always-on pool. Worst scrape phase; replica-s: burst replica-seconds; to unready: requests sent",
    "to burst while it had no ready replica (must be 0); over capacity: requests offered to primary above its capacity meanwhile.",
    "",
    `| trace | policy | always-on replica-s | ${delays.map((d) => `replica-s @${d}s`).join(" | ")} | ${delays.map((d) => `to unready @${d}s`).join(" | ")} | ${delays.map((d) => `over capacity @${d}s`).join(" | ")} |`,
    `| --- | --- | ---: | ${delays.map(() => "---:").join(" | ")} | ${delays.map(() => "---:").join(" | ")} | ${delays.map(() => "---:").join(" | ")} |`,
  ];
  for (const [trace, byPolicy] of Object.entries(watcher)) {
    for (const p of POLICIES) {
      const x = byPolicy[p];
      lines.push(
        `| ${trace} | ${p} | ${show(x.alwaysOnReplicaSeconds as number)} | ${delays.map((d) => fig(x, "burstReplicaSeconds", d)).join(" | ")} | ${delays.map((d) => fig(x, "requestsToUnreadyPool", d)).join(" | ")} | ${delays.map((d) => fig(x, "scaledOverCapacityRequests", d)).join(" | ")} |`,
      );
    }
  }
  lines.push(
    "",
    "The pool costs nothing while the load stays low, and primary carries the excess for the scale-up delay",
    "(over capacity grows with the delay); `burstMinReplicas` and the pre-warm buy that time back with replicas started early.",
    "",
  );
  return lines;
}

/** Section 4: the frontend's pacing against the asked rate. */
function frontendSection(f: NonNullable<Results["frontend"]>): string[] {
  const lines = ["## 4. Frontend pacing", "", "Requests reaching a processor that answers at once, over 10 s, against the asked rate.", "", "| asked req/s | achieved req/s | ratio |", "| ---: | ---: | ---: |"];
  for (const p of Object.values(f.pacing)) lines.push(`| ${p.asked} | ${p.achievedPerS} | ${p.achievedRatio} |`);
  lines.push("");
  return lines;
}

/** Section 3: local mode's reactions, medians and the worst of the runs, each run, and the machine's load meanwhile. */
function localSection(l: LocalBench, m: Results["machine"]): string[] {
  const st = l.settings;
  const lines = [
    "## 3. Local mode end to end",
    "",
    `\`startLocal\` with real redis-server and Prometheus and its defaults (scrape ${st.scrapeInterval}, up window ${st.upRateWindow},`,
    `rate window ${st.rateWindow}, stabilization ${st.downStabilization}, thresholds ${st.highRps}/${st.lowRps}, MIN_DWELL ${st.minDwell}, an idle burst pool);`,
    `the frequency stepped to ${st.upRate} req/s, then to ${st.downRate} req/s; time until 90 % of the hashes of the last ${st.upShareWindow} came from burst, then of the last ${st.downShareWindow} from primary`,
    "(each hash timed as it is published on the Redis channel the page is fed from: the figure is the hash that completed such a window, so it lags",
    "the moment the route sent 90 % there by about 0.9 of the window, and is never before it).",
    `${l.runs} runs, each on a fresh local mode; ${l.staggeredRuns} of them with the burst pool's workers started one at a time, ${st.staggerMs} ms apart`,
    "(`--burst-start-stagger-ms`: the watcher finds the pool half ready at one poll and whole at the next).",
    ...(l.loadAverage
      ? [`The machine's 1-minute load average over the runs (read every 15 s): ${l.loadAverage.atStart} at the start, ${l.loadAverage.max} at most, ${l.loadAverage.mean} on average, on its ${m.cpus} cores.`]
      : []),
    "",
    "| step | median s | worst s | bound s |",
    "| --- | ---: | ---: | ---: |",
    `| up (${st.upRate} req/s) | ${l.reactionUpS} | ${l.reactionUpMaxS} | ${l.boundUpS} |`,
    `| down (${st.downRate} req/s) | ${l.reactionDownS} | ${l.reactionDownMaxS} | ${l.boundDownS} |`,
    "",
    "Each run (the watcher's moves towards burst and when it made its full shift, from its own record, seconds after the step):",
    "",
    "| run | stagger ms | up s | down s | watcher's moves towards burst | full shift s |",
    "| ---: | ---: | ---: | ---: | --- | ---: |",
    ...l.samples.map((x, i) => `| ${i + 1} | ${x.staggerMs} | ${x.upS} | ${x.downS} | ${x.moves.join(", ")} | ${show(x.fullBurstS)} |`),
    "",
    `Up: the fast view (irate over ${st.upRateWindow}) sees the new rate in the first full scrape interval after the step, so at worst two`,
    `scrape intervals, a poll and the ${st.upShareWindow} share window. Down: the slow view (rate over ${st.rateWindow}) falls below the low threshold`,
    `after (${st.upRate}−${st.lowRps})/(${st.upRate}−${st.downRate}) of its window, then every sample of the ${st.downStabilization} stabilization window must agree;`,
    "a scrape, a poll and the share window add to it. The burst pool starts with no worker (local mode's default), so the time up",
    "also holds starting the workers the watcher asks for and waiting until they are ready, before any weight moves to them; when",
    "they become ready one at a time, the weight moves to the ready share first and the rest follows at the next poll after the last",
    "one is ready (a move further towards burst is not held by MIN_DWELL).",
    "",
  ];
  return lines;
}

/** The time from each upward step to the full burst weights, always-on and at each scale-up delay (the staggered pool's trace among them). */
function fullBurstSection(watcher: Record<string, Record<PolicyName, BenchResult>>): string[] {
  const delays = SIM.scaleUpDelaysS;
  const staggered = traces().filter((t) => t.staggerS !== undefined);
  const lines = [
    "### Time to the full burst weights",
    "",
    "Seconds from the upward crossing to the first write of the highest burst weight of the run (switch: `burstWeights`; overflow: the",
    "share the load calls for), worst phase. With the pool scaled on demand, the weight moves only to ready replicas, capped by the",
    "ready share, and rises as replicas become ready: a move further towards burst right after one is made at the next poll (`minDwell`",
    `holds reversals, not follow-ups). ${staggered.map((t) => `\`${t.name}\`: its pool starts its replicas one at a time, ${t.staggerS} s apart`).join("; ")}.`,
    "In results.json: `watcher.<trace>.<policy>.fullBurstS` (always-on) and `.scaledFullBurstS` (`_<delay>s` for the other delays).",
    "",
    `| trace | policy | always-on s | ${delays.map((d) => `scaled @${d}s`).join(" | ")} |`,
    `| --- | --- | ---: | ${delays.map(() => "---:").join(" | ")} |`,
  ];
  const upward = new Set(traces().filter((t) => t.event?.direction === "up").map((t) => t.name));
  for (const [trace, byPolicy] of Object.entries(watcher)) {
    if (!upward.has(trace)) continue;
    for (const p of POLICIES) {
      const x = byPolicy[p];
      lines.push(`| ${trace} | ${p} | ${show(x.fullBurstS)} | ${delays.map((d) => show(x[poolFigureName("scaledFullBurstS", d)] as number | null)).join(" | ")} |`);
    }
  }
  lines.push("");
  return lines;
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const bad = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (bad.length) {
    process.stderr.write(`bench: unknown section ${bad.join(", ")}: choose from ${SECTIONS.join(", ")}\n`);
    process.exit(2);
  }
  const want = (s: Section) => asked.length === 0 || asked.includes(s);
  const resultsPath = join(ROOT, "bench/results.json");
  // Sections not run this time keep their last figures.
  let previous: Results | undefined;
  try {
    const { figures: _flat, ...nested } = JSON.parse(readFileSync(resultsPath, "utf8")) as Results & { figures?: unknown };
    previous = nested;
  } catch {
    previous = undefined;
  }
  const results: Results = {
    ...previous,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString().slice(0, 10) },
  };
  const step = (name: string) => process.stdout.write(`bench: ${name}...\n`);
  if (want("watcher")) {
    step("watcher policies on traces");
    const bench = runWatcherBench();
    results.watcher = bench.watcher;
    results.tradeoff = bench.tradeoff;
    step("the trade-off picture (bench/tradeoff.png)");
    await renderTradeoff(tradeoffTotals(bench.tradeoff, DEFAULT_WATCHER_SETTINGS), DEFAULT_WATCHER_SETTINGS.currency, join(ROOT, "bench/tradeoff.png"));
  }
  if (want("worker")) {
    step("worker against the floor");
    results.worker = await runWorkerBench();
  }
  if (want("pacing")) {
    step("frontend pacing");
    results.frontend = { pacing: await runPacingBench() };
  }
  if (want("local")) {
    step("local mode end to end");
    results.local = await runLocalBench((line) => process.stdout.write(`bench: local: ${line}\n`));
  }
  const flat = flatten(results);
  // Each figure twice: nested (worker.ratioToFloor is results.worker.ratioToFloor) and flat under `figures`.
  writeFileSync(resultsPath, JSON.stringify({ ...results, figures: flat }, null, 2) + "\n");
  writeFileSync(join(ROOT, "bench/RESULTS.md"), markdown(results));
  for (const [k, v] of Object.entries(flat)) process.stdout.write(`${k} = ${show(v)}\n`);
  process.stdout.write("bench: wrote bench/results.json and bench/RESULTS.md\n");
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
