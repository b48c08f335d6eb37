/** Reads the frontend's /api/stats and judges the burst share of the hashes that arrive. */
import { request } from "./local-http";
import { sleep } from "../../packages/tooling/src/processes";

export interface Stats {
  freq: number;
  sent: number;
  ok: number;
  errors: number;
  hashes: { primary: number; burst: number };
  rate: { sent: number; primary: number; burst: number };
}

export async function getStats(frontend: string): Promise<Stats> {
  const r = await request(`${frontend}/api/stats`);
  if (r.status !== 200) throw new Error(`GET /api/stats: HTTP ${r.status}: ${r.text}`);
  return r.json<Stats>();
}

export async function setFrequency(frontend: string, freq: number): Promise<void> {
  const r = await request(`${frontend}/api/frequency`, { method: "POST", body: JSON.stringify({ freq }), headers: { "content-type": "application/json" } });
  if (r.status !== 200 || r.json<{ freq: number }>().freq !== freq) throw new Error(`POST /api/frequency ${freq}: HTTP ${r.status}: ${r.text}`);
}

export interface ShareWindow {
  /** seconds since the watch started, at the end of the window */
  at: number;
  primary: number;
  burst: number;
  share: number;
}

/**
 * Polls /api/stats and waits until the hashes that arrived within the last `windowMs` number at
 * least `minHashes` and their burst share satisfies `accept`. Returns that window and the history
 * of windows seen (for the failure message).
 */
export async function waitForShare(
  frontend: string,
  what: string,
  accept: (share: number) => boolean,
  opts: { windowMs?: number; minHashes: number; timeoutMs: number; everyMs?: number },
): Promise<{ hit: ShareWindow; history: ShareWindow[] }> {
  const windowMs = opts.windowMs ?? 2_000;
  const samples: { t: number; s: Stats }[] = [];
  const history: ShareWindow[] = [];
  const start = Date.now();
  for (;;) {
    const now = Date.now();
    samples.push({ t: now, s: await getStats(frontend) });
    // the newest sample at least windowMs old
    const base = [...samples].reverse().find((x) => now - x.t >= windowMs);
    if (base) {
      const last = samples[samples.length - 1].s;
      const primary = last.hashes.primary - base.s.hashes.primary;
      const burst = last.hashes.burst - base.s.hashes.burst;
      const total = primary + burst;
      const w = { at: Math.round((now - start) / 100) / 10, primary, burst, share: total > 0 ? burst / total : NaN };
      history.push(w);
      if (total >= opts.minHashes && accept(w.share)) return { hit: w, history };
    }
    if (now - start > opts.timeoutMs) {
      const tail = history.slice(-12).map((h) => `${h.at}s: ${h.primary}p/${h.burst}b`).join(", ");
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}; windows: ${tail}`);
    }
    await sleep(opts.everyMs ?? 500);
  }
}
