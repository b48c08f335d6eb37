import { Counter, Gauge, type Registry } from "prom-client";
import type { Stats } from "./stats";

/** What the frontend's gauges read besides Stats: connected browsers, Redis and the watcher. */
export interface MetricSources {
  clients: () => number;
  redisReady: () => boolean;
  watcherReachable: () => boolean;
}

/** A counter's value when scraped: one number, or one per label set. */
type CounterValue = number | readonly (readonly [Record<string, string>, number])[];

/** A counter set from a reading at each scrape, so the hot path only increments numbers. */
function counter(registry: Registry, name: string, help: string, read: () => CounterValue, labelNames: string[] = []): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const value = read();
      if (typeof value === "number") this.inc(value);
      else for (const [labels, n] of value) this.inc(labels, n);
    },
  });
}

/** A gauge set from a reading at each scrape. */
function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** Prometheus metrics read from Stats when scraped, so the hot path only increments numbers. */
export function registerMetrics(registry: Registry, stats: Stats, sources: MetricSources): void {
  counter(registry, "frontend_requests_sent_total", "Calls sent to the worker service", () => stats.sent);
  counter(
    registry,
    "frontend_responses_total",
    "Worker calls finished, by HTTP status code, or code=timeout / code=error when there was no answer",
    () => [...stats.responses].map(([code, n]) => [{ code }, n] as const),
    ["code"],
  );
  counter(registry, "frontend_requests_dropped_total", "Calls due but not sent because MAX_IN_FLIGHT calls were in flight (counted as errors)", () => stats.dropped);
  counter(
    registry,
    "frontend_hashes_total",
    "Hashes received on the Redis calculation channel, by pool (burst: starts with BURST_PREFIX)",
    () => [
      [{ pool: "primary" }, stats.hashes.primary],
      [{ pool: "burst" }, stats.hashes.burst],
    ],
    ["pool"],
  );
  gauge(registry, "frontend_requests_in_flight", "Worker calls waiting for an answer", () => stats.inFlight);
  gauge(registry, "frontend_frequency", "Requested calls per second", () => stats.freq);
  gauge(registry, "frontend_socket_clients", "Browsers connected over socket.io", sources.clients);
  gauge(registry, "frontend_watcher_reachable", "1 while the last read of the watcher's /status (WATCHER_URL) succeeded, else 0", () => (sources.watcherReachable() ? 1 : 0));
  gauge(registry, "frontend_redis_connected", "1 while subscribed to the Redis calculation channel, else 0", () => (sources.redisReady() ? 1 : 0));
}
