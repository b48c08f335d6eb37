/** The trend pre-warm's reading of the fast view (watcher/src/decide/trend.ts): noise, line, and the two calls. */
import { clearlyAbove, onCourse, readTrend, rememberRate } from "../../watcher/src/decide/trend";
import type { RatePoint } from "../../watcher/src/lib";
import { policy } from "./decide-helpers";

/** 1 s scrapes, a 10 s trend window (the noise over 20 s), band 15..10. */
const P = policy({ prewarm: "trend", scrapeInterval: 1_000, trendWindow: 10_000 });
const T = 1_000_000;

/** Readings one a second ending at T, from oldest to newest. */
function readings(values: number[], everyMs = 1_000): RatePoint[] {
  return values.map((upRps, i) => ({ at: T - (values.length - 1 - i) * everyMs, upRps }));
}

describe("readTrend", () => {
  it("measures no noise on a straight line, and its slope", () => {
    const trend = readTrend(readings(Array.from({ length: 21 }, (_, i) => 5 + 0.5 * i)), P, T, 15)!;
    expect(trend).toMatchObject({ level: 15, previous: 14.5, noise: 0, noiseMeasured: true });
    expect(trend.line!.slope * 1_000).toBeCloseTo(0.5, 9);
    expect(trend.line!.at(4_000).value).toBeCloseTo(17, 9);
  });

  it("measures the noise of a wobbling rate, robust to one step", () => {
    const wobble = Array.from({ length: 21 }, (_, i) => 10 + (i % 2 ? 1 : -1));
    const noisy = readTrend(readings(wobble), P, T, 15)!;
    // second differences of ±1 alternation are ±4: median 4 / (0.6745 × √6)
    expect(noisy.noise).toBeCloseTo(4 / (0.6745 * Math.sqrt(6)), 9);
    const stepped = readTrend(readings([...Array(15).fill(5), ...Array(6).fill(25)]), P, T, 15)!;
    expect(stepped.noise).toBe(0);
  });

  it("takes a ninth of the threshold as the noise until there are enough readings, and reads one a scrape", () => {
    const young = readTrend(readings([10, 11, 12]), P, T, 15)!;
    expect(young).toMatchObject({ noise: 15 / 9, noiseMeasured: false });
    expect(readTrend(readings([10, 11, 12]), P, T, 27)!.noise).toBe(3);
    // polls four times a scrape: the same reading four times is one point a scrape
    const polled = readings(Array.from({ length: 81 }, (_, i) => 5 + 0.5 * Math.floor(i / 4)), 250);
    const trend = readTrend(polled, P, T, 15)!;
    expect(trend.noise).toBe(0);
    expect(trend.line!.slope * 1_000).toBeCloseTo(0.5, 9);
  });

  it("has no line with fewer than three readings, and nothing without one", () => {
    expect(readTrend(readings([12, 13]), P, T, 15)!.line).toBeUndefined();
    expect(readTrend([], P, T, 15)).toBeUndefined();
  });
});

describe("clearlyAbove and onCourse", () => {
  const line = (values: number[]) => readTrend(readings(values), P, T, 15)!;

  it("a level clear of the noise, now and a scrape ago once it is measured", () => {
    const wobble = Array.from({ length: 20 }, (_, i) => 15 + (i % 2 ? 1 : -1));
    const noise = line([...wobble, 30]).noise;
    expect(3 * noise).toBeGreaterThan(4);
    expect(clearlyAbove(line([...wobble, 30]), 15)).toBe(false); // one reading out
    expect(clearlyAbove(line([...wobble.slice(1), 30, 30]), 15)).toBe(true);
    expect(clearlyAbove(line([...wobble, 16]), 15)).toBe(false);
  });

  it("on course: a rising line whose value ahead clears the threshold", () => {
    const rising = line(Array.from({ length: 21 }, (_, i) => 5 + 0.5 * i)); // 15 now, +0.5 a second
    expect(onCourse(rising, 16, 5_000)).toEqual({ value: 17.5, low: 17.5 });
    expect(onCourse(rising, 18, 5_000)).toBeUndefined();
    expect(onCourse(line(Array(21).fill(14)), 15, 60_000)).toBeUndefined();
    const falling = line(Array.from({ length: 21 }, (_, i) => 25 - 0.5 * i));
    expect(onCourse(falling, 10, 5_000)).toBeUndefined();
  });

  it("not on course when the rise is within the noise", () => {
    const wobble = Array.from({ length: 21 }, (_, i) => 12 + 0.05 * i + [-1, 1, 0, -1.5, 1.5][i % 5]);
    expect(onCourse(line(wobble), 12.5, 60_000)).toBeUndefined();
  });
});

describe("rememberRate", () => {
  it("keeps two trend windows and a scrape of readings", () => {
    let rates: RatePoint[] = [];
    for (let i = 0; i < 40; i++) rates = rememberRate(rates, i, P, T + i * 1_000);
    expect(rates[0].at).toBe(T + 39_000 - 21_000);
    expect(rates.at(-1)).toEqual({ at: T + 39_000, upRps: 39 });
  });
});
