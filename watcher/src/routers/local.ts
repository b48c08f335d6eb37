/**
 * The local mesh as a router: `GET /weights` -> {"primary": p, "burst": b}; `PUT /weights` with the
 * same body (the mesh answers 400 unless both are integers in 0..100 summing to 100).
 */
import { callJson, httpFailure } from "../local-http";
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
    const what = `GET ${this.url}`;
    const answer = await callJson(this.url, "GET", what, this.timeoutMs);
    if (!answer.ok) throw httpFailure(what, answer);
    const body = answer.body;
    if (!isValidWeights(body)) throw new Error(`${what}: not {"primary","burst"} integers summing to 100: ${JSON.stringify(body)}`);
    return { primary: body.primary, burst: body.burst };
  }

  /** The mesh keeps no history, so the note is not sent (the controller logs it). */
  async setWeights(weights: Weights, _note?: ChangeNote): Promise<void> {
    const answer = await callJson(this.url, "PUT", `PUT ${this.url}`, this.timeoutMs, { primary: weights.primary, burst: weights.burst });
    if (!answer.ok) throw httpFailure(`PUT ${this.url} ${formatWeights(weights)}`, answer);
  }
}
