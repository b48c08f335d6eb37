/**
 * Local mode's settings: each one a flag and an environment variable (the flag wins), parsed once
 * into a validated object. A bad value is one line naming the flag and what it must be.
 */
import { parseArgs } from "node:util";
import { parseDuration } from "@istio-burst/contract";

export type Mode = "switch" | "overflow";

export interface LocalConfig {
  /** The frontend's port on 127.0.0.1 (default 8080; 0 picks a free one). */
  port: number;
  /** First port for the internal parts, taken in order; 0 (the default) picks free ports. */
  basePort: number;
  /** Watcher: rps above which it bursts (default 15, as in the 2018 codelab). */
  highRps: number;
  /** Watcher: rps below which it returns to primary (default 10). */
  lowRps: number;
  /** Watcher: `switch` (default) or `overflow`. */
  mode: Mode;
  /** Processes in the primary worker pool (default 1). */
  primaryWorkers: number;
  /** Processes in the burst worker pool, PREFIX=bursty- (default 1). */
  burstWorkers: number;
  /** Worker HASH_ROUNDS (default 1). */
  hashRounds: number;
  /** Watcher POLL_INTERVAL, passed as given (default: the watcher's, 1s). */
  pollInterval?: string;
  /** Watcher MIN_DWELL, passed as given (default: the watcher's). */
  minDwell?: string;
  /** Range of the rate() in the watcher's default query and default burst health query (default 30s, as on GKE); the watcher's RATE_WINDOW. */
  rateWindow: string;
  /** Full watcher QUERY; overrides rateWindow (default: the watcher's default query). */
  query?: string;
  /** Prometheus scrape interval (default 1s). */
  scrapeInterval: string;
  /** Keep the temp dir (logs, Prometheus data) after the run instead of removing it. */
  keepTemp: boolean;
}

export const DEFAULTS: LocalConfig = {
  port: 8080,
  basePort: 0,
  highRps: 15,
  lowRps: 10,
  mode: "switch",
  primaryWorkers: 1,
  burstWorkers: 1,
  hashRounds: 1,
  rateWindow: "30s",
  scrapeInterval: "1s",
  keepTemp: false,
};

/** A bad flag or variable; the message is the one line to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

interface Setting {
  flag: string;
  env: string;
  key: keyof LocalConfig;
  kind: "port" | "number" | "count" | "duration" | "range" | "mode" | "string" | "boolean";
  help: string;
  /** integer bounds for count */
  min?: number;
  max?: number;
}

export const SETTINGS: Setting[] = [
  { flag: "port", env: "LOCAL_PORT", key: "port", kind: "port", help: "frontend port on 127.0.0.1 (0 = a free port)" },
  { flag: "high-rps", env: "HIGH_RPS", key: "highRps", kind: "number", help: "watcher bursts above this many requests/s" },
  { flag: "low-rps", env: "LOW_RPS", key: "lowRps", kind: "number", help: "watcher returns to primary below this many requests/s" },
  { flag: "mode", env: "MODE", key: "mode", kind: "mode", help: "watcher mode: switch or overflow" },
  { flag: "primary-workers", env: "PRIMARY_WORKERS", key: "primaryWorkers", kind: "count", min: 1, max: 32, help: "worker processes in the primary pool" },
  { flag: "burst-workers", env: "BURST_WORKERS", key: "burstWorkers", kind: "count", min: 1, max: 32, help: "worker processes in the burst pool" },
  { flag: "hash-rounds", env: "HASH_ROUNDS", key: "hashRounds", kind: "count", min: 1, max: 1_000_000, help: "worker HASH_ROUNDS (CPU cost per request)" },
  { flag: "poll-interval", env: "POLL_INTERVAL", key: "pollInterval", kind: "duration", help: "watcher POLL_INTERVAL (default: the watcher's, 1s)" },
  { flag: "min-dwell", env: "MIN_DWELL", key: "minDwell", kind: "duration", help: "watcher MIN_DWELL (default: the watcher's)" },
  { flag: "rate-window", env: "RATE_WINDOW", key: "rateWindow", kind: "range", help: "rate() window of the watcher's queries (rate and burst health)" },
  { flag: "query", env: "QUERY", key: "query", kind: "string", help: "full watcher PromQL query (overrides --rate-window)" },
  { flag: "scrape-interval", env: "SCRAPE_INTERVAL", key: "scrapeInterval", kind: "range", help: "Prometheus scrape interval" },
  { flag: "base-port", env: "LOCAL_BASE_PORT", key: "basePort", kind: "port", help: "first of the consecutive internal ports (0 = free ports)" },
  { flag: "keep-temp", env: "LOCAL_KEEP_TEMP", key: "keepTemp", kind: "boolean", help: "keep logs and Prometheus data after the run" },
];

