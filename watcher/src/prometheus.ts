/**
 * Prometheus as the watcher's metrics source: instant queries over the HTTP API
 * (`GET /api/v1/query`), each answer typed as a value, no data, or an error.
 */
import type { NoDataReason } from "@istio-burst/contract";
import type { Observation } from "./decide";

/** One instant query's outcome. */
export type QueryResult =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "nodata"; readonly reason: NoDataReason }
  | { readonly kind: "error"; readonly message: string };

/** What the controller reads each poll. */
export interface MetricsSource {
  /**
   * The current request rate; when `burstInUse` and a health query is configured, also the
   * burst pool's success ratio.
   */
  sample(context: { burstInUse: boolean }): Promise<Observation>;
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://prometheus.istio-system:9090 (no trailing /api/...). */
  readonly url: string;
  readonly timeoutMs: number;
}

export class PrometheusClient {
  private readonly base: string;

  constructor(private readonly opts: PrometheusClientOptions) {
    this.base = opts.url.replace(/\/+$/, "");
  }

  /** Runs an instant query; never throws. */
  async query(promql: string): Promise<QueryResult> {
    const params = new URLSearchParams({ query: promql, timeout: `${Math.max(1, Math.floor(this.opts.timeoutMs))}ms` });
    const url = `${this.base}/api/v1/query?${params.toString()}`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs), headers: { accept: "application/json" } });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      if (e.name === "TimeoutError" || e.name === "AbortError") return error(`timed out after ${this.opts.timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return error(`request failed: ${cause?.code ?? cause?.message ?? e.message}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return error(status >= 200 && status < 300 ? "invalid JSON in the answer" : `HTTP ${status}`);
    }
    return parseQueryResponse(status, body);
  }
}

function error(message: string): QueryResult {
  return { kind: "error", message };
}

/** Types a Prometheus `/api/v1/query` answer (exported for tests and tools). */
export function parseQueryResponse(status: number, body: unknown): QueryResult {
  const b = (typeof body === "object" && body !== null ? body : {}) as {
    status?: unknown;
    error?: unknown;
    errorType?: unknown;
    data?: { resultType?: unknown; result?: unknown };
  };
  if (status < 200 || status >= 300 || b.status !== "success") {
    const detail = typeof b.error === "string" ? `: ${typeof b.errorType === "string" ? `${b.errorType}: ` : ""}${b.error}` : "";
    return error(`HTTP ${status}${detail}`);
  }
  const type = b.data?.resultType;
  const result = b.data?.result;
  if (type === "scalar") return valueOf(result);
  if (type !== "vector") return error(`unexpected result type ${String(type)}: QUERY must yield one instant value`);
  if (!Array.isArray(result)) return error("vector answer without a result list");
  if (result.length === 0) return { kind: "nodata", reason: "empty" };
  if (result.length > 1) return { kind: "nodata", reason: "multiple-series" };
  return valueOf((result[0] as { value?: unknown }).value);
}

function valueOf(pair: unknown): QueryResult {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") return error("malformed sample in the answer");
  const n = Number(pair[1]);
  // Prometheus writes NaN, +Inf and -Inf as strings; none of them is a usable rate.
  if (!Number.isFinite(n)) return { kind: "nodata", reason: "nan" };
  return { kind: "value", value: n };
}

export interface PrometheusSourceOptions extends PrometheusClientOptions {
  /** PromQL yielding worker-service requests/s: the slow view. */
  readonly query: string;
  /** PromQL yielding worker-service requests/s over the last scrape interval: the fast view; optional. */
  readonly upQuery?: string;
  /** PromQL yielding the burst pool's success ratio (0..1); optional. */
  readonly burstHealthQuery?: string;
}

/**
 * The MetricsSource the watcher uses: the rate query (slow view) and the up query (fast view) each
 * poll, plus the health query while burst is in use. The slow view decides whether there is data; a
 * fast view without data leaves the decision to the slow one.
 */
export class PrometheusSource implements MetricsSource {
  private readonly client: PrometheusClient;

  constructor(private readonly opts: PrometheusSourceOptions) {
    this.client = new PrometheusClient(opts);
  }

  async sample({ burstInUse }: { burstInUse: boolean }): Promise<Observation> {
    const wantHealth = burstInUse && this.opts.burstHealthQuery !== undefined;
    const [rate, up, health] = await Promise.all([
      this.client.query(this.opts.query),
      this.opts.upQuery === undefined ? undefined : this.client.query(this.opts.upQuery),
      wantHealth ? this.client.query(this.opts.burstHealthQuery as string) : undefined,
    ]);
    if (rate.kind !== "value") return rate;
    // A health answer without data (no burst requests in the window, 0/0) is "unknown", not "failing".
    const ratio = health?.kind === "value" ? health.value : undefined;
    return { kind: "value", rps: rate.value, upRps: up?.kind === "value" ? up.value : undefined, burstSuccessRatio: ratio };
  }
}
