/**
 * The watcher's loop. It sees only a MetricsSource and a TrafficRouter (and, with the capacity side
 * on, a Scaler): each poll it takes a sample and reads the burst pool, asks the pure decide() what to
 * do, asks the scaler for the replicas the decision wants, and when the weights change, sets them
 * through the router. Its state comes from the weights (and the pool) it finds at start (a restart
 * in burst stays in burst, with the replicas it finds).
 */
import type { Logger } from "@istio-burst/common";
import {
  burstCostOf,
  formatWeights,
  RECENT_CHANGES,
  ReplicaMeter,
  SIDES,
  SUBSETS,
  type Action,
  type BurstCost,
  type Pricing,
  type StatusSample,
  type WatcherStatus,
  type WeightChange,
} from "@istio-burst/contract";
import { decide, initialState, phaseOf, type Decision, type Observation, type Policy, type PoolReading, type Sample, type State } from "./decide";
import type { WatcherMetrics } from "./metrics";
import type { MetricsSource } from "./prometheus";
import type { ChangeNote, TrafficRouter } from "./router";
import type { Scaler } from "./scaler";

export interface ControllerOptions {
  readonly source: MetricsSource;
  readonly router: TrafficRouter;
  readonly policy: Policy;
  readonly pollIntervalMs: number;
  /** Log decisions without setting weights (the state follows the decisions as if applied). */
  readonly dryRun: boolean;
  readonly log: Logger;
  readonly metrics?: WatcherMetrics;
  readonly now?: () => number;
  /** A router or scaler call that takes longer fails (the loop goes on; default 10 s). */
  readonly routerTimeoutMs?: number;
  /** The capacity side (SCALER); undefined: off. */
  readonly scaler?: Scaler;
  /** What the burst pool's replicas cost (the settings burstReplicaHourlyCost, currency, burstReplicas); reported as `cost` with a scaler. */
  readonly pricing?: Pricing;
  /** Writes a Kubernetes Event for a scale request (the Istio router's writer); undefined: logs only. */
  readonly recordEvent?: (note: ChangeNote) => Promise<void>;
  /** Whether this watcher may write now (leader election: it leads); asked before every weight change and scale request. Default: always. */
  readonly mayWrite?: () => boolean;
}

/** The part of /status the controller knows (the app adds where it queries). */
export type ControllerStatus = Omit<WatcherStatus, "service" | "prometheusUrl" | "query" | "upQuery" | "healthQuery" | "election">;

const NOTES: Partial<Record<Action, Omit<ChangeNote, "message">>> = {
  "to-burst": { reason: "BurstStarted" },
  "to-natural": { reason: "BurstEnded" },
  "step-up": { reason: "BurstIncreased" },
  "step-down": { reason: "BurstDecreased" },
  "health-fallback": { reason: "BurstUnhealthy", warning: true },
  "capacity-fallback": { reason: "BurstCapacityLost", warning: true },
};

/** Repeated failures are logged on the first occurrence, then every this many polls. */
const LOG_EVERY = 60;

export class Controller {
  private state: State | undefined;
  private lastSample: StatusSample | undefined;
  private lastDecision: { at: string; action: Action; reason: string } | undefined;
  private changes: WeightChange[] = [];
  private changeCount = 0;
  private polls = 0;
  private initFailures = 0;
  private setFailures = 0;
  private pool: PoolReading | undefined;
  private poolReason: string | null = null;
  private poolReadFailures = 0;
  /** why scaling is paused (the burst pool cannot be read), and since when; null while it can be read */
  private paused: { why: string; since: number } | null = null;
  private scaleFailures = 0;
  private lastScaleAt: string | null = null;
  private dryRunReplicas: number | undefined;
  private scaleUpTime: { ms: number; measured: boolean } | undefined;
  /** the burst pool's replica-seconds since its first read */
  private meter: ReplicaMeter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly opts: ControllerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** True once the current weights have been read. */
  get ready(): boolean {
    return this.state !== undefined;
  }

  get currentState(): State | undefined {
    return this.state;
  }

