/**
 * The local mesh as a router: `GET /weights` -> {"primary": p, "burst": b}; `PUT /weights` with the
 * same body (the mesh answers 400 unless both are integers in 0..100 summing to 100).
 */
import type { ChangeNote, TrafficRouter } from "../router";
import { formatWeights, isValidWeights, type Weights } from "@istio-burst/contract";

export interface LocalRouterOptions {
  /** The mesh's base URL (MESH_URL), e.g. http://127.0.0.1:15000 */
  readonly meshUrl: string;
  readonly timeoutMs?: number;
}

export class LocalRouter implements TrafficRouter {
  readonly description: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(opts: LocalRouterOptions) {
    this.url = `${opts.meshUrl.replace(/\/+$/, "")}/weights`;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.description = `local mesh ${this.url}`;
  }

  async getWeights(): Promise<Weights> {
    const res = await this.request("GET");
    const body = await this.json(res);
    if (!res.ok) throw new Error(`GET ${this.url}: HTTP ${res.status}${errorText(body)}`);
    if (!isValidWeights(body)) throw new Error(`GET ${this.url}: not {"primary","burst"} integers summing to 100: ${JSON.stringify(body)}`);
    return { primary: body.primary, burst: body.burst };
  }

  /** The mesh keeps no history, so the note is not sent (the controller logs it). */
  async setWeights(weights: Weights, _note?: ChangeNote): Promise<void> {
    const res = await this.request("PUT", JSON.stringify({ primary: weights.primary, burst: weights.burst }));
    const body = await this.json(res);
    if (!res.ok) throw new Error(`PUT ${this.url} ${formatWeights(weights)}: HTTP ${res.status}${errorText(body)}`);
  }

  private async request(method: "GET" | "PUT", body?: string): Promise<Response> {
    try {
      return await fetch(this.url, {
        method,
        body,
        headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new Error(`${method} ${this.url}: ${e.name === "TimeoutError" ? `timed out after ${this.timeoutMs} ms` : e.cause?.code ?? e.message}`);
    }
  }

  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    try {
      return text === "" ? undefined : JSON.parse(text);
    } catch {
      return text.slice(0, 200);
    }
  }
}

function errorText(body: unknown): string {
  if (typeof body === "string") return `: ${body}`;
  const e = (body as { error?: unknown } | undefined)?.error;
  return typeof e === "string" ? `: ${e}` : "";
}
