/**
 * Local mode end to end, with real Prometheus: the time from a frequency step to 90 % of new hashes
 * coming from the burst pool, and back to 90 % from primary. Every hash is recorded as it is
 * published on the Redis channel the page's list is fed from (burst ones by their prefix), with its
 * arrival time; the share is read over a trailing window at each hash (UP_SHARE, DOWN_SHARE), so the
 * figure is the arrival of the hash that made the last window 90 % burst (or primary): never before
 * 90 % of the requests went there (a trailing window lags the switch, by about 0.9 of its length). The run
 * uses local mode's defaults (15/10 rps, 1 s scrape and the windows that follow from it, 1 s poll, an
 * idle burst pool). It runs RUNS times, each on a fresh local mode, every other one with the burst
 * pool's workers started one at a time (--burst-start-stagger-ms), and reports the medians and the
 * worst run: one draw hides the case where the watcher finds the pool half ready.
 */
import { loadavg } from "node:os";
import { Writable } from "node:stream";
import { BURST_PREFIX, CHANNEL, formatDuration, type WeightChange } from "@istio-burst/contract";
import Redis from "ioredis";
import { startLocal } from "../local/src/index";
import { sleep } from "../packages/tooling/src/processes";

/** One hash as the bench saw it published: when (epoch ms), and whether burst computed it. */
export interface HashRecord {
  readonly t: number;
  readonly burst: boolean;
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
    /** the trailing windows the share of hashes is read over, going up and going down */
    upShareWindow: string;
    downShareWindow: string;
  };
  /**
   * What the policy predicts at worst. Up: the first full scrape interval after the step (two scrape
   * intervals), a poll, and the share window. Down: the slow view's rate() crossing LOW_RPS, the
   * stabilization window, a scrape, a poll and the share window.
   */
  boundUpS: number;
  boundDownS: number;
  /** the machine's 1-minute load average over the runs (read every LOAD_EVERY_MS from the start): at the start, the highest and the mean */
  loadAverage: LoadAverage;
}

export interface LoadAverage {
  atStart: number;
  max: number;
  mean: number;
  samples: number;
}

/** The trailing window a share is read over, and the fewest hashes it must hold. */
export interface ShareWindow {
  readonly windowMs: number;
  readonly minHashes: number;
}

/**
 * Going up, 1 s: about 25 hashes at UP_RATE, so a route still at 50,50 (the capped move of a
 * half-ready pool) reads 90 % burst in it with a chance of about 1e-5. Going down, 2 s: about 6
 * hashes at DOWN_RATE, at least 3.
 */
export const UP_SHARE: ShareWindow = { windowMs: 1000, minHashes: 10 };
export const DOWN_SHARE: ShareWindow = { windowMs: 2000, minHashes: 3 };
/** How often the machine's load average is read during the runs. */
const LOAD_EVERY_MS = 15_000;
/** How often the records are read while waiting. */
const POLL_MS = 50;
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

async function setFreq(base: string, freq: number): Promise<void> {
  const res = await fetch(`${base}/api/frequency`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ freq }) });
  if (res.status !== 200) throw new Error(`POST /api/frequency answered ${res.status}`);
}

/**
 * The first hash published at least `windowMs` after `since` at which the hashes of the trailing
 * `windowMs` (at least `minHashes` of them, all published after `since`) have a burst share that
 * satisfies `done`: its time in ms after `since`; undefined: none yet. `records` in order of arrival.
 */
export function shareCrossing(records: readonly HashRecord[], since: number, done: (burstShare: number) => boolean, { windowMs, minHashes }: ShareWindow): number | undefined {
  const from = records.findIndex((r) => r.t >= since);
  if (from < 0) return undefined;
  let burst = 0;
  let start = from;
  for (let i = from; i < records.length; i++) {
    if (records[i].burst) burst++;
    while (records[start].t <= records[i].t - windowMs) burst -= records[start++].burst ? 1 : 0;
    const count = i - start + 1;
    if (count >= minHashes && records[i].t - since >= windowMs && done(burst / count)) return records[i].t - since;
  }
  return undefined;
}

