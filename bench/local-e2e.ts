/**
 * Local mode end to end, with real Prometheus: the time from a frequency step to 90 % of new hashes
 * coming from the burst pool, and back to 90 % from primary. New hashes are counted from the
 * frontend's `/api/stats` over a sliding window; the run uses local mode's defaults (15/10 rps, 1 s
 * scrape and the windows that follow from it, 1 s poll).
 */
import { Writable } from "node:stream";
import { formatDuration } from "@istio-burst/contract";
import { startLocal } from "../local/src/run";
import { sleep } from "../local/src/processes";

interface Stats {
  hashes: { primary: number; burst: number };
}

export interface LocalBench {
  reactionUpS: number;
  reactionDownS: number;
  settings: { highRps: number; lowRps: number; scrapeInterval: string; upRateWindow: string; rateWindow: string; downStabilization: string; upRate: number; downRate: number };
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

export async function runLocalBench(): Promise<LocalBench> {
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const run = await startLocal({ port: 0, out: quiet });
  const base = run.urls.frontend;
  const upRate = 25;
  const downRate = 3;
  const { highRps, lowRps, rateWindow, scrapeInterval, upRateWindow, downStabilization, pollInterval } = run.config;
  const windowS = rateWindow / 1000;
  const [scrapeS, pollS, shareS, stableS] = [scrapeInterval / 1000, pollInterval / 1000, SHARE_WINDOW_MS / 1000, downStabilization / 1000];
  try {
    await setFreq(base, upRate);
    const upAt = Date.now();
    const reactionUpS = await timeUntil(base, (share) => share >= 0.9, 120);
    // hold the high rate until the rate window holds nothing but it
    await sleep(Math.max(0, upAt + (windowS + 5) * 1000 - Date.now()));
    await setFreq(base, downRate);
    const reactionDownS = await timeUntil(base, (share) => share <= 0.1, 120);
    return {
      reactionUpS: Math.round(reactionUpS * 10) / 10,
      reactionDownS: Math.round(reactionDownS * 10) / 10,
      settings: {
        highRps,
        lowRps,
        scrapeInterval: formatDuration(scrapeInterval),
        upRateWindow: formatDuration(upRateWindow),
        rateWindow: formatDuration(rateWindow),
        downStabilization: formatDuration(downStabilization),
        upRate,
        downRate,
      },
      boundUpS: Math.round((2 * scrapeS + pollS + shareS) * 10) / 10,
      boundDownS: Math.round((((upRate - lowRps) / (upRate - downRate)) * windowS + stableS + scrapeS + pollS + shareS) * 10) / 10,
    };
  } finally {
    await run.stop();
  }
}
