import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "./log";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/** Reads a request body up to `limit` bytes; rejects with BodyTooLargeError past it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => failed || resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on("error", (err) => failed || ((failed = true), reject(err)));
  });
}

/** What a JSON request body must be, and how it is checked. */
export interface JsonBodyRule<T> {
  /** bytes at most; a larger body is answered 413 */
  readonly limit: number;
  /** what the body must be, for the 400 answer: `body must be <requirement>` */
  readonly requirement: string;
  /** the value of a parsed body, or undefined when it is not one */
  readonly parse: (body: unknown) => T | undefined;
  /** headers of the error answers */
  readonly headers?: Record<string, string>;
}

/**
 * Reads a JSON request body and checks it: the value, or undefined once it has answered 413 (too
 * large) or 400 with a JSON error (not JSON, or not what `rule.requirement` says).
 */
export async function readJsonBody<T>(req: IncomingMessage, res: ServerResponse, rule: JsonBodyRule<T>): Promise<T | undefined> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, rule.limit)).toString("utf8"));
  } catch (err) {
    if (err instanceof BodyTooLargeError) sendJson(res, 413, { error: err.message }, rule.headers);
    else sendJson(res, 400, { error: `body is not valid JSON: body must be ${rule.requirement}` }, rule.headers);
    return undefined;
  }
  const value = rule.parse(body);
  if (value === undefined) sendJson(res, 400, { error: `body must be ${rule.requirement}` }, rule.headers);
  return value;
}

/** Explicit HTTP timeouts, so a slow or silent client cannot hold a socket forever. */
export function applyServerTimeouts(server: Server, opts: { requestTimeoutMs?: number; keepAliveTimeoutMs?: number } = {}): void {
  server.requestTimeout = opts.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(server.requestTimeout, 20_000);
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
}

export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish (idle keep-alive sockets are closed at
 * once, and each busy one as soon as its response is sent), force-closes what is left after
 * `drainMs`, then runs `cleanup`.
 */
export async function drainAndClose(server: Server, opts: { drainMs?: number; cleanup?: () => Promise<void> | void } = {}): Promise<void> {
  const drainMs = opts.drainMs ?? 8_000;
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), drainMs);
    // A keep-alive client that was busy when the server closed keeps its socket open once answered:
    // close sockets as they go idle, rather than wait for the client or the deadline.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    deadline.unref();
    sweep.unref();
    server.close(() => {
      clearTimeout(deadline);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
  await opts.cleanup?.();
}

/** Keeps a write to a closed stdout or stderr (EPIPE, EBADF) from becoming an uncaught exception. */
function ignoreStdioErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") === 0) stream.on("error", () => undefined);
  }
}

/**
 * Runs a service's main: on SIGTERM/SIGINT calls `stop` once and exits 0 (1 if stop fails or takes over
 * `exitAfterMs`). A ConfigError at start prints its one line to stderr and exits 2.
 *
 * The exit does not depend on anyone reading the service's output: logs never block an exit (see
 * LineWriter), and a closed stdout or stderr is ignored, so a service whose parent has gone still
 * stops on SIGTERM within its bound.
 */
export function runMain(service: string, main: () => Promise<{ log: Logger; stop: () => Promise<void> }>, exitAfterMs = 9_500): void {
  ignoreStdioErrors();
  main().then(
    ({ log, stop }) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, "shutting down");
        setTimeout(() => {
          log.error("shutdown took too long; exiting");
          process.exit(1);
        }, exitAfterMs).unref();
        stop().then(
          () => {
            log.info("stopped");
            process.exit(0);
          },
          (err: unknown) => {
            log.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    },
    (err: unknown) => {
      if (err instanceof Error && err.name === "ConfigError") {
        process.stderr.write(`${service}: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${service}: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
