/**
 * Local mode's burst worker pool, scaled on demand: it stands in for the burst Deployment and its
 * scale subresource. The watcher (SCALER=local, SCALER_URL) asks for a size with `PUT /scale`
 * `{"replicas": n}` and reads `GET /scale` -> `{"desired": n, "ready": n}`, as it reads and patches
 * `spec.replicas` and `status.readyReplicas` on GKE.
 *
 * - Scaling up starts worker processes (the same program as the primary pool, `PREFIX=bursty-`, a free
 *   port each) through the supervisor; a member is ready once its `/_healthz` answered 200, and only
 *   then does the mesh learn it (`PUT /upstreams/burst` on the mesh's admin port).
 * - Scaling down takes a member out of the mesh first, then SIGTERMs it (it drains its in-flight
 *   requests; SIGKILL after the grace period). Members not ready go first, then the newest.
 * - A readiness probe reads each member's `/_healthz` every second: three failures in a row (a hung
 *   process) take it out of the mesh and out of `ready`; one success brings it back.
 * - A member that dies is no longer ready, leaves the mesh at once, and does not stop the run (unlike
 *   the fixed parts): like a Deployment's pod, it is replaced, after a back-off (10 s, doubling after
 *   each start that fails, at most 80 s). A worker that fails to start counts the same way.
 * - With a start stagger (the member spec's `startStaggerMs`, local mode's --burst-start-stagger-ms),
 *   a member starts no sooner than that after the member started before it, so that a scale-up
 *   becomes ready one replica at a time, as a Deployment's pods often do. A member scaled away while
 *   it waits for its turn never starts.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { renameSync, writeFileSync } from "node:fs";
import { applyServerTimeouts, readJsonBody, sendJson } from "@istio-burst/common";
import { formatCost, inBounds, numberRequirement, ReplicaMeter, type BurstCost, type Pricing } from "@istio-burst/contract";
import { freePort, httpOk, HOST, portFree } from "@istio-burst/tooling";
import { formatDeath, type ChildSpec, type DeathReport, type Supervisor } from "./supervisor";

/** What `GET /scale` and `PUT /scale` answer. */
export interface ScaleState {
  desired: number;
  ready: number;
}

export type MemberState = "starting" | "ready" | "unready" | "stopping";

export interface PoolMember {
  name: string;
  url: string;
  pid?: number;
  state: MemberState;
}

/** What a member of the pool runs, and how far apart the pool starts its members. */
export interface BurstMemberSpec extends ChildSpec {
  /** ms between the starts of two members (0 or undefined: each starts at once) */
  startStaggerMs?: number;
}

export interface BurstPoolOptions {
  supervisor: Supervisor;
  /** The spec of a burst worker called `name` listening on `port` (readiness: its /_healthz), with the pool's start stagger. */
  spec(name: string, port: number): BurstMemberSpec;
  /** The mesh's admin URL, told the ready members with PUT /upstreams/burst. */
  meshAdmin: string;
  /** Replicas at most (the watcher's burstMaxReplicas). */
  max: number;
  /** Where the pool's log lines go (one per scale change, start, readiness change, death). */
  log(line: string): void;
  /** A Prometheus file_sd file to keep up to date with the live members (label pool="burst"). */
  targetsFile?: string;
  /** Readiness probe period (default 1 s) and failures in a row before a member is not ready (3). */
  probeIntervalMs?: number;
  probeFailures?: number;
  /** Back-off before a dead or failed member is replaced (default 10 s, doubling up to 8 times that). */
  restartDelayMs?: number;
  /** What a replica costs (the watcher's burstReplicaHourlyCost, currency and burstReplicas): each pool line then says what the pool has cost so far. */
  pricing?: Pricing;
}

interface Member extends PoolMember {
  port: number;
  failures: number;
  /** the start is under way; resolves when it is over either way */
  started?: Promise<void>;
  /** ends its wait for its turn to start (a start stagger) at once */
  wake?: () => void;
}

