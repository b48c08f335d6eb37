/**
 * Watcher policies replayed over load traces in simulated time.
 *
 * The model: the frontend offers `rps(t)` requests/s to worker-service; the mesh splits them by the
 * route weights (a new weight takes effect PROPAGATION_S after the watcher writes it, the time istiod
 * needs to push it); sidecars count requests in `istio_requests_total`, Prometheus scrapes the counters
 * every SCRAPE_S and answers `rate()` and `irate()` over them the way Prometheus does
 * (bench/prom-rate.ts); the watcher polls every second. Primary serves up to PRIMARY_CAPACITY_RPS.
 * Every trace runs once per scrape phase (the scrape instants shifted against the trace's steps in
 * PHASE_STEP_S steps over one scrape interval); the results report the worst phase, and how many
 * phases a trace caused a burst episode on.
 *
 * The burst pool (capacity on demand): with the capacity side on, the watcher also reads the burst pool
 * and asks for replicas; a replica asked for becomes ready `scaleUpDelayS` later (2 s: a local
 * process; 60 s: a new pod with an image pull; 240 s: a new node first), and one asked away is gone at
 * once. Replica-seconds count replicas from the moment they are asked for (they are paid for while
 * they start). The always-on pool it is compared with is BURST_REPLICAS replicas for the whole trace.
 * A trace with `staggerS` has a pool whose replicas start one at a time, that far apart (each is
 * ready `scaleUpDelayS` after its own start): the pool becomes ready one replica at a time, and
 * `fullBurstS` says how long the watcher took from the step to its full burst weights.
 * The reaction, changes and capacity figures come from runs with the capacity side off (an
 * always-ready pool, as before); the pool figures from runs with it on.
 *
 * Policies:
 * - `switch`, `overflow`: this project's watcher (watcher/src/decide/, with its default settings
 *   for a 5 s scrape, the trend pre-warm included), on the default queries: all requests as the
 *   frontend's sidecar reports them, `irate()` over the up window (the fast view) and `rate()` over
 *   the rate window (the slow view). The trade-off runs them again with the other pre-warm policies
 *   (TRADEOFF_POLICIES: PREWARM=off and level), and sets them beside the always-on pool.
 * - `codelab`: the 2018 codelab's istiowatcher: 15/10 rps, 1 s poll, no dwell, all-or-nothing, an
 *   empty result read as 0, on its `reporter="destination"` query with a `[15s]` window. With today's
 *   per-cluster telemetry primary's Prometheus sees only what primary's own sidecars serve, so its
 *   measure drops to 0 as soon as traffic moves to burst.
 */
import { watcherWiringEnv, type Mode, type Prewarm, type Weights } from "@istio-burst/contract";
import { decide, initialState, loadConfig, policyOf, type PoolReading, type State } from "../watcher/src/lib";
import { prng } from "../packages/tooling/src/random";
import { promIrate, promRate, type CounterSample } from "./prom-rate";

export const SIM = {
  dtS: 0.1,
  /** The scrape interval of the stack's Prometheus (istio/prometheus.ts). */
  scrapeS: 5,
  pollS: 1,
  /** The scrape phases tried: 0, 0.5, ... up to one scrape interval. */
  phaseStepS: 0.5,
  propagationS: 1,
  primaryCapacityRps: 15,
  highRps: 15,
  lowRps: 10,
  /** The scale-up delay of the headline pool figures (s); DELAYS are all reported. */
  scaleUpDelayS: 60,
  scaleUpDelaysS: [2, 60, 240],
} as const;

export interface Trace {
  name: string;
  description: string;
  durationS: number;
  rps: (t: number) => number;
  /** The crossing whose reaction time is measured: when the offered load crossed the threshold. */
  event?: { direction: "up" | "down"; atS: number };
  /** The plateau over which primary's use of its capacity is reported. */
  surge?: { fromS: number; toS: number };
  /** With the capacity side on: the burst pool starts its replicas one at a time, this many seconds apart. */
  staggerS?: number;
}

