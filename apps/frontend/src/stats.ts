/**
 * Counts since start and rates over a sliding window, kept in plain numbers so the hot path costs
 * an increment; /api/stats, the socket.io `stats` event and /metrics all read from here.
 */
export class RateWindow {
  private readonly buckets: Float64Array;
  private last: number;

  /** `windowMs` split into buckets of `bucketMs`. */
  constructor(
    private readonly start: number,
    windowMs = 5_000,
    private readonly bucketMs = 100,
  ) {
    this.buckets = new Float64Array(Math.ceil(windowMs / bucketMs));
    this.last = Math.floor(start / bucketMs);
  }

  add(now: number, n = 1): void {
    this.advance(now);
    this.buckets[this.last % this.buckets.length] += n;
  }

  /** Events per second over the window ending now (over the time since start while that is shorter). */
  rate(now: number): number {
    this.advance(now);
    let sum = 0;
    for (const b of this.buckets) sum += b;
    const oldest = (this.last - this.buckets.length + 1) * this.bucketMs;
    const spanMs = now - Math.max(oldest, this.start);
    return spanMs > 0 ? (sum * 1000) / spanMs : 0;
  }

  private advance(now: number): void {
    const b = Math.floor(now / this.bucketMs);
    if (b <= this.last) return;
    const n = this.buckets.length;
    for (let i = Math.max(this.last + 1, b - n + 1); i <= b; i++) this.buckets[i % n] = 0;
    this.last = b;
  }
}

export type Pool = "primary" | "burst";

export interface StatsSnapshot {
  /** requests per second asked for */
  freq: number;
  /** worker calls sent since start */
  sent: number;
  /** 2xx answers */
  ok: number;
  /** calls that failed: non-2xx answers, timeouts, connection errors, and calls dropped at the in-flight cap */
  errors: number;
  /** calls due but not sent because MAX_IN_FLIGHT were already in flight (part of errors) */
  dropped: number;
  inFlight: number;
  /** answers by HTTP status, plus `timeout` and `error` (no answer) */
  responses: Record<string, number>;
  /** hashes delivered on the Redis channel, by pool */
  hashes: Record<Pool, number>;
  /** per second over the last 5 s */
  rate: { sent: number; ok: number; errors: number; primary: number; burst: number };
  /** milliseconds since the epoch, when this was taken */
  time: number;
}

export class Stats {
  freq = 0;
  sent = 0;
  ok = 0;
  errors = 0;
  dropped = 0;
  inFlight = 0;
  readonly responses = new Map<string, number>();
  readonly hashes: Record<Pool, number> = { primary: 0, burst: 0 };
  private readonly windows;

  constructor(private readonly now: () => number = () => performance.now()) {
    const t = now();
    this.windows = {
      sent: new RateWindow(t),
      ok: new RateWindow(t),
      errors: new RateWindow(t),
      primary: new RateWindow(t),
      burst: new RateWindow(t),
    };
  }

  recordSent(): void {
    this.sent++;
    this.inFlight++;
    this.windows.sent.add(this.now());
  }

  /** A call finished: `outcome` is the HTTP status, or `timeout` / `error` when there was no answer. */
  recordOutcome(outcome: number | "timeout" | "error"): void {
    this.inFlight--;
    const key = String(outcome);
    this.responses.set(key, (this.responses.get(key) ?? 0) + 1);
    if (typeof outcome === "number" && outcome >= 200 && outcome < 300) {
      this.ok++;
      this.windows.ok.add(this.now());
    } else {
      this.errors++;
      this.windows.errors.add(this.now());
    }
  }

  recordDropped(): void {
    this.dropped++;
    this.errors++;
    this.windows.errors.add(this.now());
  }

  recordHash(pool: Pool): void {
    this.hashes[pool]++;
    this.windows[pool].add(this.now());
  }

  snapshot(): StatsSnapshot {
    const t = this.now();
    const r = (w: RateWindow) => Math.round(w.rate(t) * 100) / 100;
    return {
      freq: this.freq,
      sent: this.sent,
      ok: this.ok,
      errors: this.errors,
      dropped: this.dropped,
      inFlight: this.inFlight,
      responses: Object.fromEntries(this.responses),
      hashes: { ...this.hashes },
      rate: {
        sent: r(this.windows.sent),
        ok: r(this.windows.ok),
        errors: r(this.windows.errors),
        primary: r(this.windows.primary),
        burst: r(this.windows.burst),
      },
      time: Date.now(),
    };
  }
}
