/**
 * Shared by the local-mode fault tests: start local mode with short watcher settings, count every
 * hash on the Redis channel independently of the frontend, and account for every call the frontend
 * made between two quiet moments (no call in flight, the last hashes arrived).
 */
import { PassThrough } from "node:stream";
import Redis from "ioredis";
import { BURST_PREFIX, CHANNEL } from "@istio-burst/contract";
import { startLocal, type LocalRun, type StartLocalOptions } from "../../local/src/run";
import { pidAlive } from "../../local/src/supervisor";
import { parseMetrics, request } from "../helpers/local-http";
import { setFrequency } from "../helpers/local-stats";
import type { StatsSnapshot } from "../../apps/frontend/src/stats";
import { sleep } from "../../packages/tooling/src/processes";
import { QUICK_RUN } from "../local/quick-run";

/** What GET /api/stats answers. */
export type FullStats = StatsSnapshot;

export async function stats(frontend: string): Promise<FullStats> {
  const r = await request(`${frontend}/api/stats`);
  if (r.status !== 200) throw new Error(`GET /api/stats: HTTP ${r.status}: ${r.text}`);
  return r.json<FullStats>();
}

export function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
  return { stream, text: () => text };
}

/** Counts the messages on the Redis channel, as Redis delivered them (reconnects by itself). */
export class ChannelCounter {
  readonly redis: Redis;
  primary = 0;
  burst = 0;
  private subscribed = false;

  private constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 2_000, retryStrategy: (n) => Math.min(n * 100, 1_000) });
    this.redis.on("error", () => undefined);
    this.redis.on("message", (_channel: string, message: string) => {
      if (message.startsWith(BURST_PREFIX)) this.burst++;
      else this.primary++;
    });
  }

  static async start(url: string): Promise<ChannelCounter> {
    const c = new ChannelCounter(url);
    await c.redis.subscribe(CHANNEL);
    c.subscribed = true;
    return c;
  }

  get total(): number {
    return this.primary + this.burst;
  }

  get ready(): boolean {
    return this.subscribed && this.redis.status === "ready";
  }

  close(): void {
    this.redis.disconnect();
  }
}

export interface Mark {
  stats: FullStats;
  channel: number;
  at: number;
}

/**
 * Stops the rate and waits until nothing is in flight and the hashes stopped arriving (as many as
 * the 200 answers since `from`, or no new one for 1.5 s), then returns the reading.
 */
export async function quiet(run: LocalRun, counter: ChannelCounter, from?: Mark, timeoutMs = 15_000): Promise<Mark> {
  await setFrequency(run.urls.frontend, 0);
  const deadline = Date.now() + timeoutMs;
  let last = await stats(run.urls.frontend);
  let lastChange = Date.now();
  for (;;) {
    await sleep(100);
    const s = await stats(run.urls.frontend);
    const hashes = s.hashes.primary + s.hashes.burst;
    if (hashes !== last.hashes.primary + last.hashes.burst || s.ok !== last.ok) lastChange = Date.now();
    last = s;
    const settledHashes = from ? hashes - (from.stats.hashes.primary + from.stats.hashes.burst) === s.ok - from.stats.ok : false;
    if (s.inFlight === 0 && (settledHashes || Date.now() - lastChange >= 1_500)) {
      // the test's own subscriber may be a few ms behind the frontend's
      await sleep(200);
      return { stats: await stats(run.urls.frontend), channel: counter.total, at: Date.now() };
    }
    if (Date.now() > deadline) throw new Error(`calls still in flight (${s.inFlight}) or hashes still arriving after ${timeoutMs} ms`);
  }
}

export interface Figures {
  /** calls due at the asked rate: sent + dropped */
  due: number;
  sent: number;
  dropped: number;
  ok: number;
  errors: number;
  inFlight: number;
  /** answers by status (and timeout / error) */
  responses: Record<string, number>;
  /** hashes the frontend received */
  hashes: number;
  hashesPrimary: number;
  hashesBurst: number;
  /** hashes the test's own subscriber received on the channel */
  channel: number;
  seconds: number;
}