export class BurstPool {
  private desired = 0;
  private readonly members: Member[] = [];
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private probing = false;
  private failuresInRow = 0;
  private nextStartAt = 0;
  /** when the last member started, or will start after its stagger (epoch ms) */
  private lastStartAt = -Infinity;
  /** the last ready list sent to the mesh (undefined: send again) */
  private meshSent?: string;
  private meshPush: Promise<void> = Promise.resolve();
  private lastReady = 0;
  /** the replicas asked for, counted from the start (what the pool costs) */
  private meter?: ReplicaMeter;
  /** fault injection: the scale endpoint answers this status (tests and demos) */
  fault: number | null = null;

  constructor(private readonly opts: BurstPoolOptions) {}

  get max(): number {
    return this.opts.max;
  }

  state(): ScaleState {
    return { desired: this.desired, ready: this.members.filter((m) => m.state === "ready").length };
  }

  list(): PoolMember[] {
    return this.members.map(({ name, url, pid, state }) => ({ name, url, pid, state }));
  }

  /** Starts the probe and reconcile loop with `initial` members (resolves once they are ready, or failed). */
  async start(initial: number): Promise<void> {
    this.writeTargets();
    this.desired = initial;
    this.meter = new ReplicaMeter(Date.now(), initial);
    this.reconcile();
    await Promise.all(this.members.map((m) => m.started));
    await this.syncMesh();
    this.timer = setInterval(() => void this.tick(), this.opts.probeIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Stops the loop; the supervisor stops the processes with the rest of the run. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const m of this.members) m.wake?.();
  }

  /** Sets the desired size (0..max) and starts or stops members to match. */
  scale(replicas: number, by = "a scale request"): ScaleState {
    if (!isReplicaCount(replicas, this.opts.max)) throw new RangeError(`replicas must be ${numberRequirement("integer", { min: 0, max: this.opts.max })}`);
    if (replicas !== this.desired) {
      const was = this.desired;
      this.desired = replicas;
      this.meter?.set(replicas, Date.now());
      // a new request starts at once, whatever the back-off of earlier failures
      this.nextStartAt = 0;
      this.failuresInRow = 0;
      this.reconcile();
      this.opts.log(`burst pool: scaled ${was} -> ${replicas} (${by}); ${this.readyLine()}`);
    }
    return this.state();
  }

  private live(): Member[] {
    return this.members.filter((m) => m.state !== "stopping");
  }

  private reconcile(): void {
    if (this.closed || this.opts.supervisor.isStopping()) return;
    let live = this.live();
    while (live.length > this.desired) {
      const rank = (m: Member) => (m.state === "unready" ? 0 : m.state === "starting" ? 1 : 2);
      const victim = [...live].sort((a, b) => rank(a) - rank(b) || this.members.indexOf(b) - this.members.indexOf(a))[0];
      void this.stopMember(victim);
      live = this.live();
    }
    if (Date.now() < this.nextStartAt) return;
    for (let n = live.length; n < this.desired; n++) this.startMember();
  }

  private startMember(): void {
    const m: Member = { name: `worker-burst-${++this.seq}`, url: "", port: 0, state: "starting", failures: 0 };
    this.members.push(m);
    m.started = this.launch(m);
    // a member scaled down while starting is stopped once its start is over
    void m.started.then(() => {
      if (m.state === "stopping" && m.pid !== undefined) void this.stopMember(m, true);
    });
  }

  /** Starts a member's worker (after its turn, with a stagger) and tells the mesh once it is ready; a failed start backs off. */
  private async launch(m: Member): Promise<void> {
    try {
      const spec = await this.specAfterTurn(m);
      if (spec === undefined) return this.remove(m); // scaled away (or the run stopped) while it waited
      const child = await this.opts.supervisor.start({ ...spec, onDeath: (r) => this.onDeath(m, r) });
      m.pid = child.pid;
      this.failuresInRow = 0;
      if (m.state === "stopping") return; // scaled down while it started
      m.state = "ready";
      this.opts.log(`burst pool: ${m.name} (pid ${child.pid}) ready at ${m.url}; ${this.readyLine()}`);
      this.writeTargets();
      await this.syncMesh();
    } catch (err) {
      this.remove(m);
      if (this.closed || this.opts.supervisor.isStopping()) return;
      this.backOff();
      const msg = err instanceof Error ? err.message : String(err);
      this.opts.log(`burst pool: ${m.name} failed to start, next try in ${Math.round((this.nextStartAt - Date.now()) / 1000)} s: ${msg.split("\n").slice(0, 4).join(" ")}`);
    }
  }

