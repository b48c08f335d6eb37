import type { Logger } from "@istio-burst/common";
import { CHANNEL } from "@istio-burst/contract";
import Redis from "ioredis";

/**
 * Subscribes to the workers' `calculation` channel and hands every hash to `onHash`. Reconnects and
 * re-subscribes by itself; `ready` is true while subscribed.
 */
export class HashFeed {
  readonly redis: Redis;
  private subscribed = false;

  constructor(url: string, onHash: (hash: string) => void, log: Logger) {
    this.redis = new Redis(url, {
      connectTimeout: 2_000,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    let lastError = "";
    this.redis.on("message", (channel: string, message: string) => {
      if (channel === CHANNEL) onHash(message);
    });
    this.redis.on("ready", () => {
      lastError = "";
      if (this.subscribed) log.info("redis reconnected; subscription restored");
    });
    // Queued until connected; after a reconnect ioredis subscribes again by itself (autoResubscribe).
    this.redis.subscribe(CHANNEL).then(
      () => {
        this.subscribed = true;
        log.info({ channel: CHANNEL }, "subscribed to redis");
      },
      (err: unknown) => log.error({ err }, "redis subscribe failed"),
    );
    let wasReady = false;
    this.redis.on("ready", () => (wasReady = true));
    this.redis.on("close", () => {
      if (wasReady) log.warn("redis connection lost; reconnecting");
      wasReady = false;
    });
    this.redis.on("error", (err: Error) => {
      if (err.message === lastError) return;
      lastError = err.message;
      log.warn({ err: err.message }, "redis error");
    });
  }

  get ready(): boolean {
    return this.subscribed && this.redis.status === "ready";
  }

  close(): void {
    this.redis.disconnect();
  }
}
