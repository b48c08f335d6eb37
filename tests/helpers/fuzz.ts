/**
 * The machinery of the bad-input fuzz suites (tests/faults/fuzz-*.test.ts): the seed, an HTTP
 * client with explicit framing that reports a hang as an outcome, a raw TCP sender, bounded
 * concurrency, and the slow clients the servers' timeouts must cut off. The seeded PRNG itself is the
 * tooling package's (packages/tooling/src/random.ts), which bench/watcher-policy.ts draws from too.
 */
import { type Agent, request as httpRequest, type Server } from "node:http";
import { connect } from "node:net";
import type { Rng } from "../../packages/tooling/src/random";
import { sleep, waitFor } from "./services";

/** FUZZ_SEED=<n> replays a run (a failure names the seed); a fixed default otherwise. */
export function fuzzSeed(): number {
  return Number(process.env.FUZZ_SEED ?? 20261125) >>> 0;
}

/** Up to 4 headers: mostly `names` (else a random x- name), mostly `values` (else random text). */
export function junkHeaders(r: Rng, names: readonly string[], values: readonly string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = r.int(0, 4); i > 0; i--) {
    const name = r.next() < 0.8 ? r.pick(names) : `x-${r.ascii(r.int(1, 20), "abcdefghijklmnopqrstuvwxyz0123456789-_")}`;
    h[name] = r.next() < 0.6 ? r.pick(values) : r.ascii(r.int(0, 300), "abcdefghijklmnopqrstuvwxyzABC0123456789 ;=,./:-_\"'()");
  }
  return h;
}

/** Quoted, cut to `max` characters (bytes read as latin1), for failure messages. */
export const show = (b: Buffer | string | undefined, max = 160) => {
  if (b === undefined) return "(no body)";
  const s = typeof b === "string" ? b : b.toString("latin1");
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}... (${s.length} bytes)` : s);
};

/** Runs `task` over `items` with at most `width` at once; the results in the items' order. */
export async function pool<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i]);
      }
    }),
  );
  return out;
}

// ---- HTTP ------------------------------------------------------------------------------------------

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Outcome {
  status?: number;
  text?: string;
  error?: string;
}

/**
 * One request with a deadline: a hang is an outcome (error "timeout"), not a stuck test, and so is a
 * request Node's client refuses to send. `target`: a port on 127.0.0.1, or a base URL.
 */
export function send(target: number | string, c: HttpRequest, agent: Agent | false, timeoutMs = 5_000): Promise<Outcome> {
  const { host, port } = endpoint(target);
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (!done) (done = true), resolve(o);
    };
    let req: ReturnType<typeof httpRequest>;
    try {
      // Explicit framing: Node's client sends an OPTIONS/DELETE/TRACE body unframed otherwise, which the
      // server rightly reads as the next request on a kept-alive connection.
      const headers = c.body === undefined ? c.headers : { ...c.headers, "content-length": String(c.body.length) };
      req = httpRequest({ host, port, method: c.method, path: c.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => finish({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (err) => finish({ status: res.statusCode, error: err.message }));
      });
    } catch (err) {
      finish({ error: `client refused to send: ${(err as Error).message}` });
      return;
    }
    req.setTimeout(timeoutMs, () => {
      finish({ error: "timeout" });
      req.destroy();
    });
    req.on("error", (err) => finish({ error: err.message }));
    req.end(c.body);
  });
}

function endpoint(target: number | string): { host: string; port: number | string } {
  if (typeof target === "number") return { host: "127.0.0.1", port: target };
  const u = new URL(target);
  return { host: u.hostname, port: u.port };
}

/** Until GET /_healthz answers 200. */
export function untilHealthy(what: string, target: number | string): Promise<unknown> {
  return waitFor(what, async () => (await send(target, { method: "GET", path: "/_healthz", headers: {} }, false)).status === 200);
}

/** No response because the server answered early and closed while the client was still sending (an oversize body). */
export function cutOffWhileSending(o: Outcome): boolean {
  return o.status === undefined && /EPIPE|ECONNRESET|socket hang up/.test(o.error ?? "");
}

/** A fuzz case and its input, for a failure message: `case #n (what): METHOD path headers … body …`. */
export function describeHttpCase(c: HttpRequest & { n: number; what: string }): string {
  return `case #${c.n} (${c.what}): ${c.method} ${show(c.path, 80)} headers ${JSON.stringify(c.headers).slice(0, 200)} body ${show(c.body)}`;
}

