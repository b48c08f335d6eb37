/**
 * The leader election's semantics (client-go's tryAcquireOrRenew, renew deadline and release) as a
 * table over an in-memory Lease with resourceVersions, then two electors running on one Lease with
 * real timers: never two leaders, a takeover after a leader stops renewing, a release handed over.
 */
import type { LeaderRecord, LeaseLock, ReadRecord } from "../../../watcher/src/election/lease-lock";
import { LeaderElector } from "../../../watcher/src/election/elector";
import { captureLog } from "../watcher-harness";

/** A Lease in memory, with the API server's optimistic concurrency: a write of a stale version is a conflict. */
class MemoryLease implements LeaseLock {
  readonly description = "Lease default/test";
  stored: { record: LeaderRecord; version: number } | null = null;
  /** every call fails (the API server is away from this candidate) */
  down = new Set<string>();
  writes: { by: string; record: LeaderRecord }[] = [];

  async get(): Promise<ReadRecord | null> {
    return this.stored ? { record: { ...this.stored.record }, resourceVersion: String(this.stored.version) } : null;
  }
  async create(record: LeaderRecord): Promise<void> {
    if (this.stored) throw new Error("already exists");
    this.stored = { record, version: 1 };
    this.writes.push({ by: record.holderIdentity, record });
  }
  async update(record: LeaderRecord, resourceVersion: string): Promise<void> {
    if (!this.stored || String(this.stored.version) !== resourceVersion) throw new Error("conflict");
    this.stored = { record, version: this.stored.version + 1 };
    this.writes.push({ by: record.holderIdentity, record });
  }
  /** The view of one candidate: fails while it is cut off. */
  seenBy(identity: string): LeaseLock {
    const gate = <T>(call: () => Promise<T>) => (this.down.has(identity) ? Promise.reject(new Error("connection refused")) : call());
    return {
      description: this.description,
      get: () => gate(() => this.get()),
      create: (r) => gate(() => this.create(r)),
      update: (r, v) => gate(() => this.update(r, v)),
    };
  }
}

const TIMINGS = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

function candidate(lease: MemoryLease, identity: string, clock: { t: number }, timings = TIMINGS) {
  const events: string[] = [];
  const elector = new LeaderElector({
    lock: lease.seenBy(identity),
    identity,
    ...timings,
    log: captureLog().log,
    now: () => clock.t,
    random: () => 0.5,
    onStartedLeading: () => void events.push("started"),
    onStoppedLeading: () => void events.push("stopped"),
  });
  return { elector, events };
}

const record = (holder: string, at: number, transitions = 0): LeaderRecord => ({ holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: at, renewTime: at, leaderTransitions: transitions });