  /**
   * The member's port and spec once it may start: at once, or `startStaggerMs` after the member
   * started before it. undefined when it was scaled away, or the pool closed, while it waited.
   */
  private async specAfterTurn(m: Member): Promise<BurstMemberSpec | undefined> {
    const take = async () => {
      m.port = await freePort();
      m.url = `http://${HOST}:${m.port}`;
      return this.opts.spec(m.name, m.port);
    };
    const spec = await take();
    const stagger = spec.startStaggerMs ?? 0;
    const startAt = Math.max(Date.now(), this.lastStartAt + stagger);
    this.lastStartAt = startAt;
    const wait = startAt - Date.now();
    if (wait <= 0) return spec;
    this.opts.log(`burst pool: ${m.name} starts in ${(wait / 1000).toFixed(1)} s (a start stagger of ${stagger} ms); ${this.readyLine()}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      m.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    m.wake = undefined;
    if (m.state === "stopping" || this.closed || this.opts.supervisor.isStopping()) return undefined;
    // the port was free when it was picked; take another if something took it meanwhile
    return (await portFree(m.port)) ? spec : take();
  }

  private backOff(): void {
    const base = this.opts.restartDelayMs ?? 10_000;
    this.nextStartAt = Date.now() + base * 2 ** Math.min(this.failuresInRow, 3);
    this.failuresInRow++;
  }

  /** Out of the mesh first, then SIGTERM (SIGKILL after the supervisor's grace period). */
  private async stopMember(m: Member, again = false): Promise<void> {
    if (m.state === "stopping" && !again) return;
    const wasStarting = m.state === "starting";
    m.state = "stopping";
    if (wasStarting && m.pid === undefined) return m.wake?.(); // stopped when its start is over (at once while it waits for its turn)
    this.writeTargets();
    await this.syncMesh();
    try {
      await this.opts.supervisor.stopChild(m.name, { signal: "SIGTERM" });
      this.opts.log(`burst pool: ${m.name} (pid ${m.pid}) stopped; ${this.readyLine()}`);
    } catch {
      // already gone, or the run is stopping
    }
    this.remove(m);
  }

  private onDeath(m: Member, report: DeathReport): void {
    if (m.state === "stopping") return;
    this.remove(m);
    this.backOff();
    this.opts.log(
      `burst pool: ${formatDeath(report).split("\n")[0]} no longer ready, replaced in ${Math.round((this.nextStartAt - Date.now()) / 1000)} s; ${this.readyLine()}; log ${report.logPath}`,
    );
    this.writeTargets();
    void this.syncMesh();
  }

  private remove(m: Member): void {
    const at = this.members.indexOf(m);
    if (at >= 0) this.members.splice(at, 1);
    this.opts.supervisor.forget(m.name);
  }

  /** What the pool has cost since it started (replicas paid from the moment they are asked for); undefined without pricing. */
  cost(): BurstCost | undefined {
    return this.meter && this.opts.pricing ? this.meter.cost(Date.now(), this.opts.pricing) : undefined;
  }

  private readyLine(): string {
    const { ready, desired } = this.state();
    const cost = this.cost();
    return `${ready} of ${desired} ready${cost ? `; cost so far ${formatCost(cost)}` : ""}`;
  }

  /** The readiness probe, then the reconcile (replacements after their back-off), then the mesh. */
  private async tick(): Promise<void> {
    if (this.closed || this.probing) return;
    this.probing = true;
    try {
      const probed = this.members.filter((m) => m.state === "ready" || m.state === "unready");
      const limit = this.opts.probeFailures ?? 3;
      await Promise.all(
        probed.map(async (m) => {
          const ok = await httpOk(`${m.url}/_healthz`, 800);
          if (m.state !== "ready" && m.state !== "unready") return;
          if (ok) {
            m.failures = 0;
            if (m.state === "unready") {
              m.state = "ready";
              this.opts.log(`burst pool: ${m.name} (pid ${m.pid}) answers its readiness probe again; ${this.readyLine()}`);
            }
          } else if (++m.failures >= limit && m.state === "ready") {
            m.state = "unready";
            this.opts.log(`burst pool: ${m.name} (pid ${m.pid}) failed ${limit} readiness probes: out of the mesh; ${this.readyLine()}`);
          }
        }),
      );
      this.reconcile();
      await this.syncMesh();
      const ready = this.state().ready;
      if (ready !== this.lastReady) this.writeTargets();
      this.lastReady = ready;
    } finally {
      this.probing = false;
    }
  }

  /** Tells the mesh the ready members (only when that changed, or the last push failed); one push at a time. */
  private syncMesh(): Promise<void> {
    this.meshPush = this.meshPush.then(async () => {
      if (this.closed) return;
      const urls = this.members.filter((m) => m.state === "ready").map((m) => m.url);
      const body = JSON.stringify({ upstreams: urls });
      if (body === this.meshSent) return;
      try {
        const res = await fetch(`${this.opts.meshAdmin}/upstreams/burst`, { method: "PUT", body, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(2_000) });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        this.meshSent = body;
      } catch (err) {
        this.meshSent = undefined;
        if (!this.opts.supervisor.isStopping()) this.opts.log(`burst pool: could not tell the mesh its burst upstreams (retrying each second): ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.meshPush;
  }

  /** Prometheus scrapes the live members (file_sd); the file is replaced in one rename. */
  private writeTargets(): void {
    const file = this.opts.targetsFile;
    if (!file) return;
    const targets = this.members.filter((m) => m.state !== "stopping" && m.port !== 0 && m.pid !== undefined).map((m) => `${HOST}:${m.port}`);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify([{ targets, labels: { pool: "burst" } }]));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the temp dir is being removed
    }
  }
}

