/**
 * The watcher's settings: ONE table. Each row names the stack config key (`istio-burst:<key>`), the
 * watcher's environment variable, local mode's flag (`--<key in kebab case>`), the type, the default,
 * the bounds and one line of documentation. The stack reads its config keys with it and generates the
 * watcher's env from the result; the watcher parses its env with it; local mode builds its flags from
 * it; the README and Pulumi.dev.yaml rows are checked against it.
 *
 * Values: durations are milliseconds; weights are `{primary, burst}`; an optional query left unset is
 * derived by the watcher from NAMESPACE, RATE_WINDOW and BURST_CLUSTER (see queries.ts).
 */
import { formatDuration, parseDuration } from "./duration";
import { MODES, PREWARMS, type Mode, type Prewarm } from "./decisions";
import { formatWeights, parseWeights, WEIGHTS_REQUIREMENT, type Weights } from "./weights";

export interface WatcherSettings {
  /** ms between two Prometheus scrapes: the default windows follow it */
  readonly scrapeInterval: number;
  /** requests/s above which the watcher bursts */
  readonly highRps: number;
  /** requests/s below which it comes back */
  readonly lowRps: number;
  /** ms between two Prometheus queries */
  readonly pollInterval: number;
  /** ms: minimum time between two weight changes */
  readonly minDwell: number;
  /** samples in a row that must call for the same move */
  readonly confirmSamples: number;
  readonly mode: Mode;
  readonly naturalWeights: Weights;
  readonly burstWeights: Weights;
  /** overflow mode: requests/s primary keeps */
  readonly primaryCapacityRps: number;
  /** overflow mode: granularity of the burst weight */
  readonly stepWeight: number;
  /** overflow mode: cap of the burst weight */
  readonly maxBurstWeight: number;
  /** overflow mode: the burst weight only comes down once it would at rps + this band */
  readonly overflowBandRps: number;
  /** ms: range of irate() in the default up query, the fast view that decides bursting */
  readonly upRateWindow: number;
  /** ms: range of rate() in the default query (the slow view that decides coming back) and the health query */
  readonly rateWindow: number;
  /** ms: coming back (or stepping down) needs every sample of this window to call for it */
  readonly downStabilization: number;
  /** ms: a Prometheus query that takes longer fails */
  readonly queryTimeout: number;
  /** PromQL of the observed requests/s, the slow view; undefined: the default query */
  readonly query: string | undefined;
  /** PromQL of the observed requests/s, the fast view; undefined: the default up query */
  readonly upQuery: string | undefined;
  /** PromQL of the burst pool's success ratio; undefined: the default; `off`: no health guard */
  readonly burstHealthQuery: string | undefined;
  /** burst success ratio below which a sample counts as failing */
  readonly burstMinSuccess: number;
  /** failing samples in a row before traffic falls back to primary */
  readonly burstUnhealthySamples: number;
  /** ms: after a fallback, burst is not used for this long */
  readonly burstRetryAfter: number;
  /** burst worker replicas while no burst is needed (0: an idle burst pool costs nothing) */
  readonly burstMinReplicas: number;
  /** burst worker replicas at most */
  readonly burstMaxReplicas: number;
  /** switch mode: burst worker replicas that must be ready before traffic moves to burst */
  readonly burstReplicas: number;
  /** overflow mode: requests/s one burst worker serves (sets the replicas the excess needs) */
  readonly burstPodCapacityRps: number;
  /** prewarm `level`: requests/s (fast view) above which burst replicas are started before the shift is due */
  readonly prewarmRps: number;
  /** ms: the burst pool goes back to burstMinReplicas this long after it was last needed */
  readonly scaleDownCooldown: number;
  /** how burst replicas are started before traffic needs them */
  readonly prewarm: Prewarm;
  /** ms a burst replica takes from being asked for to ready, until the pool's own scale-ups have been measured */
  readonly scaleUpTime: number;
  /** ms of the fast view the trend pre-warm fits its line to (the noise is measured over twice this) */
  readonly trendWindow: number;
  /** ms: burst replicas ready this long without carrying traffic go back to burstMinReplicas (trend pre-warm) */
  readonly prewarmTimeout: number;
  /** what one burst replica costs an hour, in `currency` (approximate) */
  readonly burstReplicaHourlyCost: number;
  /** the currency of the costs: a three-letter code */
  readonly currency: string;
  /** decide and log, never set the weights */
  readonly dryRun: boolean;
  /** ms: with leader election, a standby takes the Lease once its holder has not renewed it for this long */
  readonly leaseDuration: number;
  /** ms: a leader that has not renewed its Lease for this long stops acting (shorter than leaseDuration) */
  readonly renewDeadline: number;
  /** ms between two tries to take or renew the Lease */
  readonly retryPeriod: number;
}

