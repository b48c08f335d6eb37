import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Logger } from "@istio-burst/common";
import { routingFromStatus, watcherStatusProblem, type RoutingState, type WatcherStatus } from "@istio-burst/contract";

/** A read of the watcher's /status that takes longer fails. */
export const ROUTING_TIMEOUT_MS = 1_500;
/** An answer younger than this is served from the cache instead of asking the watcher again. */
export const ROUTING_MAX_AGE_MS = 1_000;
/** How many answers from standby watchers are asked again before one is shown. */
const STANDBY_RETRIES = 4;

/** A /status body larger than this is not a watcher status. */
export const ROUTING_MAX_BYTES = 256 * 1024;

export interface RoutingOptions {
  timeoutMs?: number;
  maxAgeMs?: number;
  now?: () => number;
}

/** `<base>/status`, whatever the base's path, query or trailing slash. */
export function statusUrl(base: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/status`;
  u.search = "";
  u.hash = "";
  return u;
}

/** One line of at most `max` characters. */
function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** GET `url` as text within `timeoutMs` (connect, headers and body together), at most `maxBytes`. */
function getText(url: URL, timeoutMs: number, maxBytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const req = send(url, { method: "GET", headers: { accept: "application/json" }, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail(new Error(`answer is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (err) => fail(err));
      res.on("close", () => fail(new Error("answer cut off")));
    });
    req.on("error", (err: NodeJS.ErrnoException) => fail(new Error(err.code === "ECONNREFUSED" ? "connection refused" : err.code ? `${err.code}: ${err.message}` : err.message)));
    req.end();
  });
}

/**
 * The routing the watcher chose, read from `WATCHER_URL/status`: one read at a time, with a deadline,
 * cached for `maxAgeMs`. Never throws: a watcher that is down, slow, or answers something that is not
 * its status gives `{"watcher": "unreachable", "error": ...}`; no WATCHER_URL gives
 * `{"watcher": "not-configured"}`. Logs only when the watcher becomes reachable or unreachable.
 */
export class RoutingReader {
  private readonly url: URL | undefined;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private cached: { state: RoutingState; at: number } | undefined;
  private inFlight: Promise<RoutingState> | undefined;
  private lastSeenAt: string | null = null;
  private reachable: boolean | undefined;

  constructor(
    watcherUrl: string | undefined,
    private readonly log?: Logger,
    opts: RoutingOptions = {},
  ) {
    this.url = watcherUrl === undefined ? undefined : statusUrl(watcherUrl);
    this.timeoutMs = opts.timeoutMs ?? ROUTING_TIMEOUT_MS;
    this.maxAgeMs = opts.maxAgeMs ?? ROUTING_MAX_AGE_MS;
    this.now = opts.now ?? Date.now;
  }

  get configured(): boolean {
    return this.url !== undefined;
  }

  /** The last state read, if any (no read is started). */
  get last(): RoutingState | undefined {
    return this.cached?.state;
  }

  /** The current state: the cached one while fresh, else a new read (shared by concurrent callers). */
  current(): Promise<RoutingState> {
    if (this.cached && this.now() - this.cached.at < this.maxAgeMs) return Promise.resolve(this.cached.state);
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async read(): Promise<RoutingState> {
    const checkedAt = new Date(this.now()).toISOString();
    let state: RoutingState;
    if (!this.url) {
      state = { watcher: "not-configured", checkedAt, error: "WATCHER_URL is not set" };
    } else {
      try {
        const status = await this.fetchStatus(this.url);
        this.lastSeenAt = checkedAt;
        state = routingFromStatus(status, checkedAt);
      } catch (err) {
        state = { watcher: "unreachable", checkedAt, error: oneLine(err instanceof Error ? err.message : String(err)), lastSeenAt: this.lastSeenAt };
      }
      this.noteReachability(state);
    }
    this.cached = { state, at: this.now() };
    return state;
  }

  /**
   * The leader's status. With several watchers behind the Service, one leads and the others stand by
   * (their /status says so, with no weights of their own): a standby's answer is asked again, each
   * request free to reach another pod, a few times at most; then the standby's answer is shown.
   */
  private async fetchStatus(url: URL): Promise<WatcherStatus> {
    let status = await this.fetchOne(url);
    for (let tries = 1; tries < STANDBY_RETRIES && status.election?.role === "standby"; tries++) status = await this.fetchOne(url);
    return status;
  }

  private async fetchOne(url: URL): Promise<WatcherStatus> {
    const res = await getText(url, this.timeoutMs, ROUTING_MAX_BYTES);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}${res.body.trim() ? `: ${oneLine(res.body, 80)}` : ""}`);
    let value: unknown;
    try {
      value = JSON.parse(res.body);
    } catch {
      throw new Error(`answer is not JSON: ${oneLine(res.body, 60) || "(empty)"}`);
    }
    const problem = watcherStatusProblem(value);
    if (problem) throw new Error(`answer is not a watcher status: ${problem}`);
    return value as WatcherStatus;
  }

  private noteReachability(state: RoutingState): void {
    const ok = state.watcher === "ok";
    if (ok === this.reachable) return;
    const first = this.reachable === undefined;
    this.reachable = ok;
    const watcher = this.url?.href;
    if (ok) this.log?.info({ watcher }, first ? "reading the routing from the watcher" : "watcher reachable again");
    else if (state.watcher === "unreachable") this.log?.warn({ watcher, error: state.error }, "watcher unreachable; the page shows so");
  }
}
