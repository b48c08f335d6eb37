/**
 * Local mode's settings, parsed once into a validated object: its own (LOCAL_SETTINGS) and every
 * watcher setting of the contract's table (flag `--<key in kebab case>`, the watcher's variable).
 * Each is a flag or an environment variable (the flag wins; an empty value is unset). A bad value
 * is one line naming the flag or the variable and what it must be.
 */
import { parseArgs } from "node:util";
import {
  formatSetting,
  inBounds,
  numberRequirement,
  parseBoolean,
  parseWatcherSettings,
  PORTS,
  settingFlag,
  WATCHER_SETTINGS,
  type Bounds,
  type SettingSpec,
  type WatcherSettings,
} from "@istio-burst/contract";

export interface LocalSettings {
  /** the frontend's port on 127.0.0.1; 0 picks a free one */
  port: number;
  /** first of the consecutive internal ports; 0 picks free ports */
  basePort: number;
  primaryWorkers: number;
  /** the workers' HASH_ROUNDS */
  hashRounds: number;
  /** keep the temp dir (logs, Prometheus config and data) after the run */
  keepTemp: boolean;
  /**
   * ms between the starts of two burst workers: a scale-up brings the pool up one replica at a time
   * (a Deployment's pods are not all ready in the same second); unset: they start together
   */
  burstStartStaggerMs?: number;
}

/** Everything local mode runs with: its own settings and the watcher's. */
export type LocalConfig = LocalSettings & WatcherSettings;

interface LocalSpec extends Bounds {
  key: keyof LocalSettings;
  flag: string;
  env: string;
  kind: "integer" | "boolean";
  /** undefined: unset unless given (the setting is optional) */
  default: number | boolean | undefined;
  doc: string;
}

/** Local mode's own settings, in the order --help lists them. */
export const LOCAL_SETTINGS: readonly LocalSpec[] = [
  { key: "port", flag: "port", env: "LOCAL_PORT", kind: "integer", min: 0, max: 65535, default: PORTS.frontend, doc: "frontend port on 127.0.0.1 (0: a free port)" },
  { key: "basePort", flag: "base-port", env: "LOCAL_BASE_PORT", kind: "integer", min: 0, max: 65535, default: 0, doc: "internal parts take consecutive ports from here (0: free ports)" },
  { key: "primaryWorkers", flag: "primary-workers", env: "PRIMARY_WORKERS", kind: "integer", min: 1, max: 32, default: 1, doc: "worker processes in the primary pool" },
  { key: "hashRounds", flag: "hash-rounds", env: "HASH_ROUNDS", kind: "integer", min: 1, max: 1_000_000, default: 1, doc: "sha256 rounds per request in every worker (CPU cost)" },
  { key: "keepTemp", flag: "keep-temp", env: "LOCAL_KEEP_TEMP", kind: "boolean", default: false, doc: "keep logs, the Prometheus config and data after the run" },
  {
    key: "burstStartStaggerMs",
    flag: "burst-start-stagger-ms",
    env: "BURST_START_STAGGER_MS",
    kind: "integer",
    min: 0,
    max: 60_000,
    default: undefined,
    doc: "ms between the starts of two burst workers, so that the pool becomes ready one replica at a time",
  },
];

/**
 * Where local mode's defaults differ from the watcher table's: its Prometheus scrapes every second,
 * and the watcher's windows (derived from scrapeInterval) follow; a burst worker is a local process,
 * ready in about a second or two, and prewarmTimeout follows scaleUpTime.
 */
export const LOCAL_WATCHER_DEFAULTS: Partial<Record<keyof WatcherSettings, string>> = { scrapeInterval: "1s", scaleUpTime: "2s" };

/** A bad flag or variable; the message is the one line to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One row of either table, as flags and variables see it. */
interface Row {
  key: string;
  flag: string;
  env: string;
  boolean: boolean;
  defaultText: string;
  doc: string;
  /** a value of this setting as text */
  format(value: unknown): string;
}

function localRequirement(s: LocalSpec): string {
  return s.kind === "boolean" ? "true or false" : numberRequirement("integer", s);
}

const ROWS: { local: Row[]; watcher: Row[] } = {
  local: LOCAL_SETTINGS.map((s) => ({
    ...s,
    boolean: s.kind === "boolean",
    defaultText: s.default === undefined ? "(default unset: they start together)" : String(s.default),
    format: String,
  })),
  watcher: WATCHER_SETTINGS.map((s) => ({
    key: s.key,
    flag: settingFlag(s),
    env: s.env,
    boolean: s.kind === "boolean",
    defaultText: LOCAL_WATCHER_DEFAULTS[s.key] ?? s.defaultText,
    doc: s.doc,
    format: (v) => formatSetting(s, v),
  })),
};