export type SettingKey = keyof WatcherSettings;

/** The value of BURST_HEALTH_QUERY that turns the health guard off (also accepted: none, false, 0, disabled). */
export const HEALTH_OFF = "off";
const HEALTH_OFF_WORDS = [HEALTH_OFF, "none", "false", "0", "disabled"];

type Kind = "number" | "integer" | "duration" | "mode" | "prewarm" | "weights" | "boolean" | "promql" | "promql-or-off" | "currency";

/** A currency as the settings take it: a three-letter code such as USD or EUR (ISO 4217). */
const CURRENCY_RE = /^[A-Z]{3}$/;

/** Bounds of a number: inclusive unless minExclusive; an absent or infinite bound is no bound. */
export interface Bounds {
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
}

export interface SettingSpec<K extends SettingKey = SettingKey> extends Bounds {
  /** the stack config key and the field of WatcherSettings */
  readonly key: K;
  /** the watcher's environment variable */
  readonly env: string;
  readonly kind: Kind;
  /** the default, or how it follows from the other settings (evaluated in table order) */
  readonly default: WatcherSettings[K] | ((s: WatcherSettings) => WatcherSettings[K]);
  /** the default as the docs write it */
  readonly defaultText: string;
  /** one line of documentation */
  readonly doc: string;
}

function row<K extends SettingKey>(spec: SettingSpec<K>): SettingSpec<K> {
  return spec;
}

