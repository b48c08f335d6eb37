/**
 * Prometheus's `rate()` over scraped counter samples, as Prometheus computes it (extrapolatedRate in
 * promql/functions.go): the increase between the first and last sample in the window, extrapolated
 * towards the window's edges (by at most half a scrape interval past a sample, and never below zero),
 * divided by the window. Fewer than two samples in the window give no result.
 */
export interface CounterSample {
  t: number; // seconds
  v: number;
}

export function promRate(samples: readonly CounterSample[], evalT: number, windowS: number): number | undefined {
  const start = evalT - windowS;
  const inWindow = samples.filter((s) => s.t > start && s.t <= evalT);
  if (inWindow.length < 2) return undefined;
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  let increase = 0;
  for (let i = 1; i < inWindow.length; i++) {
    const d = inWindow[i].v - inWindow[i - 1].v;
    increase += d >= 0 ? d : inWindow[i].v; // counter reset
  }
  const sampled = last.t - first.t;
  const avgStep = sampled / (inWindow.length - 1);
  let toStart = first.t - start;
  let toEnd = evalT - last.t;
  const threshold = avgStep * 1.1;
  if (toStart >= threshold) toStart = avgStep / 2;
  if (toEnd >= threshold) toEnd = avgStep / 2;
  if (increase > 0 && first.v >= 0) {
    const toZero = sampled * (first.v / increase);
    if (toZero < toStart) toStart = toZero;
  }
  return (increase * ((sampled + toStart + toEnd) / sampled)) / windowS;
}

/**
 * Prometheus's `irate()`: the per-second rate between the last two samples in the window (a counter
 * reset counts the last value as the increase). Fewer than two samples give no result.
 */
export function promIrate(samples: readonly CounterSample[], evalT: number, windowS: number): number | undefined {
  const inWindow = samples.filter((s) => s.t > evalT - windowS && s.t <= evalT);
  if (inWindow.length < 2) return undefined;
  const [prev, last] = inWindow.slice(-2);
  const d = last.v - prev.v;
  return (d >= 0 ? d : last.v) / (last.t - prev.t);
}
