import type { Server } from "node:http";
import { Server as SocketServer, type Socket } from "socket.io";
import type { FrontendConfig } from "./config";
import type { RoutingReader } from "./routing";
import type { Stats } from "./stats";

/** How often hashes are pushed to browsers when they arrive faster than `SINGLE_PER_FLUSH` per flush. */
export const FLUSH_MS = 200;
/** Hashes per flush window sent one by one as `calculation` events (as in the 2018 codelab). */
export const SINGLE_PER_FLUSH = 5;
/** Most hashes in one `calculations` batch; the newest are kept and the rest counted as `omitted`. */
export const MAX_BATCH = 100;
/** How often `stats` is pushed to browsers. */
export const STATS_MS = 1_000;
/** How often the watcher's routing is read and pushed to browsers as `routing`, while any is connected. */
export const ROUTING_MS = 1_000;

/** What the browsers' feed reads and drives. */
export interface BrowserParts {
  config: FrontendConfig;
  stats: Stats;
  routing: RoutingReader;
  setFrequency(value: unknown): { freq: number } | { error: string };
  /** whether close() has begun (no more routing pushes) */
  closing(): boolean;
}

/**
 * The page's live feed over socket.io: hashes (one by one at low rates, batched above), stats every
 * STATS_MS, the watcher's routing every ROUTING_MS while a browser is connected, and the
 * `frequency` event a browser sets the rate with.
 */
export class BrowserFeed {
  readonly io: SocketServer;
  private singles = 0;
  private batch: string[] = [];
  private omitted = 0;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    server: Server,
    private readonly parts: BrowserParts,
  ) {
    this.io = new SocketServer(server, { serveClient: true, maxHttpBufferSize: 4096 });
    this.io.on("connection", (socket) => this.connected(socket));
    this.timers = [
      setInterval(() => this.flush(), FLUSH_MS),
      setInterval(() => this.io.emit("stats", parts.stats.snapshot()), STATS_MS),
      setInterval(() => {
        if (this.io.engine.clientsCount > 0) void parts.routing.current().then((state) => !parts.closing() && this.io.emit("routing", state));
      }, ROUTING_MS),
    ];
  }

  /** A hash from Redis: sent on its own while under SINGLE_PER_FLUSH this window, else batched. */
  hash(hash: string): void {
    if (this.singles < SINGLE_PER_FLUSH) {
      this.singles++;
      this.io.emit("calculation", hash);
      return;
    }
    this.batch.push(hash);
    if (this.batch.length > MAX_BATCH) {
      this.batch.shift();
      this.omitted++;
    }
  }

  /** Stops the timers and disconnects every browser. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }

  private flush(): void {
    this.singles = 0;
    if (this.batch.length === 0) return;
    this.io.emit("calculations", { hashes: this.batch, omitted: this.omitted });
    this.batch = [];
    this.omitted = 0;
  }

  private connected(socket: Socket): void {
    const { config, stats, routing } = this.parts;
    socket.emit("config", { burstPrefix: config.burstPrefix, maxFreq: config.maxFreq });
    socket.emit("stats", stats.snapshot());
    void routing.current().then((state) => socket.connected && socket.emit("routing", state));
    socket.on("frequency", (...args: unknown[]) => this.frequency(socket, args));
  }

  /** A browser's `frequency` event: `{freq}` or a bare number, with or without an ack. */
  private frequency(socket: Socket, args: unknown[]): void {
    // socket.io passes the ack as the last argument, after however many the client sent
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (reply: unknown) => void) : undefined;
    const data = args[0];
    const value = data !== null && typeof data === "object" && !Array.isArray(data) ? (data as { freq?: unknown }).freq : data;
    const result = this.parts.setFrequency(value);
    if (ack) ack(result);
    else if ("error" in result) socket.emit("frequency-error", result);
    if (!("error" in result)) this.io.emit("frequency", result);
  }
}
