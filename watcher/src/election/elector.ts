/**
 * Leader election on a Lease, with client-go's semantics (tools/leaderelection):
 *
 * - A candidate takes the Lease when there is none, when it is released (no holder), or when the
 *   record it last saw has not changed for leaseDuration, timed on its own clock from when it saw
 *   it (never from the holder's renewTime: the clocks of two machines may differ). Taking it over
 *   counts a transition; every write carries the resourceVersion read, so one of two racing
 *   candidates wins and the other gets a conflict.
 * - The leader renews every retryPeriod. When it has not renewed for renewDeadline (shorter than
 *   leaseDuration), it stops leading before anyone else may start: leading() is false from then on,
 *   and onStoppedLeading runs. It then stands again as a candidate (a renewal of its own record,
 *   still unexpired, wins at once).
 * - stop() releases a held Lease (no holder, 1 s), so a standby takes over at its next try.
 *
 * Two differences, both making a takeover after a leader's death take no more than leaseDuration
 * from its last renewal: a standby times a record from the try before the one that saw it change
 * (the earliest the holder can have renewed), not from the try that saw it; and it tries every
 * retryPeriod (jittered by up to 20%) and also right when that record expires. Two leaders still
 * never act at once: a leader stops at renewDeadline after its last renewal, and a standby takes over
 * no sooner than leaseDuration - 1.2 × retryPeriod after it, which is later (the settings require
 * renewDeadline + 1.2 × retryPeriod < leaseDuration... see checkLeaseTimings).
 */
import type { Logger } from "@istio-burst/common";
import { LEASE_JITTER, type ElectionStatus } from "@istio-burst/contract";
import type { LeaderRecord, LeaseLock, ReadRecord } from "./lease-lock";

export interface ElectionTimings {
  /** ms */
  readonly leaseDuration: number;
  /** ms */
  readonly renewDeadline: number;
  /** ms */
  readonly retryPeriod: number;
}

export interface ElectorOptions extends ElectionTimings {
  readonly lock: LeaseLock;
  readonly identity: string;
  readonly log: Logger;
  /** Runs when this candidate starts leading; it may act until leading() turns false. */
  readonly onStartedLeading: () => void | Promise<void>;
  /** Runs when it stops leading (the renewal deadline passed, or stop()). */
  readonly onStoppedLeading: () => void | Promise<void>;
  /** Runs when the holder seen changes ("" when released). */
  readonly onNewLeader?: (identity: string) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

export class LeaderElector {
  private observed: ReadRecord | undefined;
  private observedJson = "";
  /** when the record last changed, as far as this candidate can tell: the try before the one that saw it change (its own clock) */
  private observedAt = 0;
  /** when the last try began */
  private lastTryAt: number | undefined;
  /** when this candidate last wrote its own record (acquired or renewed) */
  private renewedAt: number | undefined;
  private leadingNow = false;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ElectorOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** The record seen names this candidate as the holder. */
  isLeader(): boolean {
    return this.observed?.record.holderIdentity === this.opts.identity;
  }

  /** This candidate leads and may act: it holds the Lease and renewed it within renewDeadline. */
  leading(): boolean {
    return this.leadingNow && this.isLeader() && this.renewedAt !== undefined && this.now() - this.renewedAt < this.opts.renewDeadline;
  }

  status(): ElectionStatus {
    return {
      lease: this.opts.lock.description,
      identity: this.opts.identity,
      role: this.leading() ? "leader" : "standby",
      holder: this.observed ? this.observed.record.holderIdentity : null,
      transitions: this.observed ? this.observed.record.leaderTransitions : null,
      leaseDurationMs: this.opts.leaseDuration,
    };
  }

