/**
 * Local mode end to end, with real Prometheus: the time from a frequency step to 90 % of new hashes
 * coming from the burst pool, and back to 90 % from primary. New hashes are counted from the
 * frontend's `/api/stats` over a sliding window; the run uses local mode's defaults (15/10 rps, 1 s
 * scrape and the windows that follow from it, 1 s poll, an idle burst pool). It runs RUNS times, each
 * on a fresh local mode, every other one with the burst pool's workers started one at a time
 * (--burst-start-stagger-ms), and reports the medians and the worst run: one draw hides the case
 * where the watcher finds the pool half ready.
 */
import { Writable } from "node:stream";
import { formatDuration, type WeightChange } from "@istio-burst/contract";
import { startLocal } from "../local/src/run";
import { sleep } from "../local/src/processes";

interface Stats {
  hashes: { primary: number; burst: number };
}

/** One run: local mode started afresh (an idle burst pool), the frequency stepped up, then down. */
export interface LocalRun {
  /** the burst pool's start stagger (ms; 0: its workers start together) */
  staggerMs: number;
  /** s from the step up until 90 % of the hashes came from burst */
  upS: number;
  /** s from the step down until 90 % came from primary */
  downS: number;
  /** s from the step up to the watcher's first move towards burst, and to its full burst weights (its own record); null: not seen */
  firstMoveS: number | null;
  fullBurstS: number | null;
  /** the watcher's moves towards burst, in order (`to-burst 50,50`, `step-up 0,100`) */
  moves: string[];
}

export interface LocalBench {
  /** the median of the runs' upS and downS */
  reactionUpS: number;
  reactionDownS: number;
  /** the worst run's */
  reactionUpMaxS: number;
  reactionDownMaxS: number;
  /** runs measured; of them, with the burst pool's replicas started one at a time */
  runs: number;
  staggeredRuns: number;
  samples: LocalRun[];
  settings: {
    highRps: number;
    lowRps: number;
    scrapeInterval: string;
    upRateWindow: string;
    rateWindow: string;
    downStabilization: string;
    minDwell: string;
    upRate: number;
    downRate: number;
    /** the start stagger of the staggered runs (ms) */
    staggerMs: number;
  };
  /**
   * What the policy predicts at worst. Up: the first full scrape interval after the step (two scrape
   * intervals), a poll, and the share window. Down: the slow view's rate() crossing LOW_RPS, the
   * stabilization window, a scrape, a poll and the share window.
   */
  boundUpS: number;
  boundDownS: number;
}

const SHARE_WINDOW_MS = 2000;
const POLL_MS = 250;
/** Runs, each from a fresh local mode; every other one with a staggered burst pool. */
const RUNS = 6;
/**
 * The staggered runs' start stagger: one poll interval, so that the watcher finds the pool half ready
 * at one poll and whole at the next (issue 29: the second replica ready in the same second, the rest
 * of the shift a MIN_DWELL later).
 */
const STAGGER_MS = 1_000;
const UP_RATE = 25;
const DOWN_RATE = 3;

async function stats(base: string): Promise<Stats> {
  const res = await fetch(`${base}/api/stats`);
  return (await res.json()) as Stats;
}

async function setFreq(base: string, freq: number): Promise<void> {
  const res = await fetch(`${base}/api/frequency`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ freq }) });
  if (res.status !== 200) throw new Error(`POST /api/frequency answered ${res.status}`);
}

