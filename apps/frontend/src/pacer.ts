/**
 * Paces calls at `freq` per second. Each tick works out how many calls are due from the time
 * elapsed since the rate was set (floor(elapsed * freq) minus the calls already made), so timer
 * jitter and ticks coarser than 1/freq do not change the achieved rate, and 0 means none at all.
 * (The 2018 codelab's setInterval(1000 / freq) floods at 0 and tops out near 1000/s.)
 */
export class Pacer {
  private freq = 0;
  private epoch = 0;
  private fired = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Called once per due call. */
    private readonly fire: () => void,
    private readonly tickMs = 10,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get rate(): number {
    return this.freq;
  }

  /**
   * Sets the rate (calls per second, 0 stops). Calls already due at the old rate are fired first,
   * then the schedule restarts from now.
   */
  set(freq: number): void {
    if (!Number.isFinite(freq) || freq < 0) throw new RangeError(`freq must be a finite number >= 0, got ${freq}`);
    this.tick();
    this.freq = freq;
    this.epoch = this.now();
    this.fired = 0;
    if (freq === 0) this.stopTimer();
    else if (!this.timer) this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  /** Fires the calls due by now. Exposed for tests; the interval timer calls it. */
  tick(): void {
    if (this.freq === 0) return;
    const due = Math.floor(((this.now() - this.epoch) * this.freq) / 1000) - this.fired;
    for (let i = 0; i < due; i++) {
      this.fired++;
      this.fire();
    }
  }

  stop(): void {
    this.freq = 0;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