describe("one try to take or renew the Lease (client-go's tryAcquireOrRenew)", () => {
  it.each<[string, { stored: LeaderRecord | null; seenAt?: number; at: number; changedBetween?: boolean }, { acquired: boolean; holder: string; transitions: number; acquireTime?: number }]>([
    ["no Lease: creates it, holding it", { stored: null, at: 1_000 }, { acquired: true, holder: "a", transitions: 0, acquireTime: 1_000 }],
    ["held by another, seen just now: refused", { stored: record("b", 0), at: 1_000 }, { acquired: false, holder: "b", transitions: 0 }],
    ["held by another, unchanged for 14.9 s since first seen: refused", { stored: record("b", 0), seenAt: 1_000, at: 15_900 }, { acquired: false, holder: "b", transitions: 0 }],
    ["held by another, unchanged for the lease duration since first seen: taken over, a transition", { stored: record("b", 0, 3), seenAt: 1_000, at: 16_000 }, { acquired: true, holder: "a", transitions: 4, acquireTime: 16_000 }],
    ["held by another, renewed in between: refused (the clock restarts when the record changes)", { stored: record("b", 0), seenAt: 1_000, at: 16_000, changedBetween: true }, { acquired: false, holder: "b", transitions: 0 }],
    ["released (no holder): taken at once, a transition", { stored: { ...record("", 0, 2), leaseDurationSeconds: 1 }, at: 500 }, { acquired: true, holder: "a", transitions: 3, acquireTime: 500 }],
  ])("%s", async (_what, given, expected) => {
    const lease = new MemoryLease();
    if (given.stored) lease.stored = { record: given.stored, version: 1 };
    const clock = { t: given.seenAt ?? given.at };
    const { elector } = candidate(lease, "a", clock);
    if (given.seenAt !== undefined) expect(await elector.tryAcquireOrRenew()).toBe(false);
    if (given.changedBetween) await lease.update({ ...lease.stored!.record, renewTime: 9_000 }, String(lease.stored!.version));
    clock.t = given.at;
    expect(await elector.tryAcquireOrRenew()).toBe(expected.acquired);
    expect(lease.stored!.record.holderIdentity).toBe(expected.holder);
    expect(lease.stored!.record.leaderTransitions).toBe(expected.transitions);
    if (expected.acquireTime !== undefined) expect(lease.stored!.record.acquireTime).toBe(expected.acquireTime);
    expect(elector.isLeader()).toBe(expected.holder === "a");
  });

  it("times a renewal from the try before the one that saw it (the earliest it can have been), no more than 2.2 retry periods back", async () => {
    const lease = new MemoryLease();
    lease.stored = { record: record("b", 0), version: 1 };
    const clock = { t: 1_000 };
    const { elector } = candidate(lease, "a", clock);
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    // b renews at 2.5 s; a sees it at its next try, 3 s
    await lease.update({ ...lease.stored!.record, renewTime: 2_500 }, "1");
    clock.t = 3_000;
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    // expired 15 s after a's try at 1 s (not 15 s after 3 s), whoever renewed in between
    clock.t = 15_999;
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    clock.t = 16_000;
    expect(await elector.tryAcquireOrRenew()).toBe(true);
  });

  it("renews its own Lease: renewTime moves, acquireTime and the transitions stay", async () => {
    const lease = new MemoryLease();
    const clock = { t: 1_000 };
    const { elector } = candidate(lease, "a", clock);
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    clock.t = 3_000;
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    expect(lease.stored!.record).toEqual({ holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: 1_000, renewTime: 3_000, leaderTransitions: 0 });
  });

  it("a write on a version another wrote first is a conflict: refused, and the other stays the holder", async () => {
    const lease = new MemoryLease();
    lease.stored = { record: { ...record("", 0), leaseDurationSeconds: 1 }, version: 1 };
    const clock = { t: 5_000 };
    const a = candidate(lease, "a", clock).elector;
    const b = candidate(lease, "b", clock).elector;
    // both read version 1; b writes first
    const read = lease.get.bind(lease);
    let both = 0;
    const gate = new Promise<void>((resolve) => {
      lease.get = async () => {
        const r = await read();
        if (++both === 2) resolve();
        await gate;
        return r;
      };
    });
    const [ra, rb] = [a.tryAcquireOrRenew(), b.tryAcquireOrRenew()];
    expect([await ra, await rb].filter(Boolean)).toHaveLength(1);
    expect(lease.writes).toHaveLength(1);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it("a failed read is no Lease taken, and no leader seen", async () => {
    const lease = new MemoryLease();
    lease.down.add("a");
    const { elector } = candidate(lease, "a", { t: 0 });
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    expect(elector.isLeader()).toBe(false);
    expect(elector.status()).toMatchObject({ role: "standby", holder: null, identity: "a", lease: "Lease default/test" });
  });

  it("leads only while it renewed within renewDeadline", async () => {
    const lease = new MemoryLease();
    const clock = { t: 0 };
    const { elector } = candidate(lease, "a", clock);
    await elector.tryAcquireOrRenew();
    // leading() needs the loop's own bookkeeping: run it with real timers and this clock
    elector.run();
    await waitUntil(() => elector.leading());
    clock.t = TIMINGS.renewDeadline - 1;
    expect(elector.leading()).toBe(true);
    clock.t = TIMINGS.renewDeadline;
    expect(elector.leading()).toBe(false);
    expect(elector.status().role).toBe("standby");
    await elector.stop();
  });
});

async function waitUntil(ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("two electors on one Lease, with real timers", () => {
  const FAST = { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 100 };
  const real = { get t() { return Date.now(); } } as { t: number };

  /** Samples who leads every 5 ms until stopped: the leaders at each instant. */
  function watchLeaders(electors: Record<string, LeaderElector>) {
    const overlaps: string[][] = [];
    const timer = setInterval(() => {
      const leading = Object.entries(electors).filter(([, e]) => e.leading()).map(([id]) => id);
      if (leading.length > 1) overlaps.push(leading);
    }, 5);
    return { overlaps, stop: () => clearInterval(timer) };
  }

  /** "a" runs first and leads, then "b" stands by. */
  async function leaderAndStandby() {
    const lease = new MemoryLease();
    const a = candidate(lease, "a", real, FAST);
    a.elector.run();
    await waitUntil(() => a.elector.leading());
    const b = candidate(lease, "b", real, FAST);
    b.elector.run();
    return { lease, a, b };
  }

  it("one leads; when it stops renewing it stops acting within renewDeadline, and the other leads only after leaseDuration", async () => {
    const { lease, a, b } = await leaderAndStandby();
    const watch = watchLeaders({ a: a.elector, b: b.elector });
    await new Promise((r) => setTimeout(r, 400));
    expect(b.elector.status()).toMatchObject({ role: "standby", holder: "a" });
    // a is cut off from the API server: it can renew no more
    const lastRenew = Math.max(...lease.writes.filter((w) => w.by === "a").map((w) => w.record.renewTime));
    lease.down.add("a");
    await waitUntil(() => !a.elector.leading());
    const stoppedActing = Date.now();
    await waitUntil(() => b.elector.leading());
    const tookOver = Date.now();
    watch.stop();
    expect(watch.overlaps).toEqual([]);
    expect(stoppedActing - lastRenew).toBeLessThan(FAST.renewDeadline + 150);
    expect(tookOver - lastRenew).toBeGreaterThanOrEqual(FAST.leaseDuration - 100);
    expect(a.events).toEqual(["started", "stopped"]);
    expect(b.events).toEqual(["started"]);
    expect(lease.stored!.record).toMatchObject({ holderIdentity: "b", leaderTransitions: 1 });
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it("stop() releases the Lease: the standby takes it at its next try, not a lease duration later", async () => {
    const { lease, a, b } = await leaderAndStandby();
    await new Promise((r) => setTimeout(r, 200));
    const stopped = Date.now();
    await a.elector.stop();
    expect(lease.stored!.record.holderIdentity).toBe("");
    await waitUntil(() => b.elector.leading());
    expect(Date.now() - stopped).toBeLessThan(FAST.leaseDuration / 2);
    expect(a.events).toEqual(["started", "stopped"]);
    await b.elector.stop();
  });

  it("a leader cut off for less than renewDeadline keeps leading (no transition)", async () => {
    const lease = new MemoryLease();
    const a = candidate(lease, "a", real, FAST);
    a.elector.run();
    await waitUntil(() => a.elector.leading());
    lease.down.add("a");
    await new Promise((r) => setTimeout(r, 300));
    lease.down.delete("a");
    await new Promise((r) => setTimeout(r, 300));
    expect(a.elector.leading()).toBe(true);
    expect(a.events).toEqual(["started"]);
    expect(lease.stored!.record.leaderTransitions).toBe(0);
    await a.elector.stop();
  });
});