/** Every hash published on the channel from now on, with its arrival time. */
async function recordHashes(redisUrl: string): Promise<{ records: HashRecord[]; close: () => Promise<void> }> {
  const sub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const records: HashRecord[] = [];
  sub.on("message", (_channel: string, message: string) => records.push({ t: Date.now(), burst: message.startsWith(BURST_PREFIX) }));
  await sub.connect();
  await sub.subscribe(CHANNEL);
  return { records, close: async () => void (await sub.quit().catch(() => sub.disconnect())) };
}

/** Seconds from `since` until the hashes' burst share over the trailing window satisfies `done`. */
async function timeUntil(records: readonly HashRecord[], since: number, done: (burstShare: number) => boolean, window: ShareWindow, timeoutS: number): Promise<number> {
  for (;;) {
    const crossedMs = shareCrossing(records, since, done, window);
    if (crossedMs !== undefined) return crossedMs / 1000;
    if (Date.now() - since > timeoutS * 1000) throw new Error(`no change within ${timeoutS} s`);
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
  const hashes = await recordHashes(run.urls.redis);
  try {
    const upAt = Date.now();
    await setFreq(base, UP_RATE);
    const upS = await timeUntil(hashes.records, upAt, (share) => share >= 0.9, UP_SHARE, 120);
    // hold the high rate until the rate window holds nothing but it
    await sleep(Math.max(0, upAt + (run.config.rateWindow / 1000 + 5) * 1000 - Date.now()));
    const moves = movesToBurst(run.weightChanges, upAt);
    const downAt = Date.now();
    await setFreq(base, DOWN_RATE);
    const downS = await timeUntil(hashes.records, downAt, (share) => share <= 0.1, DOWN_SHARE, 120);
    return { run: { staggerMs, upS: round1(upS), downS: round1(downS), ...moves }, config: run.config };
  } finally {
    await hashes.close();
    await run.stop();
  }
}

/** The 1-minute load averages read, summed up (two decimals). */
export function summarizeLoad(readings: readonly number[]): LoadAverage {
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return { atStart: round2(readings[0]), max: round2(Math.max(...readings)), mean: round2(readings.reduce((a, b) => a + b, 0) / readings.length), samples: readings.length };
}

/** RUNS runs of local mode, every other one with the burst pool's workers started STAGGER_MS apart: the medians and the worst. */
export async function runLocalBench(log: (line: string) => void = () => undefined): Promise<LocalBench> {
  const samples: LocalRun[] = [];
  let config: Awaited<ReturnType<typeof runOnce>>["config"] | undefined;
  const loads = [loadavg()[0]];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]), LOAD_EVERY_MS);
  try {
    for (let i = 0; i < RUNS; i++) {
      const staggerMs = i % 2 === 1 ? STAGGER_MS : 0;
      const once = await runOnce(staggerMs);
      config = once.config;
      samples.push(once.run);
      log(`run ${i + 1}/${RUNS} (stagger ${staggerMs} ms): up ${once.run.upS} s (watcher: ${once.run.moves.join(", ")}; full at ${once.run.fullBurstS} s), down ${once.run.downS} s`);
    }
  } finally {
    clearInterval(loadTimer);
  }
  loads.push(loadavg()[0]);
  const { highRps, lowRps, rateWindow, scrapeInterval, upRateWindow, downStabilization, pollInterval, minDwell } = config!;
  const [windowS, scrapeS, pollS, stableS] = [rateWindow / 1000, scrapeInterval / 1000, pollInterval / 1000, downStabilization / 1000];
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
      upShareWindow: formatDuration(UP_SHARE.windowMs),
      downShareWindow: formatDuration(DOWN_SHARE.windowMs),
    },
    boundUpS: round1(2 * scrapeS + pollS + UP_SHARE.windowMs / 1000),
    boundDownS: round1(((UP_RATE - lowRps) / (UP_RATE - DOWN_RATE)) * windowS + stableS + scrapeS + pollS + DOWN_SHARE.windowMs / 1000),
    loadAverage: summarizeLoad(loads),
  };
}
