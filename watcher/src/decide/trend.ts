/**
 * The trend pre-warm's reading of the fast view: where the rate is, how noisy it is, and where it
 * is heading. The fast view changes once a scrape, so the readings kept in the state are taken once
 * per scrapeInterval (the latest reading at or before each scrape-spaced instant back from now):
 *
 * - the noise: the standard deviation of the fast view about its local trend, from the median
 *   absolute second difference of those points over twice the trend window (robust: a step or a
 *   ramp leaves the median alone; a straight line has none). Until there are enough points it is
 *   taken as a ninth of the threshold: a call then needs the rate a third above it.
 * - the line: a least-squares line through the points of the last trendWindow, with the standard
 *   errors of its slope and of its value at a time ahead.
 *
 * A rate counts as above a threshold only clear of its noise: by TREND_SIGMAS standard errors.
 */
import type { Policy, RatePoint } from "./types";

/** Standard errors a call must clear the threshold by (three: a rate hovering at it calls for nothing). */
export const TREND_SIGMAS = 3;
/** Second differences needed before the noise counts as measured (a median of fewer is itself too noisy). */
export const MIN_NOISE_POINTS = 12;
/** The median absolute deviation of a normal variable, in standard deviations; a second difference of white noise has sqrt(6) times its deviation. */
const MAD_PER_SD = 0.6745 * Math.sqrt(6);

/** What the trend pre-warm reads of the fast view. */
export interface Trend {
  /** the fast view now, and one scrape interval ago (undefined: no reading then) */
  readonly level: number;
  readonly previous?: number;
  /** the standard deviation of the fast view's noise, rps */
  readonly noise: number;
  /** false while the noise is the prior (a ninth of the threshold), not yet measured */
  readonly noiseMeasured: boolean;
  /** the line through the last trendWindow; undefined with fewer than 3 points */
  readonly line?: Line;
}

/** A least-squares line of rps against time (ms from now). */
export interface Line {
  /** rps per ms, and its standard error */
  readonly slope: number;
  readonly slopeError: number;
  /** the line's value `aheadMs` from now, and its standard error */
  at(aheadMs: number): { readonly value: number; readonly error: number };
}

/** The readings to keep: the new one added, those older than twice the trend window and a scrape dropped. */
export function rememberRate(rates: readonly RatePoint[], upRps: number, policy: Policy, now: number): RatePoint[] {
  const keepFrom = now - 2 * policy.trendWindow - policy.scrapeInterval;
  return [...rates.filter((r) => r.at >= keepFrom && r.at < now), { at: now, upRps }];
}

/** The fast view once per scrape interval over the last `spanMs`, oldest first. */
function perScrape(rates: readonly RatePoint[], now: number, policy: Policy, spanMs: number): RatePoint[] {
  const points: RatePoint[] = [];
  let i = rates.length - 1;
  for (let at = now; at > now - spanMs; at -= policy.scrapeInterval) {
    while (i >= 0 && rates[i].at > at) i--;
    if (i < 0) break;
    points.unshift({ at, upRps: rates[i].upRps });
  }
  return points;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The noise of the points: the median absolute second difference, scaled to a standard deviation; undefined with too few. */
function noiseOf(points: readonly RatePoint[]): number | undefined {
  const diffs: number[] = [];
  for (let i = 2; i < points.length; i++) diffs.push(Math.abs(points[i].upRps - 2 * points[i - 1].upRps + points[i - 2].upRps));
  return diffs.length >= MIN_NOISE_POINTS ? median(diffs) / MAD_PER_SD : undefined;
}

/** The least-squares line through the points, with the noise as the deviation of each point. */
function lineOf(points: readonly RatePoint[], now: number, noise: number): Line | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  const meanT = points.reduce((sum, p) => sum + (p.at - now), 0) / n;
  const meanR = points.reduce((sum, p) => sum + p.upRps, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.at - now - meanT) ** 2;
    sxy += (p.at - now - meanT) * (p.upRps - meanR);
  }
  if (sxx <= 0) return undefined;
  const slope = sxy / sxx;
  return {
    slope,
    slopeError: noise / Math.sqrt(sxx),
    at: (aheadMs) => ({ value: meanR + slope * (aheadMs - meanT), error: noise * Math.sqrt(1 / n + (aheadMs - meanT) ** 2 / sxx) }),
  };
}

/** The noise taken until it is measured, for a threshold: TREND_SIGMAS of it are a third of the threshold. */
export function priorNoise(threshold: number): number {
  return threshold / (3 * TREND_SIGMAS);
}

/** The trend of the fast view at `now`, judged against `threshold` (the rate the mode bursts above); undefined without a reading. */
export function readTrend(rates: readonly RatePoint[], policy: Policy, now: number, threshold: number): Trend | undefined {
  const points = perScrape(rates, now, policy, 2 * policy.trendWindow);
  if (points.length === 0) return undefined;
  const measured = noiseOf(points);
  const noise = measured ?? priorNoise(threshold);
  const last = points[points.length - 1];
  const previous = points.length > 1 && points[points.length - 2].at === last.at - policy.scrapeInterval ? points[points.length - 2].upRps : undefined;
  const recent = points.filter((p) => p.at > now - policy.trendWindow);
  return { level: last.upRps, previous, noise, noiseMeasured: measured !== undefined, line: lineOf(recent, now, noise) };
}

/**
 * The fast view is above `threshold` clear of its noise: by TREND_SIGMAS deviations now and, when
 * the noise is measured and not nil, one scrape ago too (among many readings, one that far out is
 * noise often enough; without noise it cannot be).
 */
export function clearlyAbove(trend: Trend, threshold: number): boolean {
  const margin = TREND_SIGMAS * trend.noise;
  if (!(trend.level - margin > threshold)) return false;
  if (!trend.noiseMeasured || trend.noise === 0) return true;
  return trend.previous !== undefined && trend.previous - margin > threshold;
}

/**
 * Where the line says the rate will be `aheadMs` from now, when it is on course to be above
 * `threshold` by then: rising by more than TREND_SIGMAS standard errors of its slope, and its value
 * then above the threshold by TREND_SIGMAS standard errors. undefined: not on course.
 */
export function onCourse(trend: Trend, threshold: number, aheadMs: number): { readonly value: number; readonly low: number } | undefined {
  const line = trend.line;
  if (!line || !(line.slope - TREND_SIGMAS * line.slopeError > 0)) return undefined;
  const ahead = line.at(aheadMs);
  const low = ahead.value - TREND_SIGMAS * ahead.error;
  return low > threshold ? { value: ahead.value, low } : undefined;
}
