import { ConfigError, Env } from "@istio-burst/common";
import { BURST_PREFIX, NAMES, PORTS } from "@istio-burst/contract";

/** The frontend's configuration, read once at start from the environment. */
export interface FrontendConfig {
  /** PORT: where the page, API and socket.io listen (default 8080). */
  port: number;
  /** PROCESSOR_URL: the worker service requests are sent to (default http://worker-service). */
  processorUrl: string;
  /** REDIS_URL: `host:port` or a `redis://` URL; hashes arrive on its `calculation` channel (default redis-cache-service:6379). */
  redisUrl: string;
  /** BURST_PREFIX: a hash starting with this came from the burst pool (default `bursty-`). */
  burstPrefix: string;
  /** MAX_FREQ: the highest accepted frequency, requests per second (default 5000). */
  maxFreq: number;
  /** INITIAL_FREQ: the frequency at start, requests per second (default 0: idle until asked). */
  initialFreq: number;
  /** REQUEST_TIMEOUT: a worker call without an answer after this counts as an error (default 5s). */
  requestTimeoutMs: number;
  /** MAX_IN_FLIGHT: worker calls allowed at once; a call due past the cap is dropped and counted (default 500). */
  maxInFlight: number;
  /** WATCHER_URL: the watcher's base URL; its `/status` feeds GET /api/routing (default unset: routing not configured). */
  watcherUrl?: string;
}

/** Parses and validates the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = new Env()): FrontendConfig {
  const burstPrefix = env.raw("BURST_PREFIX") ?? BURST_PREFIX;
  const maxFreq = env.number("MAX_FREQ", 5000, { min: 1, max: 100_000 });
  const initialFreq = env.number("INITIAL_FREQ", 0, { min: 0 });
  if (initialFreq > maxFreq) throw new ConfigError("INITIAL_FREQ", `a number from 0 to MAX_FREQ (${maxFreq})`, String(initialFreq));
  return {
    port: env.port("PORT", PORTS.frontend),
    processorUrl: env.url("PROCESSOR_URL", `http://${NAMES.workerService}`),
    redisUrl: env.redisUrl("REDIS_URL", `${NAMES.redisService}:${PORTS.redis}`),
    burstPrefix,
    maxFreq,
    initialFreq,
    requestTimeoutMs: env.duration("REQUEST_TIMEOUT", 5_000, { minMs: 1 }),
    maxInFlight: env.integer("MAX_IN_FLIGHT", 500, { min: 1, max: 100_000 }),
    watcherUrl: env.raw("WATCHER_URL") === undefined ? undefined : env.url("WATCHER_URL"),
  };
}

/** Validates a requested frequency: a finite number in [0, max]. */
export function parseFreq(value: unknown, max: number): { freq: number } | { error: string } {
  if (value === undefined || value === null) return { error: `freq is missing: send {"freq": n} with n from 0 to ${max}` };
  if (typeof value !== "number") return { error: `freq must be a number from 0 to ${max}, got ${JSON.stringify(value)}` };
  if (!Number.isFinite(value) || value < 0 || value > max) return { error: `freq must be a finite number from 0 to ${max}, got ${value}` };
  return { freq: value };
}
