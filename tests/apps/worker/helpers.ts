/** Small HTTP and Redis helpers shared by the worker and frontend tests. */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import Redis from "ioredis";
import { waitFor } from "../../helpers/services";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

/** One HTTP request on a fresh connection (no keep-alive, so nothing lingers after a test). */
export function request(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string | number>; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? (opts.body === undefined ? "GET" : "POST"), headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export function postJson(url: string, body: unknown, timeoutMs?: number): Promise<Reply> {
  return request(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, timeoutMs });
}

/** Collects every message on a Redis channel. */
export async function subscribe(redisUrl: string, channel = "calculation"): Promise<{ messages: string[]; close: () => Promise<void> }> {
  const sub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  sub.on("error", () => undefined);
  const messages: string[] = [];
  sub.on("message", (ch: string, msg: string) => {
    if (ch === channel) messages.push(msg);
  });
  await sub.connect();
  await sub.subscribe(channel);
  return { messages, close: async () => void sub.disconnect() };
}

/** Waits until `messages` holds `count` entries. */
export function waitForMessages(messages: string[], count: number, what = `${count} message(s)`): Promise<true> {
  return waitFor(what, () => messages.length >= count || undefined, 10_000, 10);
}

/** Resolves to the promise's value, or to `fallback` after `ms` (the timer is cleared either way). */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