/** Every watcher setting, in the order the docs list them. */
export const WATCHER_SETTINGS: readonly SettingSpec[] = [
  row({ key: "scrapeInterval", env: "SCRAPE_INTERVAL", kind: "duration", min: 1, default: 5_000, defaultText: "5s", doc: "Prometheus's scrape interval; the windows' defaults follow it (local mode scrapes every 1s)" }),
  row({ key: "highRps", env: "HIGH_RPS", kind: "number", min: 0, minExclusive: true, default: 15, defaultText: "15", doc: "burst above this many requests/s" }),
  row({ key: "lowRps", env: "LOW_RPS", kind: "number", min: 0, default: 10, defaultText: "10", doc: "come back below this many requests/s (below `highRps`)" }),
  row({ key: "pollInterval", env: "POLL_INTERVAL", kind: "duration", min: 50, default: 1_000, defaultText: "1s", doc: "how often Prometheus is queried" }),
  row({ key: "minDwell", env: "MIN_DWELL", kind: "duration", min: 0, default: 10_000, defaultText: "10s", doc: "minimum time before a weight change that reverses the last one, or is a second step up right after a first; the rest of a shift as burst replicas become ready, and further steps up while the load keeps rising, are made at the next poll (the health guard ignores it)" }),
  row({ key: "confirmSamples", env: "CONFIRM_SAMPLES", kind: "integer", min: 1, max: 1000, default: 1, defaultText: "1", doc: "samples in a row that must call for the same move before it is made" }),
  row({ key: "mode", env: "MODE", kind: "mode", default: "switch", defaultText: "switch", doc: "`switch`: natural <-> burst weights; `overflow`: only the excess over `primaryCapacityRps` goes to burst" }),
  row({ key: "naturalWeights", env: "NATURAL_WEIGHTS", kind: "weights", default: { primary: 100, burst: 0 }, defaultText: "100,0", doc: "weights `primary,burst` when not bursting; the VirtualService is created with them" }),
  row({ key: "burstWeights", env: "BURST_WEIGHTS", kind: "weights", default: { primary: 0, burst: 100 }, defaultText: "0,100", doc: "weights when bursting (switch mode); more to burst than `naturalWeights`" }),
  row({ key: "primaryCapacityRps", env: "PRIMARY_CAPACITY_RPS", kind: "number", min: 0, minExclusive: true, default: (s) => s.highRps, defaultText: "`highRps`", doc: "overflow mode: requests/s primary serves before the excess goes to burst" }),
  row({ key: "stepWeight", env: "STEP_WEIGHT", kind: "integer", min: 1, max: 100, default: 10, defaultText: "10", doc: "overflow mode: the burst weight moves in multiples of this" }),
  row({ key: "maxBurstWeight", env: "MAX_BURST_WEIGHT", kind: "integer", min: 0, max: 100, default: 100, defaultText: "100", doc: "overflow mode: cap of the burst weight (at least the burst weight of `naturalWeights`)" }),
  row({ key: "overflowBandRps", env: "OVERFLOW_BAND_RPS", kind: "number", min: 0, default: (s) => s.highRps - s.lowRps, defaultText: "`highRps - lowRps`", doc: "overflow mode: the burst weight comes down only once it would at rps + this band" }),
  row({ key: "upRateWindow", env: "UP_RATE_WINDOW", kind: "duration", min: 1, default: (s) => 3 * s.scrapeInterval, defaultText: "`3 × scrapeInterval`", doc: "range of `irate()` in the default up query: the fast view, over the last full scrape interval, that decides bursting" }),
  row({ key: "rateWindow", env: "RATE_WINDOW", kind: "duration", min: 1, default: (s) => 6 * s.scrapeInterval, defaultText: "`6 × scrapeInterval`", doc: "range of `rate()` in the default query (the slow view that decides coming back) and in the default health query" }),
  row({ key: "downStabilization", env: "DOWN_STABILIZATION", kind: "duration", min: 0, default: (s) => 6 * s.scrapeInterval, defaultText: "`6 × scrapeInterval`", doc: "come back (or step down) only when every sample of this window called for it" }),
  row({ key: "queryTimeout", env: "QUERY_TIMEOUT", kind: "duration", min: 1, default: 2_000, defaultText: "2s", doc: "a Prometheus query that takes longer fails (and holds the weights)" }),
  row({ key: "query", env: "QUERY", kind: "promql", default: undefined, defaultText: "(derived)", doc: "PromQL giving the observed requests/s as one series (the slow view); default: the frontend sidecar's `rate()` over `rateWindow`" }),
  row({ key: "upQuery", env: "UP_QUERY", kind: "promql", default: undefined, defaultText: "(derived)", doc: "PromQL giving the observed requests/s as one series (the fast view); default: the frontend sidecar's `irate()` over `upRateWindow`" }),
  row({ key: "burstHealthQuery", env: "BURST_HEALTH_QUERY", kind: "promql-or-off", default: undefined, defaultText: "(derived)", doc: "PromQL of the burst pool's success ratio (0..1), or `off`; default: the burst cluster's non-5xx share over `rateWindow`" }),
  row({ key: "burstMinSuccess", env: "BURST_MIN_SUCCESS", kind: "number", min: 0, max: 1, default: 0.5, defaultText: "0.5", doc: "a burst success ratio below this counts as a failing sample" }),
  row({ key: "burstUnhealthySamples", env: "BURST_UNHEALTHY_SAMPLES", kind: "integer", min: 1, max: 1000, default: 3, defaultText: "3", doc: "failing samples in a row before all traffic returns to primary" }),
  row({ key: "burstRetryAfter", env: "BURST_RETRY_AFTER", kind: "duration", min: 0, default: 60_000, defaultText: "60s", doc: "after a health fallback, burst is not used again for this long" }),
  row({ key: "burstMinReplicas", env: "BURST_MIN_REPLICAS", kind: "integer", min: 0, max: 1000, default: 0, defaultText: "0", doc: "burst worker replicas while no burst is needed (0: an idle burst pool costs nothing)" }),
  row({ key: "burstMaxReplicas", env: "BURST_MAX_REPLICAS", kind: "integer", min: 1, max: 1000, default: 5, defaultText: "5", doc: "burst worker replicas at most" }),
  row({ key: "burstReplicas", env: "BURST_REPLICAS", kind: "integer", min: 1, max: 1000, default: 2, defaultText: "2", doc: "switch mode: burst worker replicas that must be ready before traffic moves to burst" }),
  row({ key: "burstPodCapacityRps", env: "BURST_POD_CAPACITY_RPS", kind: "number", min: 0, minExclusive: true, default: 10, defaultText: "10", doc: "overflow mode: requests/s one burst worker serves; the excess over primary's capacity sets the replicas needed" }),
  row({ key: "prewarmRps", env: "PREWARM_RPS", kind: "number", min: 0, default: (s) => s.lowRps + (s.highRps - s.lowRps) / 2, defaultText: "`(lowRps + highRps) / 2`", doc: "`prewarm` `level`: above this many requests/s (fast view) burst replicas are started before the shift is due (at most `highRps`)" }),
  row({ key: "scaleDownCooldown", env: "SCALE_DOWN_COOLDOWN", kind: "duration", min: 0, default: 60_000, defaultText: "60s", doc: "the burst pool goes back to `burstMinReplicas` this long after it was last needed" }),
  row({ key: "prewarm", env: "PREWARM", kind: "prewarm", default: "trend", defaultText: "trend", doc: "how burst replicas are started before traffic needs them: `trend` (on course to cross the burst threshold within `scaleUpTime`, clear of the rate's noise; an unused warm pool goes back after `prewarmTimeout`), `level` (above `prewarmRps`) or `off` (only when traffic is due to move)" }),
  row({ key: "scaleUpTime", env: "SCALE_UP_TIME", kind: "duration", min: 0, default: 60_000, defaultText: "60s", doc: "how long a burst replica takes from being asked for to ready (a pod with its image pull); the trend pre-warm looks this far ahead until the pool's own scale-ups have been measured (local mode: 2s)" }),
  row({ key: "trendWindow", env: "TREND_WINDOW", kind: "duration", min: 1, default: (s) => 10 * s.scrapeInterval, defaultText: "`10 × scrapeInterval`", doc: "the trend pre-warm fits a line to the fast view of this window, one point a scrape, and measures the rate's noise over twice it" }),
  row({ key: "prewarmTimeout", env: "PREWARM_TIMEOUT", kind: "duration", min: 0, default: (s) => s.scaleUpTime, defaultText: "`scaleUpTime`", doc: "trend pre-warm: burst replicas ready this long without carrying traffic go back to `burstMinReplicas`, and the trend warms none again until the rate has been below `lowRps`" }),
  row({ key: "burstReplicaHourlyCost", env: "BURST_REPLICA_HOURLY_COST", kind: "number", min: 0, default: 0.068, defaultText: "0.068", doc: "what one burst replica costs an hour, for the cost in `/status` and on the page; the default is approximate: an e2-standard-2 node on demand (about $50/month) for each replica" }),
  row({ key: "currency", env: "CURRENCY", kind: "currency", default: "USD", defaultText: "USD", doc: "the currency of `burstReplicaHourlyCost` and of the costs shown (a three-letter code)" }),
  row({ key: "dryRun", env: "DRY_RUN", kind: "boolean", default: false, defaultText: "false", doc: "decide and log, never set the weights" }),
  row({ key: "leaseDuration", env: "LEASE_DURATION", kind: "duration", min: 1_000, default: 15_000, defaultText: "15s", doc: "leader election (`watcherReplicas` above 1): a standby takes the watcher's Lease once its holder has not renewed it for this long; whole seconds (rounded up)" }),
  row({ key: "renewDeadline", env: "RENEW_DEADLINE", kind: "duration", min: 1, default: 10_000, defaultText: "10s", doc: "leader election: a leader that has not renewed its Lease for this long stops polling and writing (below `leaseDuration`)" }),
  row({ key: "retryPeriod", env: "RETRY_PERIOD", kind: "duration", min: 1, default: 2_000, defaultText: "2s", doc: "leader election: how often the leader renews the Lease and a standby tries to take it (jittered by up to 20%; `renewDeadline` above 1.2 × it, `leaseDuration` above `renewDeadline` + 2.2 × it)" }),
];

