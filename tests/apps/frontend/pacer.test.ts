/** The frontend's pacer with a fake clock: its schedule. */
import { Pacer } from "../../../apps/frontend/src/pacer";

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
