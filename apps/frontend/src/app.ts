import { createServer, type Server } from "node:http";
import { applyServerTimeouts, createLogger, createRegistry, drainAndClose, type Logger } from "@istio-burst/common";
import type { Registry } from "prom-client";
import type { Server as SocketServer } from "socket.io";
import { BrowserFeed } from "./browsers";
import { type FrontendConfig, parseFreq } from "./config";
import { HashFeed } from "./hashes";
import { createHttpApp } from "./http-app";
import { registerMetrics } from "./metrics";
import { Pacer } from "./pacer";
import { Processor } from "./processor";
import { RoutingReader, type RoutingOptions } from "./routing";
import { type Pool, Stats } from "./stats";

export interface FrontendDeps {
  log?: Logger;
  registry?: Registry;
  /** How long close() waits for page requests and worker calls to finish (default 8 s). */
  drainMs?: number;
  /** Deadline and cache age of the watcher reads behind /api/routing (defaults in routing.ts). */
  routing?: RoutingOptions;
}

export interface Frontend {
  server: Server;
  io: SocketServer;
  stats: Stats;
  pacer: Pacer;
  feed: HashFeed;
  routing: RoutingReader;
  registry: Registry;
  /** Sets the frequency (validated); returns the refusal message when it is not acceptable. */
  setFrequency(value: unknown): { freq: number } | { error: string };
  /** Stops sending, disconnects browsers, drains requests, closes Redis. */
  close(): Promise<void>;
}

/**
 * The String Hashr frontend: the page (GET /), its socket.io feed of hashes and stats, the
 * frequency API, and the paced request generator. The server is returned unbound (call listen).
 */
export function createFrontend(config: FrontendConfig, deps: FrontendDeps = {}): Frontend {
  const log = deps.log ?? createLogger("frontend");
  const registry = deps.registry ?? createRegistry("frontend");
  const stats = new Stats();
  const processor = new Processor(config.processorUrl, stats, { timeoutMs: config.requestTimeoutMs, maxInFlight: config.maxInFlight }, log);
  const pacer = new Pacer(() => processor.call());
  const routing = new RoutingReader(config.watcherUrl, log, deps.routing);
  // Hashes from Redis: counted by pool, pushed to browsers one by one at low rates, batched above.
  const poolOf = (hash: string): Pool => (hash.startsWith(config.burstPrefix) ? "burst" : "primary");
  const feed = new HashFeed(
    config.redisUrl,
    (hash) => {
      stats.recordHash(poolOf(hash));
      browsers.hash(hash);
    },
    log,
  );
  const setFrequency = frequencySetter(config, stats, pacer, log);

  let closing = false;
  const parts = { config, log, registry, stats, feed, routing, setFrequency, closing: () => closing };
  const server = createServer(createHttpApp(parts));
  applyServerTimeouts(server);
  const browsers = new BrowserFeed(server, parts);
  registerMetrics(registry, stats, {
    clients: () => browsers.io.engine.clientsCount,
    redisReady: () => feed.ready,
    watcherReachable: () => routing.last?.watcher === "ok",
  });

  if (config.initialFreq > 0) setFrequency(config.initialFreq);

  let closed: Promise<void> | undefined;
  const close = () => {
    closing = true;
    closed ??= closeFrontend({ server, pacer, browsers, processor, feed }, deps.drainMs ?? 8_000, config.requestTimeoutMs);
    return closed;
  };

  return { server, io: browsers.io, stats, pacer, feed, routing, registry, setFrequency, close };
}

/** Sets the frequency (validated against MAX_FREQ) on the pacer and in the stats; logs a change. */
function frequencySetter(config: FrontendConfig, stats: Stats, pacer: Pacer, log: Logger): Frontend["setFrequency"] {
  return (value) => {
    const parsed = parseFreq(value, config.maxFreq);
    if ("error" in parsed) return parsed;
    const previous = stats.freq;
    pacer.set(parsed.freq);
    stats.freq = parsed.freq;
    if (parsed.freq !== previous) log.info({ freq: parsed.freq, previous }, "frequency set");
    return parsed;
  };
}

/** Stops sending, disconnects browsers, drains page requests and worker calls, closes Redis. */
async function closeFrontend(
  parts: { server: Server; pacer: Pacer; browsers: BrowserFeed; processor: Processor; feed: HashFeed },
  drainMs: number,
  requestTimeoutMs: number,
): Promise<void> {
  parts.pacer.stop();
  parts.browsers.close();
  await drainAndClose(parts.server, {
    drainMs,
    cleanup: async () => {
      await parts.processor.drain(Math.min(drainMs, requestTimeoutMs));
      parts.processor.close();
      parts.feed.close();
    },
  });
}