/** Gaussian noise per second from a seeded PRNG (the fuzz suites' mulberry32), the same on every run. */
function noise(seed: number, durationS: number, sd: number): (t: number) => number {
  const rand = prng(seed).next;
  const perSecond = Array.from({ length: Math.ceil(durationS) + 1 }, () => {
    // Box-Muller
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
  return (t) => perSecond[Math.floor(t)];
}

interface Plateau {
  base: number;
  peak: number;
  fromS: number;
  riseS: number;
  holdS: number;
  fallS: number;
}

/** `base` rps, a straight rise to `peak` over riseS from fromS, holdS at the peak, a straight fall back over fallS: the crossing of HIGH_RPS on the way up is the event. */
function plateauTrace(name: string, description: string, durationS: number, p: Plateau): Trace {
  const [top, down, end] = [p.fromS + p.riseS, p.fromS + p.riseS + p.holdS, p.fromS + p.riseS + p.holdS + p.fallS];
  const rps = (t: number) =>
    t < p.fromS ? p.base : t < top ? p.base + ((p.peak - p.base) * (t - p.fromS)) / p.riseS : t < down ? p.peak : t < end ? p.peak - ((p.peak - p.base) * (t - down)) / p.fallS : p.base;
  return { name, description, durationS, rps, event: { direction: "up", atS: p.fromS + (p.riseS * (SIM.highRps - p.base)) / (p.peak - p.base) }, surge: { fromS: top, toS: down } };
}

export function traces(): Trace[] {
  const noisy = noise(42, 300, 1.5);
  return [
    { name: "step-up", description: "5 rps, then 25 rps from 60 s", durationS: 360, rps: (t) => (t < 60 ? 5 : 25), event: { direction: "up", atS: 60 }, surge: { fromS: 60, toS: 360 } },
    {
      name: "step-up-staggered",
      description: "5 rps, then 40 rps from 60 s; the burst pool (when scaled on demand) starts its replicas one at a time, 3 s apart",
      durationS: 360,
      rps: (t) => (t < 60 ? 5 : 40),
      event: { direction: "up", atS: 60 },
      surge: { fromS: 60, toS: 360 },
      staggerS: 3,
    },
    { name: "step-down", description: "25 rps, then 3 rps from 180 s", durationS: 420, rps: (t) => (t < 180 ? 25 : 3), event: { direction: "down", atS: 180 } },
    {
      name: "sawtooth-band",
      description: "a 20 s sawtooth between 11 and 14 rps, inside the 10..15 band",
      durationS: 300,
      rps: (t) => 11 + 3 * Math.abs(((t % 20) / 10) - 1),
    },
    { name: "noisy-threshold", description: "15 rps (the threshold) with N(0, 1.5) noise each second", durationS: 300, rps: (t) => Math.max(0, 15 + noisy(t)) },
    { name: "spike-3s", description: "5 rps with a 3 s spike to 40 rps at 60 s", durationS: 240, rps: (t) => (t >= 60 && t < 63 ? 40 : 5) },
    { name: "spike-5s", description: "5 rps with a 5 s spike to 40 rps at 60 s", durationS: 240, rps: (t) => (t >= 60 && t < 65 ? 40 : 5) },
    {
      name: "slow-ramp",
      description: "5 rps, a ramp to 30 rps over 120 s from 60 s, then 30 rps",
      durationS: 420,
      rps: (t) => (t < 60 ? 5 : t < 180 ? 5 + (25 * (t - 60)) / 120 : 30),
      event: { direction: "up", atS: 60 + (120 * (15 - 5)) / 25 },
    },
    {
      name: "near-miss",
      description: "5 rps, a ramp to 14 rps over 60 s from 60 s, then 14 rps (just below the 15 threshold) for 13 minutes",
      durationS: 900,
      rps: (t) => (t < 60 ? 5 : t < 120 ? 5 + (9 * (t - 60)) / 60 : 14),
    },
    plateauTrace("daily", "5 rps, a slow rise to 25 rps over 5 minutes from 100 s, 5 minutes at 25 rps, a slow fall to 5 rps over 5 minutes", 1100, { base: 5, peak: 25, fromS: 100, riseS: 300, holdS: 300, fallS: 300 }),
    plateauTrace("surge", "5 rps, a ramp to 40 rps over 60 s, 300 s at 40 rps, a ramp back down", 600, { base: 5, peak: 40, fromS: 60, riseS: 60, holdS: 300, fallS: 60 }),
  ];
}

/** What one policy does each poll: reads its queries at time t and returns the weights to write, if any. */
interface Controller {
  /** pool: the burst pool as read (capacity side on); returns the weights to write and the replicas to ask for. */
  poll(m: Measures, t: number, pool?: PoolReading): { weights?: Weights; replicas?: number };
}

interface Measures {
  /** rate() over all requests, as the frontend's sidecar reports them (undefined: empty result) */
  allRequests(t: number, windowS: number): number | undefined;
  /** irate() over the same */
  allRequestsIrate(t: number, windowS: number): number | undefined;
  /** rate() over the requests primary's own sidecars served */
  primaryServed(t: number, windowS: number): number | undefined;
}

export type PolicyName = Mode | "codelab";
export const POLICIES: PolicyName[] = ["switch", "overflow", "codelab"];

/**
 * The pre-warm policies the trade-off compares (the watcher's PREWARM): `reactive` starts replicas
 * only when traffic is due to move (off), `level` above prewarmRps, `trend` (the default) on the
 * trend, clear of the noise; `alwaysOn` is a pool of burstReplicas that is never scaled.
 */
export const TRADEOFF_POLICIES = ["alwaysOn", "reactive", "level", "trend"] as const;
export type TradeoffPolicy = (typeof TRADEOFF_POLICIES)[number];
const PREWARM_OF: Record<Exclude<TradeoffPolicy, "alwaysOn">, Prewarm> = { reactive: "off", level: "level", trend: "trend" };

function ourConfig(mode: Mode, capacity = false, prewarm?: Prewarm) {
  return loadConfig({
    ...(capacity ? Object.fromEntries(watcherWiringEnv({ scaler: "local", scalerUrl: "http://127.0.0.1:1" })) : {}),
    ...(prewarm ? { PREWARM: prewarm } : {}),
    MODE: mode,
    SCRAPE_INTERVAL: `${SIM.scrapeS}s`,
    HIGH_RPS: String(SIM.highRps),
    LOW_RPS: String(SIM.lowRps),
    PRIMARY_CAPACITY_RPS: String(SIM.primaryCapacityRps),
  });
}

/** The always-on pool's size: BURST_REPLICAS (the default of the settings table). */
export function alwaysOnReplicas(): number {
  return ourConfig("switch").settings.burstReplicas;
}

function controllerFor(name: PolicyName, capacity: boolean, prewarm?: Prewarm): Controller {
  if (name === "codelab") {
    let isBurst = false;
    return {
      poll(m, t) {
        const v = m.primaryServed(t, 15) ?? 0; // gjson's .Float() of a missing value
        if (v > SIM.highRps && !isBurst) {
          isBurst = true;
          return { weights: { primary: 0, burst: 100 } };
        }
        if (v < SIM.lowRps && isBurst) {
          isBurst = false;
          return { weights: { primary: 100, burst: 0 } };
        }
        return {};
      },
    };
  }
  const config = ourConfig(name, capacity, prewarm);
  const policy = policyOf(config.settings);
  const [upWindowS, windowS] = [config.settings.upRateWindow / 1000, config.settings.rateWindow / 1000];
  let state: State = initialState(policy.naturalWeights, policy);
  return {
    poll(m, t, pool) {
      const rps = m.allRequests(t, windowS);
      const upRps = m.allRequestsIrate(t, upWindowS);
      const d = decide(state, { ...(rps === undefined ? { kind: "nodata", reason: "empty" } : { kind: "value", rps, upRps }), pool }, policy, t * 1000);
      state = d.state;
      return { weights: d.changed ? d.weights : undefined, replicas: d.replicas };
    },
  };
}

/** One run of a trace at one scrape phase. */
export interface RunResult {
  /** seconds from the threshold crossing to the first weight change in that direction; null: never (or no crossing in the trace) */
  reactionS: number | null;
  /** seconds from an upward crossing to the first write of the highest burst weight of the run (the full burst weights); null: no upward crossing, or no burst */
  fullBurstS: number | null;
  /** weight changes over the trace */
  changes: number;
  /** burst episodes: moves from no burst weight to some */
  episodes: number;
  /** requests offered to primary above its capacity, over the trace */
  overCapacityRequests: number;
  /** primary's mean load as a share of its capacity during the trace's surge plateau; null without one */
  primaryCapacityUsed: number | null;
  /** burst replicas asked for, integrated over the trace (replica-seconds); the always-on pool when not scaled */
  burstReplicaSeconds: number;
  /** requests the mesh sent to burst while it had no ready replica */
  requestsToUnreadyPool: number;
}

/** The pool figures of a policy on a trace at one scale-up delay (worst phase). */
export interface PoolResult {
  burstReplicaSeconds: number;
  requestsToUnreadyPool: number;
  overCapacityRequests: number;
  /** as RunResult.reactionS, with the capacity side on */
  reactionS: number | null;
  /** as RunResult.fullBurstS, with the capacity side on */
  fullBurstS: number | null;
}

/** A trace's results over every scrape phase: the worst phase, and how many phases burst. */
export interface PolicyResult extends Omit<RunResult, "burstReplicaSeconds" | "requestsToUnreadyPool"> {
  /** the best (shortest) reaction over the phases */
  reactionBestS: number | null;
  /** phases in which the trace caused at least one burst episode */
  phasesWithEpisode: number;
  /** phases tried */
  phases: number;
}

/**
 * The burst pool (each replica's ready time) resized to `n` at time t: new replicas start at once, or
 * `staggerS` after the replica started before them, and are ready `delayS` after their start; on the
 * way down the ones not yet ready go first. `lastStart` is when the last replica started.
 */
function resizePool(pool: { readyAt: number[]; lastStart: number }, n: number, t: number, delayS: number, staggerS: number): void {
  if (n <= pool.readyAt.length) {
    pool.readyAt = [...pool.readyAt].sort((a, b) => a - b).slice(0, n);
    return;
  }
  while (pool.readyAt.length < n) {
    const start = staggerS > 0 ? Math.max(t, pool.lastStart + staggerS) : t;
    pool.lastStart = start;
    pool.readyAt.push(start + delayS);
  }
}

/** Seconds from an upward event to the first write of the highest burst weight written; null without both. */
function fullBurstOf(trace: Trace, writes: { t: number; burst: number }[]): number | null {
  const ev = trace.event;
  if (!ev || ev.direction !== "up") return null;
  const after = writes.filter((w) => w.t >= ev.atS);
  const highest = Math.max(0, ...after.map((w) => w.burst));
  const first = after.find((w) => w.burst === highest);
  return highest > 0 && first ? round(first.t - ev.atS, 1) : null;
}

/** Replays a trace with the scrapes at phaseS + k × scrape interval. */
/** The burst pool: when each replica asked for is (or will be) ready, and when the last one was started. */
interface Pool {
  readyAt: number[];
  lastStart: number;
}

/** What one simulated run carries from step to step: the weights in effect, the counters scraped and the figures so far. */
interface RunState {
  active: Weights;
  readonly pending: { at: number; weights: Weights }[];
  primaryCount: number;
  burstCount: number;
  readonly scrapedAll: CounterSample[];
  readonly scrapedPrimary: CounterSample[];
  replicaSeconds: number;
  toUnready: number;
  over: number;
  surgeLoad: number;
  surgeTime: number;
  changes: number;
  episodes: number;
  lastWritten: Weights;
  reactionS: number | null;
  readonly writes: { t: number; burst: number }[];
}

function newRunState(): RunState {
  const active: Weights = { primary: 100, burst: 0 };
  const figures = { replicaSeconds: 0, toUnready: 0, over: 0, surgeLoad: 0, surgeTime: 0, changes: 0, episodes: 0 };
  return { active, pending: [], primaryCount: 0, burstCount: 0, scrapedAll: [], scrapedPrimary: [], ...figures, lastWritten: active, reactionS: null, writes: [] };
}

/** One time step's traffic: the weights that took effect by t, the requests sent each way, the pool paid for, the overload. */
function serveStep(st: RunState, trace: Trace, t: number, pool: Pool, readyAt: (t: number) => number): void {
  while (st.pending.length && st.pending[0].at <= t + 1e-9) st.active = st.pending.shift()!.weights;
  const offered = trace.rps(t);
  const toPrimary = (offered * st.active.primary) / 100;
  st.replicaSeconds += pool.readyAt.length * SIM.dtS;
  if (readyAt(t) === 0) st.toUnready += ((offered * st.active.burst) / 100) * SIM.dtS;
  st.primaryCount += toPrimary * SIM.dtS;
  st.burstCount += (offered * st.active.burst) / 100 * SIM.dtS;
  st.over += Math.max(0, toPrimary - SIM.primaryCapacityRps) * SIM.dtS;
  if (trace.surge && t >= trace.surge.fromS && t < trace.surge.toS) {
    st.surgeLoad += (Math.min(toPrimary, SIM.primaryCapacityRps) / SIM.primaryCapacityRps) * SIM.dtS;
    st.surgeTime += SIM.dtS;
  }
}

/** A weight write the controller asked for at t: counted, timed against the trace's event, in effect after the propagation delay. */
function writeWeights(st: RunState, trace: Trace, t: number, next: Weights | undefined): void {
  if (!next || (next.primary === st.lastWritten.primary && next.burst === st.lastWritten.burst)) return;
  const ev = trace.event;
  const moved = next.burst > st.lastWritten.burst ? "up" : "down";
  if (ev && st.reactionS === null && t >= ev.atS && moved === ev.direction) st.reactionS = t - ev.atS;
  st.changes++;
  st.writes.push({ t, burst: next.burst });
  if (st.lastWritten.burst === 0 && next.burst > 0) st.episodes++;
  st.lastWritten = next;
  st.pending.push({ at: t + SIM.propagationS, weights: next });
}

export function simulate(trace: Trace, policyName: PolicyName, phaseS = 0, opts: { scaleUpDelayS?: number; prewarm?: Prewarm } = {}): RunResult {
  const scaled = opts.scaleUpDelayS !== undefined && policyName !== "codelab";
  const ctl = controllerFor(policyName, scaled, opts.prewarm);
  const delayS = opts.scaleUpDelayS ?? 0;
  // the burst pool: when each replica asked for is (or will be) ready
  const pool: Pool = { readyAt: scaled ? [] : Array.from({ length: alwaysOnReplicas() }, () => 0), lastStart: -Infinity };
  const staggerS = scaled ? trace.staggerS ?? 0 : 0;
  const readyAt = (t: number) => pool.readyAt.filter((r) => r <= t + 1e-9).length;
  const steps = Math.round(trace.durationS / SIM.dtS);
  const pollEvery = Math.round(SIM.pollS / SIM.dtS);
  const scrapeEvery = Math.round(SIM.scrapeS / SIM.dtS);
  const phaseSteps = Math.round(phaseS / SIM.dtS);
  const st = newRunState();
  const measures: Measures = {
    allRequests: (t, w) => promRate(st.scrapedAll, t, w),
    allRequestsIrate: (t, w) => promIrate(st.scrapedAll, t, w),
    primaryServed: (t, w) => promRate(st.scrapedPrimary, t, w),
  };
  for (let i = 0; i <= steps; i++) {
    const t = i * SIM.dtS;
    serveStep(st, trace, t, pool, readyAt);
    if (i >= phaseSteps && (i - phaseSteps) % scrapeEvery === 0) {
      st.scrapedAll.push({ t, v: st.primaryCount + st.burstCount });
      st.scrapedPrimary.push({ t, v: st.primaryCount });
    }
    if (i % pollEvery === 0 && i > 0) {
      const asked = ctl.poll(measures, t, scaled ? { desired: pool.readyAt.length, ready: readyAt(t) } : undefined);
      if (asked.replicas !== undefined) resizePool(pool, asked.replicas, t, delayS, staggerS);
      writeWeights(st, trace, t, asked.weights);
    }
  }
  return runResult(st, trace);
}

function runResult(st: RunState, trace: Trace): RunResult {
  return {
    reactionS: st.reactionS === null ? null : round(st.reactionS, 1),
    fullBurstS: fullBurstOf(trace, st.writes),
    changes: st.changes,
    episodes: st.episodes,
    overCapacityRequests: Math.round(st.over),
    primaryCapacityUsed: st.surgeTime > 0 ? round(st.surgeLoad / st.surgeTime, 3) : null,
    burstReplicaSeconds: Math.round(st.replicaSeconds),
    requestsToUnreadyPool: Math.round(st.toUnready * 1000) / 1000,
  };
}
export function simulatePool(trace: Trace, policyName: PolicyName, scaleUpDelayS: number, prewarm?: Prewarm): PoolResult {
  const runs = phases().map((phase) => simulate(trace, policyName, phase, { scaleUpDelayS, prewarm }));
  return {
    burstReplicaSeconds: Math.max(...runs.map((r) => r.burstReplicaSeconds)),
    requestsToUnreadyPool: Math.max(...runs.map((r) => r.requestsToUnreadyPool)),
    overCapacityRequests: Math.max(...runs.map((r) => r.overCapacityRequests)),
    reactionS: worst(runs.map((r) => r.reactionS)),
    fullBurstS: worst(runs.map((r) => r.fullBurstS)),
  };
}

/** The worst (longest) of the phases' times; null when any phase has none. */
function worst(times: (number | null)[]): number | null {
  return times.includes(null) ? null : Math.max(...(times as number[]));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The scrape phases tried, in seconds. */
export function phases(): number[] {
  return Array.from({ length: Math.round(SIM.scrapeS / SIM.phaseStepS) }, (_, k) => k * SIM.phaseStepS);
}

/** A trace over every scrape phase, summed up by its worst phase. */
export function simulatePhases(trace: Trace, policyName: PolicyName): PolicyResult {
  const runs = phases().map((phase) => simulate(trace, policyName, phase));
  const reactions = runs.map((r) => r.reactionS);
  const never = reactions.includes(null);
  const capacity = runs.map((r) => r.primaryCapacityUsed).filter((c): c is number => c !== null);
  return {
    reactionS: never ? null : Math.max(...(reactions as number[])),
    reactionBestS: never ? null : Math.min(...(reactions as number[])),
    fullBurstS: worst(runs.map((r) => r.fullBurstS)),
    changes: Math.max(...runs.map((r) => r.changes)),
    episodes: Math.max(...runs.map((r) => r.episodes)),
    phasesWithEpisode: runs.filter((r) => r.episodes > 0).length,
    phases: runs.length,
    overCapacityRequests: Math.max(...runs.map((r) => r.overCapacityRequests)),
    primaryCapacityUsed: capacity.length ? Math.min(...capacity) : null,
  };
}

/** The figures reported per trace and policy: the always-on runs, and the pool figures per scale-up delay. */
export type BenchResult = PolicyResult & Record<string, number | null>;

/**
 * Pool figure names: `burstReplicaSeconds`, `requestsToUnreadyPool`, `scaledOverCapacityRequests`,
 * `scaledReactionS` and `scaledFullBurstS` at the default delay (SIM.scaleUpDelayS), the same with `_<delay>s` appended
 * for the others; `alwaysOnReplicaSeconds` is the always-on pool over the trace.
 */
export function poolFigureName(metric: string, delayS: number): string {
  return delayS === SIM.scaleUpDelayS ? metric : `${metric}_${delayS}s`;
}

/** A policy's pool on a trace at one scale-up delay (worst phase): what it costs, and the overload it leaves. */
export interface TradeoffPoint {
  burstReplicaSeconds: number;
  overCapacityRequests: number;
}

/** Per trace, mode, pre-warm policy and scale-up delay (`"60s"`): the trade-off point. */
export type Tradeoff = Record<string, Record<Mode, Record<TradeoffPolicy, Record<string, TradeoffPoint>>>>;

export const delayKey = (delayS: number) => `${delayS}s`;

export interface WatcherBench {
  watcher: Record<string, Record<PolicyName, BenchResult>>;
  tradeoff: Tradeoff;
}

/** The trade-off of one trace and mode: the always-on pool (the capacity side off), and each pre-warm at each delay. */
function tradeoffOf(trace: Trace, mode: Mode, figures: BenchResult): Record<TradeoffPolicy, Record<string, TradeoffPoint>> {
  const out = {} as Record<TradeoffPolicy, Record<string, TradeoffPoint>>;
  for (const policy of TRADEOFF_POLICIES) {
    out[policy] = {};
    for (const delay of SIM.scaleUpDelaysS) {
      if (policy === "alwaysOn") {
        out[policy][delayKey(delay)] = { burstReplicaSeconds: figures.alwaysOnReplicaSeconds as number, overCapacityRequests: figures.overCapacityRequests };
      } else if (policy === "trend") {
        // the default: the figures already measured
        out[policy][delayKey(delay)] = { burstReplicaSeconds: figures[poolFigureName("burstReplicaSeconds", delay)] as number, overCapacityRequests: figures[poolFigureName("scaledOverCapacityRequests", delay)] as number };
      } else {
        const pool = simulatePool(trace, mode, delay, PREWARM_OF[policy]);
        out[policy][delayKey(delay)] = { burstReplicaSeconds: pool.burstReplicaSeconds, overCapacityRequests: pool.overCapacityRequests };
      }
    }
  }
  return out;
}

export function runWatcherBench(): WatcherBench {
  const watcher: Record<string, Record<PolicyName, BenchResult>> = {};
  const tradeoff: Tradeoff = {};
  for (const trace of traces()) {
    const byPolicy: Record<string, BenchResult> = {};
    for (const p of POLICIES) {
      const r: Record<string, number | null> = { ...simulatePhases(trace, p), alwaysOnReplicaSeconds: alwaysOnReplicas() * trace.durationS };
      for (const delay of SIM.scaleUpDelaysS) {
        const pool = simulatePool(trace, p, delay);
        r[poolFigureName("burstReplicaSeconds", delay)] = pool.burstReplicaSeconds;
        r[poolFigureName("requestsToUnreadyPool", delay)] = pool.requestsToUnreadyPool;
        r[poolFigureName("scaledOverCapacityRequests", delay)] = pool.overCapacityRequests;
        r[poolFigureName("scaledReactionS", delay)] = pool.reactionS;
        r[poolFigureName("scaledFullBurstS", delay)] = pool.fullBurstS;
      }
      byPolicy[p] = r as BenchResult;
    }
    watcher[trace.name] = byPolicy as Record<PolicyName, BenchResult>;
    tradeoff[trace.name] = { switch: tradeoffOf(trace, "switch", byPolicy.switch), overflow: tradeoffOf(trace, "overflow", byPolicy.overflow) };
  }
  return { watcher, tradeoff };
}