  /**
   * One try to take or renew the Lease (client-go's tryAcquireOrRenew): true when this candidate holds
   * it afterwards. A failed read or write is false; a Lease held by another, not yet expired, is false.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const previousTry = this.lastTryAt;
    this.lastTryAt = now;
    const mine = { holderIdentity: this.opts.identity, leaseDurationSeconds: Math.ceil(this.opts.leaseDuration / 1000), acquireTime: now, renewTime: now };
    let current: ReadRecord | null;
    try {
      current = await this.opts.lock.get();
      if (current === null) {
        const record: LeaderRecord = { ...mine, leaderTransitions: 0 };
        await this.opts.lock.create(record);
        this.see({ record, resourceVersion: "" }, now);
        return true;
      }
    } catch (err) {
      this.opts.log.debug({ err: errText(err), lease: this.opts.lock.description }, "cannot read or create the Lease");
      return false;
    }
    this.see(current, now, previousTry);
    const old = current.record;
    if (old.holderIdentity !== "" && this.validAt(now) && !this.isLeader()) return false;
    const record: LeaderRecord = this.isLeader()
      ? { ...mine, acquireTime: old.acquireTime, leaderTransitions: old.leaderTransitions }
      : { ...mine, leaderTransitions: old.leaderTransitions + 1 };
    try {
      await this.opts.lock.update(record, current.resourceVersion);
    } catch (err) {
      this.opts.log.debug({ err: errText(err), lease: this.opts.lock.description }, "cannot update the Lease");
      return false;
    }
    this.see({ record, resourceVersion: "" }, now);
    return true;
  }

  /**
   * Takes note of the record read (or written); the clock of the Lease restarts when it changed, from
   * the earliest time it can have changed: the previous try (`since`), but no earlier than a jittered
   * retry and a try ago; now for a first read and for this candidate's own writes.
   */
  private see(read: ReadRecord, now: number, since?: number): void {
    const json = JSON.stringify(read.record);
    const before = this.observed?.record.holderIdentity;
    this.observed = read;
    if (json !== this.observedJson) {
      this.observedJson = json;
      // never more than a jittered retry and a try back: a standby held up longer times it from later
      const earliest = now - (1 + LEASE_JITTER) * this.opts.retryPeriod;
      this.observedAt = since !== undefined && before !== undefined ? Math.max(since, earliest) : now;
    }
    if (read.record.holderIdentity !== before) this.opts.onNewLeader?.(read.record.holderIdentity);
  }

  /** The record seen has not expired: it changed less than its lease duration ago. */
  private validAt(now: number): boolean {
    const seconds = this.observed?.record.leaseDurationSeconds ?? 0;
    return this.observedAt + seconds * 1000 > now;
  }

  /** Starts standing for leader (and leading when elected) until stop(). */
  run(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((err: unknown) => this.opts.log.error({ err: errText(err) }, "leader election stopped"));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (!(await this.bounded(this.opts.retryPeriod))) {
        await this.sleep(this.untilNextTry());
        continue;
      }
      this.renewedAt = this.now();
      this.leadingNow = true;
      this.opts.log.info({ identity: this.opts.identity, lease: this.opts.lock.description, transitions: this.observed?.record.leaderTransitions }, "leading: this watcher holds the Lease");
      await this.opts.onStartedLeading();
      await this.renewWhileLeading();
      this.leadingNow = false;
      await this.opts.onStoppedLeading();
    }
  }

  /** Renews every retryPeriod; returns when the renewal deadline passed or stop() was called. */
  private async renewWhileLeading(): Promise<void> {
    while (this.running) {
      await this.sleep(this.opts.retryPeriod);
      if (!this.running) return;
      const left = this.opts.renewDeadline - (this.now() - (this.renewedAt ?? 0));
      if (left > 0 && (await this.bounded(left))) {
        this.renewedAt = this.now();
        continue;
      }
      if (this.now() - (this.renewedAt ?? 0) >= this.opts.renewDeadline) {
        this.opts.log.warn({ identity: this.opts.identity, lease: this.opts.lock.description, renewDeadlineMs: this.opts.renewDeadline }, "lost the Lease: not renewed within renewDeadline; stopped acting");
        return;
      }
    }
  }

  /** A try that takes longer than `ms` counts as failed. */
  private async bounded(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.tryAcquireOrRenew(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A standby's wait: retryPeriod jittered by up to 20%, and no later than just after the record seen expires. */
  private untilNextTry(): number {
    const jittered = this.opts.retryPeriod * (1 + (LEASE_JITTER - 1) * this.random());
    const holder = this.observed?.record.holderIdentity ?? "";
    if (holder === "" || holder === this.opts.identity) return jittered;
    const expiresIn = this.observedAt + (this.observed?.record.leaseDurationSeconds ?? 0) * 1000 - this.now() + 10;
    return Math.max(0, Math.min(jittered, expiresIn));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Stops standing (and leading, after onStoppedLeading), releasing the Lease when this candidate holds it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loopDone;
    if (this.isLeader()) await this.release();
  }

  /** client-go's release: no holder, a lease of 1 s, the transitions kept. */
  private async release(): Promise<void> {
    try {
      const current = await this.opts.lock.get();
      if (current?.record.holderIdentity !== this.opts.identity) return;
      const now = this.now();
      await this.opts.lock.update({ holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaderTransitions: current.record.leaderTransitions }, current.resourceVersion);
      this.observed = undefined;
      this.opts.log.info({ identity: this.opts.identity, lease: this.opts.lock.description }, "released the Lease");
    } catch (err) {
      this.opts.log.warn({ err: errText(err), lease: this.opts.lock.description }, "cannot release the Lease; a standby takes it once it expires");
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