/** The row of a key. */
export function settingSpec(key: SettingKey): SettingSpec {
  const spec = WATCHER_SETTINGS.find((s) => s.key === key);
  if (!spec) throw new Error(`no watcher setting ${key}`);
  return spec;
}

/** Local mode's flag for a setting: the key in kebab case (`highRps` -> `high-rps`). */
export function settingFlag(spec: SettingSpec): string {
  return spec.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A value that cannot be used, or settings that do not fit together. */
export interface SettingProblem {
  readonly spec: SettingSpec;
  /** the text given, when one was given */
  readonly raw?: string;
  /** what it must be, naming other settings as the caller names them */
  readonly requirement: string;
}

/**
 * The one way the project writes bounds: ` from 1 to 1000`, ` above 0`, ` of at least 0`,
 * ` of at most 100`, or nothing without bounds (to follow `an integer`, `a number`).
 */
export function describeBounds({ min, max, minExclusive }: Bounds): string {
  const hasMin = min !== undefined && Number.isFinite(min);
  const hasMax = max !== undefined && Number.isFinite(max);
  if (hasMin && hasMax) return ` from ${min} to ${max}`;
  if (hasMin) return minExclusive ? ` above ${min}` : ` of at least ${min}`;
  if (hasMax) return ` of at most ${max}`;
  return "";
}

/** What a number must be: `an integer from 1 to 1000`, `a number above 0`. */
export function numberRequirement(kind: "number" | "integer", bounds: Bounds = {}): string {
  return `${kind === "integer" ? "an integer" : "a number"}${describeBounds(bounds)}`;
}

/** What a duration must be: its grammar, and its lower bound (in ms) when there is one. */
export function durationRequirement(minMs?: number): string {
  return `a duration such as 250ms, 1s, 2m or a number of seconds${minMs ? `, at least ${formatDuration(minMs)}` : ""}`;
}

/** Whether `n` is within the bounds. */
export function inBounds({ min, max, minExclusive }: Bounds, n: number): boolean {
  if (min !== undefined && (minExclusive ? !(n > min) : !(n >= min))) return false;
  return max === undefined || n <= max;
}

/** What a value of this setting must be (for error messages and `--help`). */
export function requirementOf(spec: SettingSpec): string {
  switch (spec.kind) {
    case "number":
    case "integer":
      return numberRequirement(spec.kind, spec);
    case "duration":
      return durationRequirement(spec.min);
    case "mode":
      return `one of ${MODES.join(", ")}`;
    case "prewarm":
      return `one of ${PREWARMS.join(", ")}`;
    case "currency":
      return "a three-letter currency code such as USD or EUR";
    case "weights":
      return WEIGHTS_REQUIREMENT;
    case "boolean":
      return "true or false";
    case "promql":
      return "a PromQL expression";
    case "promql-or-off":
      return `a PromQL expression, or ${HEALTH_OFF}`;
  }
}

/** One grammar for booleans everywhere: true/false, yes/no, on/off, 1/0 (any case). */
export function parseBoolean(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (["true", "yes", "on", "1"].includes(v)) return true;
  if (["false", "no", "off", "0"].includes(v)) return false;
  return undefined;
}

/** Parses one setting's text; `{ok: false}` when it is not a valid value of that setting on its own. */
export function parseSetting<K extends SettingKey>(spec: SettingSpec<K>, text: string): { ok: true; value: WatcherSettings[K] } | { ok: false } {
  const t = text.trim();
  const ok = (value: unknown) => ({ ok: true as const, value: value as WatcherSettings[K] });
  const bad = { ok: false as const };
  switch (spec.kind) {
    case "number":
    case "integer": {
      const n = Number(t);
      const valid = t !== "" && Number.isFinite(n) && (spec.kind === "number" || Number.isInteger(n)) && inBounds(spec, n);
      return valid ? ok(n) : bad;
    }
    case "duration": {
      const ms = parseDuration(t);
      if (ms === undefined) return bad;
      const whole = Math.round(ms);
      return inBounds(spec, whole) ? ok(whole) : bad;
    }
    case "mode":
      return (MODES as readonly string[]).includes(t) ? ok(t) : bad;
    case "prewarm":
      return (PREWARMS as readonly string[]).includes(t) ? ok(t) : bad;
    case "currency":
      return CURRENCY_RE.test(t) ? ok(t) : bad;
    case "weights": {
      const w = parseWeights(t);
      return w ? ok(w) : bad;
    }
    case "boolean": {
      const b = parseBoolean(t);
      return b === undefined ? bad : ok(b);
    }
    case "promql":
      return t === "" ? bad : ok(t);
    case "promql-or-off":
      if (t === "") return bad;
      return ok(HEALTH_OFF_WORDS.includes(t.toLowerCase()) ? HEALTH_OFF : t);
  }
}

/** A setting's value as text: the env form (durations as `5s`/`250ms`, weights as `100,0`). */
export function formatSetting(spec: SettingSpec, value: unknown): string {
  switch (spec.kind) {
    case "duration":
      return formatDuration(value as number);
    case "weights":
      return formatWeights(value as Weights);
    default:
      return String(value);
  }
}

/**
 * Parses every setting from text, looked up per row (undefined or blank: the default). A value that
 * cannot be used takes the default and is reported, so every problem is found in one pass; the
 * settings are usable only when `problems` is empty. `nameOf` names a setting in the caller's terms
 * (`HIGH_RPS`, `istio-burst:highRps`, `--high-rps`) where a problem involves another setting.
 */
export function parseWatcherSettings(
  lookup: (spec: SettingSpec) => string | undefined,
  nameOf: (spec: SettingSpec) => string = (s) => s.env,
): { settings: WatcherSettings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const given = new Map<SettingKey, string>();
  const s: Record<string, unknown> = {};
  for (const spec of WATCHER_SETTINGS) {
    const raw = lookup(spec);
    const fallback = typeof spec.default === "function" ? spec.default(s as unknown as WatcherSettings) : spec.default;
    if (raw === undefined || raw.trim() === "") {
      s[spec.key] = fallback;
      continue;
    }
    given.set(spec.key, raw);
    const parsed = parseSetting(spec, raw);
    if (parsed.ok) s[spec.key] = parsed.value;
    else {
      problems.push({ spec, raw, requirement: requirementOf(spec) });
      s[spec.key] = fallback;
    }
  }
  const settings = s as unknown as WatcherSettings;
  const name = (key: SettingKey) => nameOf(settingSpec(key));
  const problem = (key: SettingKey, requirement: string, value: unknown) =>
    problems.push({ spec: settingSpec(key), raw: given.get(key) ?? formatSetting(settingSpec(key), value), requirement });
  if (!(settings.lowRps < settings.highRps)) {
    problem("lowRps", `a number below ${name("highRps")} (${settings.highRps})`, settings.lowRps);
  }
  if (!(settings.burstWeights.burst > settings.naturalWeights.burst)) {
    problem("burstWeights", `weights that send more to burst than ${name("naturalWeights")} (${formatWeights(settings.naturalWeights)})`, settings.burstWeights);
  }
  // (a derived prewarmRps follows highRps and lowRps: when those do not fit, only they are reported)
  if (settings.prewarmRps > settings.highRps && (given.has("prewarmRps") || settings.lowRps < settings.highRps)) {
    problem("prewarmRps", `a number of at most ${name("highRps")} (${settings.highRps})`, settings.prewarmRps);
  }
  if (settings.burstMinReplicas > settings.burstMaxReplicas) {
    problem("burstMinReplicas", `an integer of at most ${name("burstMaxReplicas")} (${settings.burstMaxReplicas})`, settings.burstMinReplicas);
  }
  if (settings.burstReplicas > settings.burstMaxReplicas) {
    problem("burstReplicas", `an integer of at most ${name("burstMaxReplicas")} (${settings.burstMaxReplicas})`, settings.burstReplicas);
  }
  if (settings.maxBurstWeight < settings.naturalWeights.burst) {
    problem("maxBurstWeight", `an integer from ${settings.naturalWeights.burst} (the burst weight of ${name("naturalWeights")}) to 100`, settings.maxBurstWeight);
  }
  checkLeaseTimings(settings, name, problem);
  return { settings, problems };
}

/**
 * The leader election's timings: as client-go requires them, leaseDuration > renewDeadline >
 * 1.2 × retryPeriod; and a leader must stop (renewDeadline after its last renewal) before a standby
 * may take over, which it times from the try before the one that saw that renewal (up to a jittered
 * retry and a try apart: 2.2 × retryPeriod), so leaseDuration > renewDeadline + 2.2 × retryPeriod.
 */
function checkLeaseTimings(settings: WatcherSettings, name: (key: SettingKey) => string, problem: (key: SettingKey, requirement: string, value: unknown) => void): void {
  const { leaseDuration, renewDeadline, retryPeriod } = settings;
  const gap = (1 + LEASE_JITTER) * retryPeriod;
  if (!(renewDeadline < leaseDuration)) {
    problem("renewDeadline", `a duration below ${name("leaseDuration")} (${formatDuration(leaseDuration)})`, renewDeadline);
  } else if (!(renewDeadline > LEASE_JITTER * retryPeriod)) {
    problem("retryPeriod", `a duration of at most ${formatDuration(Math.ceil(renewDeadline / LEASE_JITTER) - 1)} (below ${name("renewDeadline")} / ${LEASE_JITTER})`, retryPeriod);
  } else if (!(leaseDuration - renewDeadline > gap)) {
    problem("leaseDuration", `a duration above ${name("renewDeadline")} + ${1 + LEASE_JITTER} × ${name("retryPeriod")} (${formatDuration(Math.round(renewDeadline + gap))})`, leaseDuration);
  }
}

/** The retries are jittered by up to 20%: a renewal is tried at least once within renewDeadline. */
export const LEASE_JITTER = 1.2;

/** The watcher's defaults (every row's default, derived ones from the others). */
export const DEFAULT_WATCHER_SETTINGS: WatcherSettings = Object.freeze(parseWatcherSettings(() => undefined).settings);

/**
 * The settings as the watcher's environment: every setting that has a value (an unset query is left
 * out, so the watcher derives it). parseWatcherSettings over this env gives the same settings back.
 */
export function watcherSettingsEnv(settings: WatcherSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of WATCHER_SETTINGS) {
    const value = settings[spec.key];
    if (value !== undefined) env[spec.env] = formatSetting(spec, value);
  }
  return env;
}

/** The settings as text per config key (the stack's `watcherSettings` output, local mode's summary). */
export function describeWatcherSettings(settings: WatcherSettings): Record<SettingKey, string> {
  const out = {} as Record<SettingKey, string>;
  for (const spec of WATCHER_SETTINGS) {
    const value = settings[spec.key];
    out[spec.key] = value === undefined ? spec.defaultText : formatSetting(spec, value);
  }
  return out;
}