  /**
   * Forgets the state, so the next poll starts from the weights and the pool it finds (a watcher that
   * starts leading continues from what the last leader left, not from what it knew before).
   */
  forget(): void {
    this.state = undefined;
    this.pool = undefined;
    this.paused = null;
    this.poolReadFailures = 0;
  }

  /** Reads the current weights and takes the state from them; false (logged) when the router fails. */
  async init(): Promise<boolean> {
    const { router, policy, log, metrics } = this.opts;
    try {
      const weights = await this.bounded(router.getWeights(), "reading the weights");
      this.state = initialState(weights, policy);
      this.showWeights(this.state);
      log.info({ router: router.description, weights, phase: this.state.phase, mode: policy.mode, dryRun: this.opts.dryRun }, "found current weights");
      this.initFailures = 0;
      return true;
    } catch (err) {
      metrics?.routerErrors.inc({ op: "get" });
      if (this.initFailures++ % LOG_EVERY === 0) log.error({ err: errText(err), router: router.description, failures: this.initFailures }, "cannot read the current weights; retrying");
      return false;
    }
  }

  /** One poll: sample, decide, and apply a change. Returns the decision (undefined before init). */
  async tick(): Promise<Decision | undefined> {
    const run = this.tickOnce();
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  private async tickOnce(): Promise<Decision | undefined> {
    if (!this.state && !(await this.init())) return undefined;
    const { source, router, policy, log, metrics, dryRun } = this.opts;
    const before = this.state as State;
    const measured = await source.sample({ burstInUse: before.weights.burst > 0 });
    const pool = await this.readPool();
    const sample: Sample = pool === undefined ? measured : { ...measured, pool };
    const now = this.now();
    this.polls++;
    this.lastSample = { at: new Date(now).toISOString(), ...sample };
    this.observe(before, measured);

    const decision = decide(before, sample, policy, now);
    metrics?.decisions.inc({ action: decision.action });
    this.lastDecision = { at: new Date(now).toISOString(), action: decision.action, reason: decision.reason };
    if (decision.scaleReason !== undefined) this.poolReason = decision.scaleReason;
    if (decision.scaleUpTime !== undefined) this.scaleUpTime = decision.scaleUpTime;
    if (decision.replicas !== undefined) await this.scale(decision.replicas, decision.scaleReason ?? "", now);
    if (!decision.changed) {
      this.state = decision.state;
      return decision;
    }
    const note: ChangeNote = { ...(NOTES[decision.action] ?? { reason: "WeightsChanged" }), message: decision.reason };
    const fields = { action: decision.action, reason: decision.reason, from: formatWeights(before.weights), to: formatWeights(decision.weights), dryRun };
    if (!this.mayWrite()) {
      log.warn(fields, "not leading any more: the weights are left to the leader");
      return decision;
    }
    if (!dryRun) {
      try {
        await this.bounded(router.setWeights(decision.weights, note), "setting the weights");
        this.setFailures = 0;
      } catch (err) {
        // Keep the old state: the next poll decides again and retries.
        metrics?.routerErrors.inc({ op: "set" });
        if (this.setFailures++ % LOG_EVERY === 0) log.error({ ...fields, err: errText(err), failures: this.setFailures }, "failed to set weights");
        this.state = { ...before, noDataStreak: decision.state.noDataStreak, errorStreak: decision.state.errorStreak };
        return decision;
      }
    }
    this.state = decision.state;
    this.changes = [
      ...this.changes.slice(1 - RECENT_CHANGES),
      { at: new Date(now).toISOString(), seq: ++this.changeCount, action: decision.action, reason: decision.reason, from: before.weights, to: decision.weights, dryRun },
    ];
    (decision.action === "health-fallback" || decision.action === "capacity-fallback" ? log.warn.bind(log) : log.info.bind(log))(fields, dryRun ? "would change weights (DRY_RUN)" : "changed weights");
    metrics?.weightChanges.inc({ action: decision.action });
    if (decision.state.phase !== before.phase) metrics?.switches.inc({ to: decision.state.phase });
    metrics?.lastChange.set(now / 1000);
    this.showWeights(decision.state);
    return decision;
  }

  /** The pool beside the sample: undefined without a scaler, null when the read failed (counted, logged once per streak). */
  private async readPool(): Promise<PoolReading | null | undefined> {
    const { scaler, metrics } = this.opts;
    if (!scaler) return undefined;
    try {
      const pool = await this.bounded(scaler.get(), "reading the burst pool");
      if (this.poolReadFailures > 0) this.resumeScaling(scaler.description);
      this.poolReadFailures = 0;
      this.pool = pool;
      this.countReplicas(pool.desired);
      metrics?.burstReplicas.set({ kind: "desired" }, pool.desired);
      metrics?.burstReplicas.set({ kind: "ready" }, pool.ready);
      return pool;
    } catch (err) {
      metrics?.poolReadErrors.inc();
      if (this.poolReadFailures++ === 0) this.pauseScaling(scaler.description, errText(err));
      return null;
    }
  }

  /**
   * The burst pool cannot be read (its cluster's API server is away): no scale request is made, no
   * weight change towards burst (the ready gate holds it), and the burst weight in force is kept while
   * the health guard finds burst healthy. Logged, in /status, and as a Warning Event.
   */
  private pauseScaling(scaler: string, err: string): void {
    const why = `cannot read the burst pool (${err}): scaling paused, and weights that would grow burst held, until it can be read again`;
    this.paused = { why, since: this.now() };
    this.opts.log.error({ err, scaler }, "cannot read the burst pool; scaling paused, holding weights that would grow burst");
    void this.note({ reason: "BurstPoolUnreachable", warning: true, message: `${scaler}: ${why}` });
  }

  private resumeScaling(scaler: string): void {
    const seconds = this.paused ? Math.round((this.now() - this.paused.since) / 100) / 10 : undefined;
    this.paused = null;
    this.opts.log.info({ scaler, failedPolls: this.poolReadFailures, pausedS: seconds }, "burst pool can be read again; scaling resumed");
    void this.note({ reason: "BurstPoolReachable", message: `${scaler}: readable again after ${this.poolReadFailures} failed polls${seconds === undefined ? "" : ` (${seconds}s)`}; scaling resumed` });
  }

  /** An Event, when this watcher may write; a failure to write it is logged, never thrown. */
  private async note(note: ChangeNote): Promise<void> {
    if (!this.mayWrite() || !this.opts.recordEvent) return;
    await this.opts.recordEvent(note).catch((err: unknown) => this.opts.log.warn({ err: errText(err), reason: note.reason }, "the Kubernetes Event could not be written"));
  }

  /** Asks the scaler for `replicas`; a failure is counted and logged, and the next decision asks again. */
  private async scale(replicas: number, why: string, now: number): Promise<void> {
    const { scaler, metrics, log, dryRun } = this.opts;
    if (!scaler) return;
    const from = this.pool?.desired;
    const fields = { scaler: scaler.description, from, to: replicas, reason: why, dryRun };
    if (!this.mayWrite()) {
      log.warn(fields, "not leading any more: the burst pool is left to the leader");
      return;
    }
    if (dryRun) {
      if (this.dryRunReplicas !== replicas) log.info(fields, "would scale the burst pool (DRY_RUN)");
      this.dryRunReplicas = replicas;
      return;
    }
    try {
      await this.bounded(scaler.scale(replicas), "scaling the burst pool");
    } catch (err) {
      metrics?.scaleRequests.inc({ result: "error" });
      if (this.scaleFailures++ % LOG_EVERY === 0) log.error({ ...fields, err: errText(err), failures: this.scaleFailures }, "failed to scale the burst pool; asking again at the next decision");
      return;
    }
    this.scaleFailures = 0;
    metrics?.scaleRequests.inc({ result: "ok" });
    this.lastScaleAt = new Date(now).toISOString();
    if (this.pool) this.pool = { ...this.pool, desired: replicas };
    this.countReplicas(replicas);
    metrics?.burstReplicas.set({ kind: "desired" }, replicas);
    log.info(fields, "scaled the burst pool");
    await this.note({
      reason: from !== undefined && replicas < from ? "BurstPoolScaledDown" : "BurstPoolScaledUp",
      message: `${scaler.description}: replicas ${from ?? "?"} -> ${replicas}: ${why}`,
    });
  }

  private mayWrite(): boolean {
    return this.opts.mayWrite?.() ?? true;
  }

  /** The pool has `replicas` (paid for) from now on. */
  private countReplicas(replicas: number): void {
    const now = this.now();
    if (this.meter) this.meter.set(replicas, now);
    else this.meter = new ReplicaMeter(now, replicas);
  }

  /** What the burst pool has cost since its first read (nothing before it); null without a scaler or pricing. */
  private cost(): BurstCost | null {
    const { scaler, pricing } = this.opts;
    if (!scaler || !pricing) return null;
    const now = this.now();
    return this.meter ? this.meter.cost(now, pricing) : burstCostOf(0, now, now, pricing);
  }

  private observe(before: State, sample: Observation): void {
    const { metrics, log } = this.opts;
    if (sample.kind === "value") {
      metrics?.observedRps.set(sample.rps);
      if (sample.upRps !== undefined) metrics?.observedUpRps.set(sample.upRps);
      if (sample.burstSuccessRatio !== undefined) metrics?.burstSuccessRatio.set(sample.burstSuccessRatio);
      if (before.errorStreak > 0) log.info({ failedPolls: before.errorStreak }, "Prometheus queries work again");
      if (before.noDataStreak > 0) log.info({ polls: before.noDataStreak }, "query has data again");
    } else if (sample.kind === "nodata") {
      metrics?.noData.inc({ reason: sample.reason });
      if (before.noDataStreak % LOG_EVERY === 0) log.warn({ reason: sample.reason, polls: before.noDataStreak + 1 }, "query returned no usable value; holding weights");
    } else {
      metrics?.queryErrors.inc();
      if (before.errorStreak % LOG_EVERY === 0) log.error({ err: sample.message, polls: before.errorStreak + 1 }, "Prometheus query failed; holding weights");
    }
  }

  private showWeights(state: State): void {
    const metrics = this.opts.metrics;
    for (const side of SIDES) metrics?.weight.set({ subset: SUBSETS[side] }, state.weights[side]);
    metrics?.inBurst.set(phaseOf(state.weights, this.opts.policy) === "burst" ? 1 : 0);
  }

  /** Starts polling every pollIntervalMs (measured from the start of each poll). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = async () => {
      const started = this.now();
      try {
        await this.tick();
      } catch (err) {
        this.opts.log.error({ err: errText(err) }, "poll failed");
      }
      if (!this.running) return;
      const wait = this.ready ? this.opts.pollIntervalMs : Math.min(this.opts.pollIntervalMs * 2 ** Math.min(this.initFailures, 5), 10_000);
      this.timer = setTimeout(loop, Math.max(0, wait - (this.now() - started)));
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops polling and waits (at most 5 s) for a poll in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inFlight, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
  }

  private bounded<T>(call: Promise<T>, what: string): Promise<T> {
    const ms = this.opts.routerTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  status(): ControllerStatus {
    const { policy, router, dryRun, pollIntervalMs } = this.opts;
    const state = this.state;
    return {
      ready: this.ready,
      mode: policy.mode,
      dryRun,
      router: router.description,
      pollIntervalMs,
      thresholds: policy,
      polls: this.polls,
      lastSample: this.lastSample ?? null,
      lastDecision: this.lastDecision ?? null,
      weights: state?.weights ?? null,
      phase: state?.phase ?? null,
      changes: this.changeCount,
      lastChange: this.changes.at(-1) ?? null,
      recentChanges: this.changes,
      burstPool: this.opts.scaler ? this.poolStatus() : null,
      cost: this.cost(),
    };
  }

  private poolStatus(): NonNullable<WatcherStatus["burstPool"]> {
    const scaleUpTime = this.scaleUpTime ?? { ms: this.opts.policy.scaleUpTime, measured: false };
    return {
      desired: this.pool?.desired ?? 0,
      ready: this.pool?.ready ?? 0,
      reason: this.poolReason,
      lastScaleAt: this.lastScaleAt,
      scaleUpTimeMs: scaleUpTime.ms,
      scaleUpTimeMeasured: scaleUpTime.measured,
      paused: this.paused ? { reason: this.paused.why, since: new Date(this.paused.since).toISOString() } : null,
    };
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
