/**
 * The frontend's `GET /api/routing` answer (and its socket.io `routing` event), typed once: the
 * routing the watcher chose, read from the watcher's `GET /status` (WatcherStatus) and cut down to
 * what the page shows. Also the check that an answer from `WATCHER_URL` really is a WatcherStatus.
 */
import type { BurstCost } from "./cost";
import { ACTIONS, MODES, type Mode, type Phase } from "./decisions";
import type { WatcherPolicy } from "./policy";
import type { BurstPoolStatus, StatusSample, WatcherStatus, WeightChange } from "./status";
import { isValidWeights, type Weights } from "./weights";

/** The watcher answered: its view of the routing. */
export interface RoutingReport {
  readonly watcher: "ok";
  /** ISO time the frontend read it */
  readonly checkedAt: string;
  /** false until the watcher has read the current weights */
  readonly ready: boolean;
  /** the route weights now (null until read) */
  readonly weights: Weights | null;
  /** `burst` while the burst weight is above the natural one (null until read) */
  readonly phase: Phase | null;
  readonly mode: Mode;
  /** the watcher decides but does not set the weights */
  readonly dryRun: boolean;
  /** the last poll of Prometheus: the observed requests/s, no data, or the query error */
  readonly observed: StatusSample | null;
  /** the policy in force (the watcher's `thresholds`): highRps/lowRps (switch), primaryCapacityRps and steps (overflow), durations in ms */
  readonly thresholds: WatcherPolicy;
  /** the last decision, a hold or a change, with the watcher's reason */
  readonly lastDecision: WatcherStatus["lastDecision"];
  /** weight changes since the watcher started */
  readonly changes: number;
  /** the last changes (at most RECENT_CHANGES), oldest first, each with its reason */
  readonly recentChanges: readonly WeightChange[];
  /** the burst pool's ready and desired size, when the watcher scales it (absent otherwise) */
  readonly burstPool?: Pick<BurstPoolStatus, "ready" | "desired">;
  /** what the burst pool has cost since the watcher started, and what an always-on pool would have, when the watcher scales it (absent otherwise) */
  readonly cost?: BurstCost;
}

/** WATCHER_URL is set but no usable status came back: refused, timed out, not 200, or not a watcher status. */
export interface RoutingUnreachable {
  readonly watcher: "unreachable";
  readonly checkedAt: string;
  /** what went wrong, one line, e.g. `timed out after 1500 ms`, `HTTP 403: RBAC: access denied` */
  readonly error: string;
  /** ISO time of the last good answer, null if there never was one */
  readonly lastSeenAt: string | null;
}

/** WATCHER_URL is not set: the frontend does not know where the watcher is. */
export interface RoutingNotConfigured {
  readonly watcher: "not-configured";
  readonly checkedAt: string;
  readonly error: string;
}

export type RoutingState = RoutingReport | RoutingUnreachable | RoutingNotConfigured;

/** The three values of `watcher` in a RoutingState. */
export type RoutingAvailability = RoutingState["watcher"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === "string";

function changeProblem(c: unknown, i: number): string | undefined {
  if (!isObject(c)) return `recentChanges[${i}] is not an object`;
  if (!isString(c.at) || !isNumber(c.seq) || !isString(c.reason)) return `recentChanges[${i}] lacks at, seq or reason`;
  if (!(ACTIONS as readonly unknown[]).includes(c.action)) return `recentChanges[${i}].action is not an action`;
  if (!isValidWeights(c.from) || !isValidWeights(c.to)) return `recentChanges[${i}] has invalid weights`;
  return undefined;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** null or absent: the watcher does not scale the burst pool (or predates it). */
function burstPoolProblem(pool: unknown): string | undefined {
  if (pool === null || pool === undefined) return undefined;
  if (!isObject(pool) || !isCount(pool.desired) || !isCount(pool.ready)) return "burstPool lacks desired and ready replica counts";
  return undefined;
}

/** null or absent: the watcher does not scale the burst pool (or predates the cost). */
function costProblem(cost: unknown): string | undefined {
  if (cost === null || cost === undefined) return undefined;
  if (!isObject(cost)) return "cost is not an object";
  const amounts = [cost.burstReplicaSeconds, cost.burstCost, cost.alwaysOnCost];
  if (!amounts.every((n) => isNumber(n) && n >= 0)) return "cost lacks burstReplicaSeconds, burstCost and alwaysOnCost as numbers of at least 0";
  if (!isString(cost.currency) || !isString(cost.since)) return "cost lacks currency and since";
  return undefined;
}

function sampleProblem(s: unknown): string | undefined {
  if (s === null) return undefined;
  if (!isObject(s) || !isString(s.at)) return "lastSample is not a sample";
  if (s.kind === "value") return isNumber(s.rps) ? undefined : "lastSample.rps is not a number";
  if (s.kind === "nodata") return isString(s.reason) ? undefined : "lastSample.reason is not a string";
  if (s.kind === "error") return isString(s.message) ? undefined : "lastSample.message is not a string";
  return "lastSample.kind is not value, nodata or error";
}

/**
 * Why `value` (a parsed `/status` body) is not a WatcherStatus the frontend can show, or undefined
 * when it is. Checks the fields RoutingReport takes; other fields may come and go.
 */
export function watcherStatusProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "not a JSON object";
  if (value.service !== "watcher") return 'no "service": "watcher"';
  if (!(MODES as readonly unknown[]).includes(value.mode)) return "mode is not switch or overflow";
  if (typeof value.ready !== "boolean" || typeof value.dryRun !== "boolean") return "ready or dryRun is not a boolean";
  if (value.weights !== null && !isValidWeights(value.weights)) return "weights are not two integers summing to 100";
  if (value.phase !== null && value.phase !== "natural" && value.phase !== "burst") return "phase is not natural, burst or null";
  const t = value.thresholds;
  if (!isObject(t) || !isNumber(t.highRps) || !isNumber(t.lowRps)) return "thresholds lack highRps and lowRps";
  const sample = sampleProblem(value.lastSample);
  if (sample) return sample;
  const d = value.lastDecision;
  if (d !== null && (!isObject(d) || !isString(d.at) || !isString(d.reason) || !(ACTIONS as readonly unknown[]).includes(d.action))) return "lastDecision is not a decision";
  if (!isNumber(value.changes)) return "changes is not a number";
  const pool = burstPoolProblem(value.burstPool) ?? costProblem(value.cost);
  if (pool) return pool;
  if (!Array.isArray(value.recentChanges)) return "recentChanges is not a list";
  for (let i = 0; i < value.recentChanges.length; i++) {
    const p = changeProblem(value.recentChanges[i], i);
    if (p) return p;
  }
  return undefined;
}

/** The routing report from a checked WatcherStatus (see watcherStatusProblem), read at `checkedAt`. */
export function routingFromStatus(status: WatcherStatus, checkedAt: string): RoutingReport {
  return {
    watcher: "ok",
    checkedAt,
    ready: status.ready,
    weights: status.weights,
    phase: status.phase,
    mode: status.mode,
    dryRun: status.dryRun,
    observed: status.lastSample,
    thresholds: status.thresholds,
    lastDecision: status.lastDecision,
    changes: status.changes,
    recentChanges: status.recentChanges,
    ...(status.burstPool ? { burstPool: { ready: status.burstPool.ready, desired: status.burstPool.desired } } : {}),
    ...(status.cost ? { cost: status.cost } : {}),
  };
}