/** Seconds until the burst share of hashes over the last SHARE_WINDOW_MS satisfies `done`. */
async function timeUntil(base: string, done: (burstShare: number) => boolean, timeoutS: number): Promise<number> {
  const started = Date.now();
  const history: { t: number; s: Stats }[] = [];
  for (;;) {
    const t = Date.now();
    history.push({ t, s: await stats(base) });
    while (history.length > 1 && history[0].t < t - SHARE_WINDOW_MS) history.shift();
    const a = history[0].s.hashes;
    const b = history[history.length - 1].s.hashes;
    const total = b.primary - a.primary + (b.burst - a.burst);
    if (t - history[0].t >= SHARE_WINDOW_MS * 0.75 && total >= 3 && done((b.burst - a.burst) / total)) return (t - started) / 1000;
    if (t - started > timeoutS * 1000) throw new Error(`no change within ${timeoutS} s`);
    await sleep(POLL_MS);
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The watcher's moves towards burst after `since` (epoch ms), from its record of weight changes. */
export function movesToBurst(changes: readonly WeightChange[], since: number): { firstMoveS: number | null; fullBurstS: number | null; moves: string[] } {
  const ups = changes.filter((c) => Date.parse(c.at) >= since && c.to.burst > c.from.burst);
  const secondsAfter = (c: WeightChange | undefined) => (c ? round1((Date.parse(c.at) - since) / 1000) : null);
  const top = Math.max(0, ...ups.map((c) => c.to.burst));
  return { firstMoveS: secondsAfter(ups[0]), fullBurstS: secondsAfter(ups.find((c) => c.to.burst === top)), moves: ups.map((c) => `${c.action} ${c.to.primary},${c.to.burst}`) };
}

/** One run on a fresh local mode: step up, hold until the rate window holds only the high rate, step down. */
async function runOnce(staggerMs: number): Promise<{ run: LocalRun; config: Awaited<ReturnType<typeof startLocal>>["config"] }> {
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const run = await startLocal({ port: 0, out: quiet, ...(staggerMs > 0 ? { burstStartStaggerMs: staggerMs } : {}) });
  const base = run.urls.frontend;
  try {
    await setFreq(base, UP_RATE);
    const upAt = Date.now();
    const upS = await timeUntil(base, (share) => share >= 0.9, 120);
    // hold the high rate until the rate window holds nothing but it
    await sleep(Math.max(0, upAt + (run.config.rateWindow / 1000 + 5) * 1000 - Date.now()));
    const moves = movesToBurst(run.weightChanges, upAt);
    await setFreq(base, DOWN_RATE);
    const downS = await timeUntil(base, (share) => share <= 0.1, 120);
    return { run: { staggerMs, upS: round1(upS), downS: round1(downS), ...moves }, config: run.config };
  } finally {
    await run.stop();
  }
}

/** RUNS runs of local mode, every other one with the burst pool's workers started STAGGER_MS apart: the medians and the worst. */
export async function runLocalBench(log: (line: string) => void = () => undefined): Promise<LocalBench> {
  const samples: LocalRun[] = [];
  let config: Awaited<ReturnType<typeof runOnce>>["config"] | undefined;
  for (let i = 0; i < RUNS; i++) {
    const staggerMs = i % 2 === 1 ? STAGGER_MS : 0;
    const once = await runOnce(staggerMs);
    config = once.config;
    samples.push(once.run);
    log(`run ${i + 1}/${RUNS} (stagger ${staggerMs} ms): up ${once.run.upS} s (watcher: ${once.run.moves.join(", ")}; full at ${once.run.fullBurstS} s), down ${once.run.downS} s`);
  }
  const { highRps, lowRps, rateWindow, scrapeInterval, upRateWindow, downStabilization, pollInterval, minDwell } = config!;
  const [windowS, scrapeS, pollS, shareS, stableS] = [rateWindow / 1000, scrapeInterval / 1000, pollInterval / 1000, SHARE_WINDOW_MS / 1000, downStabilization / 1000];
  const ups = samples.map((r) => r.upS);
  const downs = samples.map((r) => r.downS);
  return {
    reactionUpS: round1(median(ups)),
    reactionDownS: round1(median(downs)),
    reactionUpMaxS: Math.max(...ups),
    reactionDownMaxS: Math.max(...downs),
    runs: samples.length,
    staggeredRuns: samples.filter((r) => r.staggerMs > 0).length,
    samples,
    settings: {
      highRps,
      lowRps,
      scrapeInterval: formatDuration(scrapeInterval),
      upRateWindow: formatDuration(upRateWindow),
      rateWindow: formatDuration(rateWindow),
      downStabilization: formatDuration(downStabilization),
      minDwell: formatDuration(minDwell),
      upRate: UP_RATE,
      downRate: DOWN_RATE,
      staggerMs: STAGGER_MS,
    },
    boundUpS: round1(2 * scrapeS + pollS + shareS),
    boundDownS: round1(((UP_RATE - lowRps) / (UP_RATE - DOWN_RATE)) * windowS + stableS + scrapeS + pollS + shareS),
  };
}
