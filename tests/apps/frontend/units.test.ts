/** The frontend's pure parts with a fake clock: the pacer's schedule and the 5 s rate window. */
import { parseFreq } from "../../../apps/frontend/src/config";
import { Pacer } from "../../../apps/frontend/src/pacer";
import { RateWindow, Stats } from "../../../apps/frontend/src/stats";

function fakePacer() {
  let now = 1_000;
  let fired = 0;
  const pacer = new Pacer(() => fired++, 10, () => now);
  return {
    pacer,
    fired: () => fired,
    /** Advances the clock by `ms` in ticks of `step` ms, ticking after each. */
    run(ms: number, step = 10) {
      for (let t = 0; t < ms; t += step) {
        now += Math.min(step, ms - t);
        pacer.tick();
      }
    },
  };
}

describe("Pacer", () => {
  afterEach(() => jest.useRealTimers());

  it.each([
    [50, 10],
    [200, 10],
    [5000, 10],
    [200, 37], // ticks coarser and unaligned: the count still follows elapsed time
    [3, 10],
    [0.5, 10],
  ])("fires floor(elapsed × %d/s) calls with %d ms ticks", (freq, step) => {
    const p = fakePacer();
    p.pacer.set(freq);
    p.run(4_000, step);
    expect(p.fired()).toBe(Math.floor(4 * freq));
    p.pacer.stop();
  });

  it("fires nothing at 0, and nothing after being set to 0", () => {
    const p = fakePacer();
    p.pacer.set(0);
    p.run(2_000);
    expect(p.fired()).toBe(0);
    p.pacer.set(100);
    p.run(1_000);
    expect(p.fired()).toBe(100);
    p.pacer.set(0);
    p.run(5_000);
    expect(p.fired()).toBe(100);
  });

  it("catches up after a stalled event loop instead of losing calls", () => {
    const p = fakePacer();
    p.pacer.set(100);
    p.run(500);
    p.run(1_000, 1_000); // one late tick
    p.run(500);
    expect(p.fired()).toBe(200);
    p.pacer.stop();
  });

  it("fires the calls due at the old rate when the rate changes between ticks", () => {
    let now = 0;
    let fired = 0;
    const pacer = new Pacer(() => fired++, 10, () => now);
    pacer.set(100);
    now = 995; // no tick ran since the start
    pacer.set(0);
    expect(fired).toBe(99);
  });

  it("restarts the schedule when the rate changes", () => {
    const p = fakePacer();
    p.pacer.set(100);
    p.run(1_005);
    expect(p.fired()).toBe(100);
    p.pacer.set(10);
    p.run(1_000);
    expect(p.fired()).toBe(110);
    p.pacer.stop();
  });

  it("refuses a negative or non-finite rate", () => {
    const p = fakePacer();
    expect(() => p.pacer.set(-1)).toThrow(RangeError);
    expect(() => p.pacer.set(Number.NaN)).toThrow(RangeError);
    expect(() => p.pacer.set(Infinity)).toThrow(RangeError);
  });

  it("runs on its own timer", () => {
    jest.useFakeTimers();
    let now = 0;
    let fired = 0;
    const pacer = new Pacer(() => fired++, 10, () => now);
    pacer.set(250);
    for (let i = 0; i < 200; i++) {
      now += 10;
      jest.advanceTimersByTime(10);
    }
    expect(fired).toBe(500);
    pacer.stop();
    now += 1_000;
    jest.advanceTimersByTime(1_000);
    expect(fired).toBe(500);
  });
});

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

describe("parseFreq", () => {
  it.each([0, 0.5, 1, 4999.5, 5000])("accepts %p", (v) => expect(parseFreq(v, 5000)).toEqual({ freq: v }));
  it.each([-1, -0.001, 5000.1, Number.NaN, Infinity, -Infinity, "5", "abc", null, undefined, true, [5], { n: 5 }])("refuses %p", (v) =>
    expect(parseFreq(v, 5000)).toEqual({ error: expect.stringMatching(/freq/) }),
  );
});
