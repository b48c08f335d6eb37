import type { Logger } from "@istio-burst/common";
import Redis from "ioredis";

/**
 * The publisher connection. It never queues: a publish while Redis is unreachable fails at once
 * (enableOfflineQueue false), a publish in flight when the connection drops is rejected, not
 * re-sent later (maxRetriesPerRequest 0, autoResendUnfulfilledCommands false), and a silent network
 * cannot hold a request longer than `commandTimeoutMs`. So a 200 means delivered and a 503 means
 * not. It reconnects by itself, backing off up to 1 s.
 */
export function createPublisher(url: string, log: Logger, opts: { commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: opts.commandTimeoutMs ?? 2_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  logConnectionState(redis, log);
  return redis;
}

/** Logs connection state changes (not every reconnect attempt). */
export function logConnectionState(redis: Redis, log: Logger): void {
  let connected = false;
  let lastError = "";
  redis.on("ready", () => {
    connected = true;
    lastError = "";
    log.info("redis connected");
  });
  redis.on("close", () => {
    if (connected) log.warn("redis connection lost; reconnecting");
    connected = false;
  });
  redis.on("error", (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    log.warn({ err: err.message }, "redis error");
  });
}
