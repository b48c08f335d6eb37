import type Redis from "ioredis";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The status codes the worker answers with, each a pre-bound child of worker_requests_total. */
export const STATUS_CODES = [200, 400, 404, 405, 413, 500, 503] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

export interface WorkerMetrics {
  /** worker_requests_total by status code, bound once so the hot path only increments */
  byCode: Map<StatusCode, { inc(): void }>;
  publishErrors: Counter;
  duration: Histogram;
}

/** The worker's metrics; the Redis gauge is read at each scrape. */
export function workerMetrics(registry: Registry, redis: Redis): WorkerMetrics {
  const requests = new Counter({
    name: "worker_requests_total",
    help: "HTTP requests to POST / by response status code",
    labelNames: ["code"],
    registers: [registry],
  });
  const byCode = new Map(STATUS_CODES.map((code) => [code, requests.labels(String(code))]));
  const publishErrors = new Counter({
    name: "worker_publish_errors_total",
    help: "Hashes not published because Redis was unreachable or failed",
    registers: [registry],
  });
  const duration = new Histogram({
    name: "worker_request_duration_seconds",
    help: "Time to hash and publish, for requests answered 200",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  new Gauge({
    name: "worker_redis_connected",
    help: "1 when the Redis connection is ready, else 0",
    registers: [registry],
    collect() {
      this.set(redis.status === "ready" ? 1 : 0);
    },
  });
  return { byCode, publishErrors, duration };
}