/** The watcher table's docs name settings by config key (`highRps`); here they are flags. */
function asFlags(text: string): string {
  const flagOf = new Map(ROWS.watcher.map((r) => [r.key, `--${r.flag}`]));
  return text.replace(/`([^`]*)`/g, (_m, inner: string) => inner.replace(/\w+/g, (w) => flagOf.get(w) ?? w));
}

export function usage(): string {
  const line = (r: Row) => {
    const def = r.defaultText.startsWith("(") ? r.defaultText : `(default ${asFlags(r.defaultText)})`;
    return `  ${`--${r.flag}${r.boolean ? "" : " <v>"}`.padEnd(30)} ${r.env.padEnd(24)} ${asFlags(r.doc)} ${def}`;
  };
  return [
    "Usage: npm run local -- [flags]      (or: node local/dist/index.js [flags])",
    "",
    "Runs redis-server, the primary worker pool, the burst worker pool (scaled on demand by the watcher",
    "between --burst-min-replicas and --burst-max-replicas), the local mesh, Prometheus, the watcher",
    "(ROUTER=local, SCALER=local) and the frontend on 127.0.0.1. Ctrl-C stops everything. See docs/local.md.",
    "Each flag can be given as its environment variable instead; the flag wins.",
    "",
    "Local mode:",
    ...ROWS.local.map(line),
    "",
    "Watcher (passed to it as its environment):",
    ...ROWS.watcher.map(line),
    "",
    "  --help                         this text",
    "",
  ].join("\n");
}

/** A value given for a setting, and where it came from (`--flag` or VARIABLE). */
type Given = { raw: string; source: string } | undefined;

function invalid(source: string, raw: string, requirement: string): UsageError {
  return new UsageError(`${source}=${JSON.stringify(raw)} is invalid: must be ${requirement}`);
}

function parseLocal(s: LocalSpec, given: NonNullable<Given>): number | boolean {
  const text = given.raw.trim();
  const bad = () => invalid(given.source, given.raw, localRequirement(s));
  if (s.kind === "boolean") {
    const b = parseBoolean(text);
    if (b === undefined) throw bad();
    return b;
  }
  const n = text === "" ? NaN : Number(text);
  if (!Number.isInteger(n) || !inBounds(s, n)) throw bad();
  return n;
}

/** Builds the config from what was given per row; throws UsageError for the first problem. */
function buildConfig(lookup: (row: Row) => Given): LocalConfig {
  const local: Record<string, unknown> = {};
  LOCAL_SETTINGS.forEach((s, i) => {
    const given = lookup(ROWS.local[i]);
    local[s.key] = given === undefined ? s.default : parseLocal(s, given);
  });
  const sources = new Map<string, string>();
  const rowOf = (spec: SettingSpec) => ROWS.watcher[WATCHER_SETTINGS.indexOf(spec)];
  const { settings, problems } = parseWatcherSettings(
    (spec) => {
      const given = lookup(rowOf(spec));
      if (given) sources.set(spec.key, given.source);
      return given?.raw ?? LOCAL_WATCHER_DEFAULTS[spec.key];
    },
    (spec) => `--${settingFlag(spec)}`,
  );
  const p = problems[0];
  if (p) throw invalid(sources.get(p.spec.key) ?? `--${settingFlag(p.spec)}`, p.raw ?? "", p.requirement);
  const config = { ...(local as unknown as LocalSettings), ...settings };
  const internal = 6 + config.primaryWorkers; // redis, mesh data + admin, prometheus, watcher, scale endpoint, primary workers
  if (config.basePort !== 0 && config.basePort + internal > 65535) {
    throw invalid("--base-port", String(config.basePort), `a port that leaves room for ${internal} consecutive ports`);
  }
  return config;
}

export type ParseResult = { help: true } | { help: false; config: LocalConfig };

/** Parses argv (without node and script) and env; throws UsageError with one line. */
export function parseLocalConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const r of [...ROWS.local, ...ROWS.watcher]) options[r.flag] = { type: r.boolean ? "boolean" : "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // (duck-typed: under a test runner the error may come from another realm)
    throw new UsageError(`${String((err as { message?: unknown })?.message ?? err).split("\n")[0]} (see --help)`);
  }
  if (values.help) return { help: true };
  return {
    help: false,
    config: buildConfig((r) => {
      const flag = values[r.flag];
      const [raw, source] = flag !== undefined ? [String(flag), `--${r.flag}`] : [env[r.env], r.env];
      return raw === undefined || raw.trim() === "" ? undefined : { raw, source };
    }),
  };
}

/** The config from values given in code (startLocal's options), checked as the flags are. */
export function resolveConfig(given: Partial<LocalConfig>): LocalConfig {
  const values = given as Record<string, unknown>;
  return buildConfig((r) => (values[r.key] === undefined ? undefined : { raw: r.format(values[r.key]), source: `--${r.flag}` }));
}