// ---- raw TCP ---------------------------------------------------------------------------------------

/** Strings and buffers to write, and pauses in ms between them. */
export type RawParts = (string | Buffer | number)[];

export interface RawResult {
  /** status codes of the final responses received, in order */
  statuses: number[];
  /** the server closed the connection */
  closed: boolean;
  timedOut: boolean;
  ms: number;
  raw: string;
}

export interface RawCase {
  what: string;
  parts: RawParts;
  end?: boolean;
  /** besides a 4xx, the server may just close the connection (nothing it could answer) */
  closeOk?: boolean;
  /** the connection must be closed within this many ms (in-process, with short server timeouts) */
  closedWithinMs?: number;
}

/** An HTTP head written with `\n` for line ends, sent with CRLF, then `body` (latin1 if a string). */
export const rawReq = (head: string, body: string | Buffer = "") => Buffer.concat([Buffer.from(head.replace(/\n/g, "\r\n"), "latin1"), typeof body === "string" ? Buffer.from(body, "latin1") : body]);

/**
 * Writes `parts` on a fresh TCP connection to 127.0.0.1, then waits until the server closes it or
 * `waitMs` passes, and reports the responses' status lines. `end`: half-close after the last part.
 */
export function raw(port: number, parts: RawParts, opts: { end?: boolean; waitMs?: number } = {}): Promise<RawResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let closed = false;
    let finished = false;
    const finish = (timedOut: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      // final responses only: a 100 Continue is Node answering `Expect: 100-continue` before the app decides
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])).filter((s) => s >= 200);
      resolve({ statuses, closed, timedOut, ms: Date.now() - started, raw: text });
    };
    const timer = setTimeout(() => finish(true), opts.waitMs ?? 4_000);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      finish(false);
    });
    socket.on("connect", async () => {
      for (const p of parts) {
        if (finished || socket.destroyed) return;
        if (typeof p === "number") await sleep(p);
        else socket.write(p);
      }
      if (opts.end) socket.end();
    });
  });
}

// ---- slow clients ----------------------------------------------------------------------------------

/**
 * Short server timeouts so that slow clients are cut off within the test's patience
 * (the product defaults are 20 s for headers and 30 s per request, checked every 30 s).
 */
export function useShortTimeouts(server: Server): void {
  server.headersTimeout = 1_000;
  server.requestTimeout = 2_000;
  (server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 200;
}

/** How soon a server with useShortTimeouts must close a slow client (its timeouts, plus margin on a loaded machine). */
export const SLOW_CLOSED_WITHIN_MS = 4_500;

/**
 * The slow clients: a body cut short, headers never finished, slowloris, a trickled body, a request
 * line never finished. The requests are the app's: `post` a request line start with a body
 * ("POST /"), `partialBody` the start of a body for it, `slowlorisRequest` the request whose headers
 * come a byte every 150 ms, `trickleByte` the body byte sent every 200 ms, `partialLine` a request line cut short.
 */
export function slowClientCases(app: { post: string; partialBody: string; slowlorisRequest: string; trickleByte: string; partialLine: string }): RawCase[] {
  const closedWithinMs = SLOW_CLOSED_WITHIN_MS;
  return [
    { what: "truncated body, client stays silent", parts: [rawReq(`${app.post} HTTP/1.1\nHost: x\nContent-Length: 100\n\n`, app.partialBody)], closedWithinMs },
    { what: "headers never finished", parts: [rawReq(`${app.post} HTTP/1.1\nHost: x\n`)], closedWithinMs },
    {
      what: "slowloris: a header byte every 150 ms",
      parts: [rawReq(`${app.slowlorisRequest} HTTP/1.1\nHost: x\n`), ...Array.from({ length: 40 }, (_, i) => [150, i % 2 ? "a" : "X-"]).flat()],
      closedWithinMs,
    },
    { what: "body trickled a byte per 200 ms", parts: [rawReq(`${app.post} HTTP/1.1\nHost: x\nContent-Length: 50\n\n`), ...Array.from({ length: 40 }, () => [200, app.trickleByte]).flat()], closedWithinMs },
    { what: "request line never finished", parts: [app.partialLine], closedWithinMs },
  ];
}
