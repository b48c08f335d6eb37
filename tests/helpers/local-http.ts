/** HTTP helpers for the local-mode tests: a plain client and fake upstream servers. */
import http, { type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: <T = unknown>() => T;
}

export function request(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string | number>; timeoutMs?: number; agent?: http.Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? (opts.body === undefined ? "GET" : "POST"), headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export function sendJsonTo(url: string, method: string, body: unknown): Promise<Reply> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return request(url, { method, body: text, headers: { "content-type": "application/json" } });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha: string;
}

export interface FakeUpstream {
  name: string;
  url: string;
  port: number;
  seen: SeenRequest[];
  /** TCP connections accepted so far */
  connections: () => number;
  close: () => Promise<void>;
}

/**
 * An upstream that answers every request with JSON {name, method, url, bodyBytes}; path `/status/<n>`
 * answers with status n.
 */
export async function fakeUpstream(name: string): Promise<FakeUpstream> {
  const { createHash } = await import("node:crypto");
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = http.createServer((req, res) => {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      const entry = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes: bytes, bodySha: hash.digest("hex") };
      seen.push(entry);
      const m = /^\/status\/(\d{3})/.exec(req.url ?? "");
      const text = JSON.stringify({ name, method: entry.method, url: entry.url, bodyBytes: bytes, bodySha: entry.bodySha });
      res.writeHead(m ? Number(m[1]) : 200, { "content-type": "application/json", "x-upstream": name });
      res.end(text);
    });
  });
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Parses Prometheus text format into samples {name, labels, value}. */
export function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      for (let l = re.exec(m[2]); l; l = re.exec(m[2])) labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
