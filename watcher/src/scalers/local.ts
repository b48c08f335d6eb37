/**
 * Local mode's burst worker pool as a scaler: `GET {url}/scale` -> {"desired": n, "ready": n};
 * `PUT {url}/scale` with {"replicas": n} -> 200 with the same shape. Every call is bounded by a timeout.
 */
import type { PoolReading } from "../decide";
import { callJson, httpFailure } from "../local-http";
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
    const answer = await callJson(this.url, method, what, this.timeoutMs, replicas === undefined ? undefined : { replicas });
    if (!answer.ok) throw httpFailure(what, answer);
    const b = answer.body as { desired?: unknown; ready?: unknown } | undefined;
    if (!isCount(b?.desired) || !isCount(b?.ready)) throw new Error(`${what}: not {"desired","ready"} non-negative integers: ${JSON.stringify(answer.body)}`);
    return { desired: b.desired, ready: b.ready };
  }
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}
