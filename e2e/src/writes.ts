/**
 * Who wrote the weights and the burst replicas, and who held the watchers' Lease, over time: the
 * VirtualService and the Lease in the primary and the burst worker Deployment, read every 250 ms. The
 * writer of a change is the field manager that owns the field after it (the VirtualService's
 * `spec.http`, the Deployment's `spec.replicas`): each watcher writes as `istio-burst-watcher/<pod>`.
 * A scale to 0 leaves no owner of `spec.replicas`; its writer is the one the watcher's Event names.
 * A read that fails (an API server away) is skipped; the next one catches up.
 *
 * A change is stamped when a read sees it, up to a read's time plus 250 ms after it is made; the three
 * objects are read side by side, and each stamped as its read returns. So a window of time that the
 * suite opens must come after `caughtUp()`, or it may hold a write made just before it.
 */
import { NAMES } from "../../packages/contract/src";
import type { Kube } from "../../packages/tooling/src/kube";
import { readWorkerVirtualService, weightsLine, weightsOf } from "./worker-route";

export interface Write {
  /** ms since the epoch, when the recorder saw it */
  readonly at: number;
  readonly what: "weights" | "replicas";
  readonly value: string;
  /** the field manager owning the field after the change */
  readonly writer: string;
}

export interface Holding {
  readonly at: number;
  readonly holder: string;
}

interface Managed {
  manager?: string;
  fieldsV1?: unknown;
}

/** The watcher's field manager owning `path` (e.g. ["f:spec", "f:http"]) among the object's managedFields. */
export function ownerOf(managedFields: Managed[] | undefined, path: string[]): string {
  const owns = (fields: unknown) => path.reduce<unknown>((at, key) => (at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), fields) !== undefined;
  const owners = (managedFields ?? []).filter((m) => owns(m.fieldsV1)).map((m) => m.manager ?? "?");
  // a watcher's write takes the field over; Pulumi may share it where it set the same value
  const watchers = owners.filter((o) => o.startsWith("istio-burst-watcher"));
  return watchers.join(",") || `(no watcher among ${JSON.stringify(managedFields ?? [])})`;
}

export class WriteRecorder {
  readonly writes: Write[] = [];
  readonly holders: Holding[] = [];
  private last: Record<string, string> = {};
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  /** reads begun, and those waiting for a read that begins after they asked */
  private begun = 0;
  private waiting: { after: number; done: () => void }[] = [];

  constructor(
    private readonly primary: Kube,
    private readonly burst: Kube,
    private readonly namespace: string,
  ) {}

  start(): void {
    const tick = () => {
      const round = ++this.begun;
      this.polling = this.poll().finally(() => {
        const ready = this.waiting.filter((w) => w.after < round);
        this.waiting = this.waiting.filter((w) => w.after >= round);
        for (const w of ready) w.done();
        if (this.timer) this.timer = setTimeout(tick, 250);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    if (this.waiting.length === 0) return;
    await this.poll();
    for (const w of this.waiting.splice(0)) w.done();
  }

  /**
   * Resolves after a whole read that began after this call: every change made before the call is then
   * in `writes`, stamped before this resolves. A window that starts after it (`from = Date.now()`) holds
   * no write made before it, however late the last read was.
   */
  async caughtUp(): Promise<void> {
    if (this.timer) await new Promise<void>((done) => this.waiting.push({ after: this.begun, done }));
    else await this.polling.then(() => this.poll());
    // and a window opened now starts after the last stamp, not in the same millisecond
    const last = Math.max(0, ...this.writes.map((w) => w.at), ...this.holders.map((h) => h.at));
    while (Date.now() <= last) await new Promise((r) => setTimeout(r, 1));
  }

  /** The Lease's holder at `at` (the last holding seen before it). */
  holderAt(at: number): string | undefined {
    return [...this.holders].reverse().find((h) => h.at <= at)?.holder;
  }

  /** The writes between two times. */
  between(from: number, to: number): Write[] {
    return this.writes.filter((w) => w.at >= from && w.at <= to);
  }

  /** Writes whose writer was not the Lease's holder when they were seen. */
  notByLeader(): Write[] {
    return this.writes.filter((w) => w.writer !== `istio-burst-watcher/${this.holderAt(w.at) ?? ""}`);
  }

  private async poll(): Promise<void> {
    await Promise.all([this.readWeights(), this.readReplicas(), this.readLease()].map((p) => p.catch(() => undefined)));
  }

  private seen(key: string, value: string): boolean {
    const changed = this.last[key] !== undefined && this.last[key] !== value;
    this.last[key] = value;
    return changed;
  }

  private async readWeights(): Promise<void> {
    const vs = await readWorkerVirtualService(this.primary, this.namespace);
    const value = weightsLine(weightsOf(vs));
    if (this.seen("weights", value)) this.writes.push({ at: Date.now(), what: "weights", value, writer: ownerOf(vs.metadata.managedFields, ["f:spec", "f:http"]) });
  }

  private async readReplicas(): Promise<void> {
    const d = await this.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: this.namespace });
    const value = String(d.spec?.replicas ?? 0);
    if (!this.seen("replicas", value)) return;
    const at = Date.now();
    // A scale to 0 through the scale subresource leaves no owner (the Scale omits `replicas: 0`): then
    // the watcher's Event for that request names its writer (reportingInstance).
    const owner = value === "0" ? await this.scaledDownBy() : ownerOf((d.metadata?.managedFields ?? []) as Managed[], ["f:spec", "f:replicas"]);
    this.writes.push({ at, what: "replicas", value, writer: owner });
  }

  /** The writer the last BurstPoolScaledDown Event to 0 names (`istio-burst-watcher/<reportingInstance>`). */
  private async scaledDownBy(): Promise<string> {
    const events = (await this.primary.core.listNamespacedEvent({ namespace: this.namespace })).items.filter((e) => e.reason === "BurstPoolScaledDown" && / -> 0: /.test(e.message ?? ""));
    const time = (e: (typeof events)[number]) => new Date((e.lastTimestamp ?? e.eventTime ?? 0) as string | Date).getTime();
    const last = events.sort((a, b) => time(a) - time(b)).at(-1);
    return last ? `istio-burst-watcher/${last.reportingInstance}` : "(no watcher's Event for the scale to 0)";
  }

  private async readLease(): Promise<void> {
    const coordination = this.primary.config.makeApiClient(this.primary.lib.CoordinationV1Api);
    const lease = await coordination.readNamespacedLease({ name: NAMES.watcherLease, namespace: this.namespace });
    const holder = lease.spec?.holderIdentity ?? "";
    if (this.last.holder !== holder) this.holders.push({ at: Date.now(), holder });
    this.last.holder = holder;
  }
}
