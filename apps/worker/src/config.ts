import { NAMES, PORTS } from "@istio-burst/contract";
import { Env } from "@istio-burst/common";

/** The worker's configuration, read once at start from the environment. */
export interface WorkerConfig {
  /** PORT: where the HTTP server listens (default 8081). */
  port: number;
  /** REDIS_URL: `host:port` (as in the 2018 codelab) or a `redis://` URL (default redis-cache-service:6379). */
  redisUrl: string;
  /** PREFIX: prepended to every published hash (default "", the burst pool uses `bursty-`). */
  prefix: string;
  /** HASH_ROUNDS: sha256 rounds per request, the CPU cost knob for load demos (default 1). */
  hashRounds: number;
}

export const MAX_HASH_ROUNDS = 1_000_000;

/** Parses and validates the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = new Env()): WorkerConfig {
  return {
    port: env.port("PORT", PORTS.worker),
    redisUrl: env.redisUrl("REDIS_URL", `${NAMES.redisService}:${PORTS.redis}`),
    prefix: env.string("PREFIX", ""),
    hashRounds: env.integer("HASH_ROUNDS", 1, { min: 1, max: MAX_HASH_ROUNDS }),
  };
}