export function figures(a: Mark, b: Mark): Figures {
  const d = (k: "sent" | "ok" | "errors" | "dropped") => b.stats[k] - a.stats[k];
  const responses: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.stats.responses)) {
    const n = v - (a.stats.responses[k] ?? 0);
    if (n !== 0) responses[k] = n;
  }
  const hp = b.stats.hashes.primary - a.stats.hashes.primary;
  const hb = b.stats.hashes.burst - a.stats.hashes.burst;
  return {
    due: d("sent") + d("dropped"),
    sent: d("sent"),
    dropped: d("dropped"),
    ok: d("ok"),
    errors: d("errors"),
    inFlight: b.stats.inFlight,
    responses,
    hashes: hp + hb,
    hashesPrimary: hp,
    hashesBurst: hb,
    channel: b.channel - a.channel,
    seconds: Math.round((b.at - a.at) / 100) / 10,
  };
}

/** One line for the test output and docs/failures.md. */
export function summary(scenario: string, f: Figures, extra = ""): string {
  const codes = Object.entries(f.responses)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  return (
    `fault ${scenario}: ${f.seconds} s, due ${f.due} = sent ${f.sent} + dropped ${f.dropped}; ok ${f.ok}, errors ${f.errors} (${codes}); ` +
    `in flight ${f.inFlight}; hashes ${f.hashes} (primary ${f.hashesPrimary}, burst ${f.hashesBurst}), on the channel ${f.channel}` +
    (extra ? `; ${extra}` : "")
  );
}

/** Every call due is accounted for: answered, failed or dropped, and nothing is left in flight. */
export function expectAccounted(f: Figures): void {
  expect(f.inFlight).toBe(0);
  expect(f.sent + f.dropped).toBe(f.ok + f.errors);
  expect(Object.values(f.responses).reduce((a, b) => a + b, 0)).toBe(f.sent);
  expect(f.responses["200"] ?? 0).toBe(f.ok);
}

/** A run with no failure: every call answered 200 and every 200's hash reached the frontend and the channel. */
export function expectAllDelivered(f: Figures): void {
  expect(f.errors).toBe(0);
  expect(f.hashes).toBe(f.ok);
  expect(f.channel).toBe(f.ok);
}

export async function httpStatus(url: string, opts: { method?: string; body?: string } = {}): Promise<number> {
  try {
    return (await request(url, { ...opts, headers: opts.body ? { "content-type": "application/json" } : undefined, timeoutMs: 3_000 })).status;
  } catch {
    return 0;
  }
}

export async function meshWeights(run: LocalRun): Promise<{ primary: number; burst: number }> {
  return (await request(`${run.urls.meshAdmin}/weights`)).json();
}

/** A counter or gauge from a /metrics page (summed over label sets that match). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await request(url)).text;
  return parseMetrics(text)
    .filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))
    .reduce((a, m) => a + m.value, 0);
}

/** Polls until `check` returns a value (not undefined), or throws with `what` and the last note. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export type FaultRun = { run: LocalRun; counter: ChannelCounter; out: ReturnType<typeof collector>; err: ReturnType<typeof collector>; pids: () => number[] };

/** Local mode with the end-to-end test's quick watcher settings, plus the test's channel counter. */
export async function startFaultRun(options: Partial<StartLocalOptions> = {}): Promise<FaultRun> {
  const out = collector();
  const err = collector();
  const run = await startLocal({
    ...QUICK_RUN,
    primaryWorkers: 1,
    // the burst pool starts empty (burstMinReplicas 0) and is scaled by the watcher; a dead member is replaced after 3 s
    burstRestartDelayMs: 3_000,
    graceMs: 5_000,
    out: out.stream,
    err: err.stream,
    ...options,
  });
  const seen = new Set<number>();
  const pids = () => {
    for (const c of run.children) seen.add(c.pid);
    return [...seen];
  };
  pids();
  // burst workers come and go: remember every one that ran, to check at the end that none is left
  const watch = setInterval(pids, 250);
  watch.unref();
  void run.done.then(() => clearInterval(watch));
  let counter: ChannelCounter;
  try {
    counter = await ChannelCounter.start(run.urls.redis);
  } catch (e) {
    await run.stop();
    throw e;
  }
  return { run, counter, out, err, pids };
}

export async function stopFaultRun(f: FaultRun | undefined): Promise<void> {
  if (!f) return;
  f.counter.close();
  const pids = f.pids();
  await f.run.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
}