/** What PUT /scale takes. */
export const SCALE_BODY = (max: number) => `a JSON object {"replicas": n} with n ${numberRequirement("integer", { min: 0, max })}`;

/** A replica count the pool can be scaled to: an integer from 0 to `max`. */
export function isReplicaCount(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && inBounds({ min: 0, max }, value);
}

const NO_STORE = { "cache-control": "no-store" };

/** `GET /scale`, `PUT /scale {"replicas": n}`, `GET /pool` and `GET /_healthz`. */
async function scaleEndpoint(req: IncomingMessage, res: ServerResponse, pool: BurstPool): Promise<void> {
  const send = (status: number, body: unknown) => sendJson(res, status, body, NO_STORE);
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/_healthz") return send(200, { status: "ok" });
  if (path === "/pool" && req.method === "GET") return send(200, { ...pool.state(), max: pool.max, members: pool.list() });
  if (path !== "/scale") return send(404, { error: `no such endpoint: ${path} (use /scale)` });
  if (pool.fault !== null) {
    req.resume();
    return send(pool.fault, { error: `scale endpoint fault injected: HTTP ${pool.fault}` });
  }
  if (req.method === "GET" || req.method === "HEAD") return send(200, pool.state());
  if (req.method !== "PUT") return sendJson(res, 405, { error: "use GET or PUT" }, { ...NO_STORE, allow: "GET, PUT" });
  const replicas = await readJsonBody(req, res, {
    limit: 4096,
    requirement: SCALE_BODY(pool.max),
    parse: (body) => {
      const value = (body as { replicas?: unknown } | null)?.replicas;
      return isReplicaCount(value, pool.max) ? value : undefined;
    },
    headers: NO_STORE,
  });
  if (replicas !== undefined) send(200, pool.scale(replicas, "PUT /scale"));
}

/**
 * The scale endpoint: `GET /scale`, `PUT /scale {"replicas": n}` (400 for a bad body), `GET /pool`
 * (the members and their states), `GET /_healthz`.
 */
export function scaleServer(pool: BurstPool): Server {
  const server = http.createServer((req, res) => {
    scaleEndpoint(req, res, pool).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" }, NO_STORE);
      else res.destroy();
    });
  });
  applyServerTimeouts(server, { keepAliveTimeoutMs: 5_000 });
  return server;
}
