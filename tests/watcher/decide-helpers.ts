/** The decide() tables' shared parts: a policy under the settings' own names, sample makers, and replays. */
import type { Action, Weights } from "@istio-burst/contract";
import { decide, initialState, type Policy, type Sample, type State } from "../../watcher/src/lib";

export const NATURAL: Weights = { primary: 100, burst: 0 };
export const BURST: Weights = { primary: 0, burst: 100 };

/** The tables' policy: switch mode, 15/10 rps, 10 s dwell, no stabilization window, health guard off, the level pre-warm. */
const basePolicy: Policy = {
  scrapeInterval: 1_000,
  mode: "switch",
  highRps: 15,
  lowRps: 10,
  minDwell: 10_000,
  downStabilization: 0,
  confirmSamples: 1,
  naturalWeights: NATURAL,
  burstWeights: BURST,
  primaryCapacityRps: 20,
  stepWeight: 10,
  maxBurstWeight: 60,
  overflowBandRps: 5,
  healthGuard: false,
  burstMinSuccess: 0.5,
  burstUnhealthySamples: 3,
  burstRetryAfter: 60_000,
  burstMinReplicas: 0,
  burstMaxReplicas: 5,
  burstReplicas: 2,
  burstPodCapacityRps: 10,
  prewarmRps: 12.5,
  scaleDownCooldown: 60_000,
  prewarm: "level",
  scaleUpTime: 5_000,
  trendWindow: 10_000,
  prewarmTimeout: 10_000,
};
export const policy = (p: Partial<Policy> = {}): Policy => ({ ...basePolicy, ...p });
export const overflow = (p: Partial<Policy> = {}): Policy => policy({ mode: "overflow", ...p });

export const v = (rps: number, burstSuccessRatio?: number): Sample => ({ kind: "value", rps, burstSuccessRatio });
/** A sample with both views: the slow one (coming back) and the fast one (bursting). */
export const vv = (rps: number, upRps: number): Sample => ({ kind: "value", rps, upRps });
/** A sample read with the burst pool (desired and ready replicas). */
export const pv = (rps: number, desired: number, ready: number, upRps?: number): Sample => ({ kind: "value", rps, upRps, pool: { desired, ready } });
export const EMPTY: Sample = { kind: "nodata", reason: "empty" };
export const NAN: Sample = { kind: "nodata", reason: "nan" };
export const MANY: Sample = { kind: "nodata", reason: "multiple-series" };
export const ERR: Sample = { kind: "error", message: "HTTP 503" };

export interface Change {
  at: number;
  weights: string;
  action: Action;
}

/** Replays samples one poll interval apart; returns the weight changes and the last state. */
export function replay(p: Policy, samples: (number | Sample)[], opts: { start?: Weights; everyMs?: number; t0?: number } = {}) {
  const every = opts.everyMs ?? 1_000;
  let state: State = initialState(opts.start ?? p.naturalWeights, p);
  const changes: Change[] = [];
  const actions: Action[] = [];
  samples.forEach((s, i) => {
    const now = (opts.t0 ?? 1_000_000) + i * every;
    const d = decide(state, typeof s === "number" ? v(s) : s, p, now);
    expect(d.weights).toEqual(d.state.weights);
    expect(d.weights.primary + d.weights.burst).toBe(100);
    if (d.changed) changes.push({ at: i, weights: `${d.weights.primary},${d.weights.burst}`, action: d.action });
    actions.push(d.action);
    state = d.state;
  });
  return { changes, state, actions };
}

/** The policy of the burst pool tables: minDwell 0, so that readiness alone paces the moves. */
export const withPool = (p: Partial<Policy> = {}): Policy => policy({ minDwell: 0, ...p });

/**
 * Replays samples against a simulated pool: replicas asked for become ready `readyAfter` polls
 * later (one at a time when `oneByOne`); returns per poll the weights, desired/ready and the action.
 */
export function runWithPool(p: Policy, rpsList: number[], opts: { readyAfter?: number; start?: Weights; desired?: number; ready?: number; oneByOne?: boolean } = {}) {
  let state = initialState(opts.start ?? p.naturalWeights, p);
  let desired = opts.desired ?? 0;
  let ready = opts.ready ?? desired;
  let askedAt = -1;
  const rows: { burst: number; desired: number; ready: number; action: Action; replicas?: number; reason: string; scaleReason?: string }[] = [];
  rpsList.forEach((rps, i) => {
    if (ready < desired && askedAt >= 0 && i - askedAt >= (opts.readyAfter ?? 0)) ready = opts.oneByOne ? ready + 1 : desired;
    if (ready > desired) ready = desired;
    const d = decide(state, pv(rps, desired, ready), p, 1_000_000 + i * 1_000);
    // never more burst weight than the ready replicas allow, never weight to a pool with none ready
    if (ready === 0) expect(d.weights.burst).toBe(0);
    if (d.replicas !== undefined) {
      expect(d.replicas).not.toBe(desired);
      if (d.replicas > desired) askedAt = i;
      desired = d.replicas;
    }
    rows.push({ burst: d.weights.burst, desired, ready, action: d.action, replicas: d.replicas, reason: d.reason, scaleReason: d.scaleReason });
    state = d.state;
  });
  return { rows, state };
}

export const ramp = (from: number, to: number, n: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
export const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);
