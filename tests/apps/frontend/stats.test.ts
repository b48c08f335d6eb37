/** The frontend's stats with a fake clock: the 5 s rate window and the accounting of every call. */
import { RateWindow, Stats } from "../../../apps/frontend/src/stats";

describe("RateWindow", () => {
  it("averages over the last 5 s (100 ms steps), and over the time since start before that", () => {
    const w = new RateWindow(0);
    for (let t = 0; t < 2_000; t += 10) w.add(t); // 100/s for 2 s
    expect(w.rate(2_000)).toBeCloseTo(100, 0);
    for (let t = 2_000; t < 10_000; t += 20) w.add(t); // then 50/s
    expect(w.rate(10_000)).toBeCloseTo(50, 0);
    // half the window quiet (the window moves in 100 ms steps, so 24.5..25.5)
    expect(Math.abs(w.rate(12_500) - 25)).toBeLessThanOrEqual(0.6);
    expect(w.rate(15_100)).toBe(0);
    expect(w.rate(60_000)).toBe(0);
  });
});

describe("Stats", () => {
  it("accounts for every call: sent then ok or error, or dropped (an error)", () => {
    let now = 0;
    const s = new Stats(() => now);
    s.recordSent();
    s.recordSent();
    s.recordSent();
    s.recordOutcome(200);
    s.recordOutcome(503);
    s.recordOutcome("timeout");
    s.recordDropped();
    s.recordHash("primary");
    s.recordHash("burst");
    s.recordHash("burst");
    now = 1_000;
    const snap = s.snapshot();
    expect(snap).toMatchObject({ sent: 3, ok: 1, errors: 3, dropped: 1, inFlight: 0, hashes: { primary: 1, burst: 2 } });
    expect(snap.responses).toEqual({ "200": 1, "503": 1, timeout: 1 });
    expect(snap.rate.burst).toBeCloseTo(2, 5);
  });
});
