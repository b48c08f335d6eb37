/**
 * Local mode's burst worker pool as a scaler: `GET {url}/scale` -> {"desired": n, "ready": n};
 * `PUT {url}/scale` with {"replicas": n} -> 200 with the same shape. Every call is bounded by a timeout.
 */
import type { PoolReading } from "../decide";
import type { Scaler } from "../scaler";

export interface LocalScalerOptions {
  /** The pool manager's base URL (SCALER_URL), e.g. http://127.0.0.1:15001 */
  readonly url: string;
  readonly timeoutMs?: number;
}

export class LocalScaler implements Scaler {
  readonly description: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(opts: LocalScalerOptions) {
    this.url = `${opts.url.replace(/\/+$/, "")}/scale`;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.description = `local burst pool ${this.url}`;
  }

  async get(): Promise<PoolReading> {
    return this.call("GET");
  }

  async scale(replicas: number): Promise<void> {
    await this.call("PUT", replicas);
  }

  private async call(method: "GET" | "PUT", replicas?: number): Promise<PoolReading> {
    const what = `${method} ${this.url}${replicas === undefined ? "" : ` ${replicas} replicas`}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method,
        body: replicas === undefined ? undefined : JSON.stringify({ replicas }),
        headers: replicas === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new Error(`${what}: ${e.name === "TimeoutError" ? `timed out after ${this.timeoutMs} ms` : (e.cause?.code ?? e.message)}`);
    }
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text.slice(0, 200);
    }
    if (!res.ok) {
      const e = typeof body === "string" ? body : (body as { error?: unknown } | undefined)?.error;
      throw new Error(`${what}: HTTP ${res.status}${typeof e === "string" ? `: ${e}` : ""}`);
    }
    const b = body as { desired?: unknown; ready?: unknown } | undefined;
    if (!isCount(b?.desired) || !isCount(b?.ready)) throw new Error(`${what}: not {"desired","ready"} non-negative integers: ${JSON.stringify(body)}`);
    return { desired: b.desired, ready: b.ready };
  }
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}
