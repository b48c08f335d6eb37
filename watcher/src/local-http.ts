/**
 * The bounded JSON calls the local router and the local scaler make to local mode's endpoints (the
 * mesh's /weights, the burst pool's /scale).
 */

/** The answer: its status and body, parsed as JSON (the first 200 characters of the text when not JSON). */
export interface JsonAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly body: unknown;
}

/** Calls `url`; throws `<what>: timed out after N ms` or `<what>: <network error>` when no answer came. */
export async function callJson(url: string, method: "GET" | "PUT", what: string, timeoutMs: number, payload?: unknown): Promise<JsonAnswer> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      headers: payload === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(`${what}: ${e.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.message)}`);
  }
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = text.slice(0, 200);
  }
  return { ok: res.ok, status: res.status, body };
}

/** `<what>: HTTP <status>`, with the endpoint's `{"error": ...}` or its text when it gave one. */
export function httpFailure(what: string, answer: JsonAnswer): Error {
  const e = typeof answer.body === "string" ? answer.body : (answer.body as { error?: unknown } | undefined)?.error;
  return new Error(`${what}: HTTP ${answer.status}${typeof e === "string" ? `: ${e}` : ""}`);
}