export function usage(): string {
  const rows = SETTINGS.map((s) => {
    const def = DEFAULTS[s.key];
    const flag = `--${s.flag}${s.kind === "boolean" ? "" : " <v>"}`;
    return `  ${flag.padEnd(24)} ${s.env.padEnd(16)} ${s.help}${def === undefined || s.kind === "boolean" ? "" : ` (default ${String(def)})`}`;
  });
  return [
    "Usage: npm run local -- [flags]      (or: node local/dist/index.js [flags])",
    "",
    "Runs redis-server, the primary and burst worker pools, the local mesh, Prometheus, the watcher",
    "(ROUTER=local) and the frontend on 127.0.0.1. Ctrl-C stops everything. See docs/local.md.",
    "",
    "  flag                     env",
    ...rows,
    "  --help                                    this text",
    "",
  ].join("\n");
}

function parseValue(s: Setting, raw: string, source: string): LocalConfig[keyof LocalConfig] {
  const bad = (must: string) => new UsageError(`${source}=${JSON.stringify(raw)} is invalid: must be ${must}`);
  const text = raw.trim();
  switch (s.kind) {
    case "port": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0 || n > 65535) throw bad("an integer port from 0 to 65535");
      return n;
    }
    case "number": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n < 0) throw bad("a number of requests per second, at least 0");
      return n;
    }
    case "count": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < s.min! || n > s.max!) throw bad(`an integer from ${s.min} to ${s.max}`);
      return n;
    }
    case "duration": {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) throw bad("a positive duration such as 250ms, 1s, 2m or a number of seconds");
      // Prometheus and the watcher take Prometheus durations; a plain number means seconds.
      return /^\d+(\.\d+)?$/.test(text) ? (Number.isInteger(Number(text)) ? `${text}s` : `${Math.round(ms)}ms`) : text;
    }
    case "range": {
      // Prometheus durations are integers with units; a plain integer means seconds.
      if (/^\d+$/.test(text) && Number(text) > 0) return `${text}s`;
      if (!/^(\d+(ms|s|m|h))+$/.test(text) || !(parseDuration(text)! > 0)) throw bad("a Prometheus duration such as 5s, 30s or 1m");
      return text;
    }
    case "mode":
      if (text !== "switch" && text !== "overflow") throw bad("switch or overflow");
      return text;
    case "string":
      if (text === "") throw bad("a non-empty string");
      return text;
    case "boolean": {
      const v = text.toLowerCase();
      if (["1", "true", "yes", "on", ""].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw bad("true or false");
    }
  }
}

export type ParseResult = { help: true } | { help: false; config: LocalConfig };

/** Parses argv (without node and script) and env; throws UsageError with one line. */
export function parseLocalConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const s of SETTINGS) options[s.flag] = { type: s.kind === "boolean" ? "boolean" : "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // (duck-typed: under a test runner the error may come from another realm)
    const msg = String((err as { message?: unknown })?.message ?? err).split("\n")[0];
    throw new UsageError(`${msg} (see --help)`);
  }
  if (values.help) return { help: true };
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const s of SETTINGS) {
    const flagValue = values[s.flag];
    if (flagValue !== undefined) {
      config[s.key] = typeof flagValue === "boolean" ? flagValue : parseValue(s, flagValue, `--${s.flag}`);
      continue;
    }
    const envValue = env[s.env];
    if (envValue !== undefined && envValue.trim() !== "") config[s.key] = parseValue(s, envValue, s.env);
  }
  const c = config as unknown as LocalConfig;
  checkConfig(c);
  return { help: false, config: c };
}

/** The checks that involve several settings (also applied to startLocal's options). */
export function checkConfig(c: LocalConfig): void {
  if (!(c.lowRps < c.highRps)) {
    throw new UsageError(`--low-rps (${c.lowRps}) must be below --high-rps (${c.highRps})`);
  }
  const internal = 5 + c.primaryWorkers + c.burstWorkers; // redis, mesh data + admin, prometheus, watcher, workers
  if (c.basePort !== 0 && c.basePort + internal > 65535) {
    throw new UsageError(`--base-port=${c.basePort} is invalid: must leave room for ${internal} consecutive ports`);
  }
}

/** The watcher's default query, with the rate() window as a parameter. */
export function defaultQuery(rateWindow = "30s", namespace = "default"): string {
  return (
    `sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",` +
    `destination_service="worker-service.${namespace}.svc.cluster.local"}[${rateWindow}]))`
  );
}
