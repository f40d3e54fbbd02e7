import { SCRAPE_INTERVAL_SECONDS } from './promql.js';

/**
 * Pure rules for a metrics query's time range, step and rate window.
 *
 * - range: a whole number and one unit (s, m, h, d, w), e.g. 30m, 1h, 24h, 7d; 1m to 30d; default 1h.
 * - step: the smallest "nice" step (STEP_CANDIDATES) >= range / 120, never below the 15 s scrape
 *   interval. Neighbouring candidates are at most 2x apart, so ranges of 30m and more get 60 to
 *   120 points; shorter ranges get one point per 15 s.
 * - rate window: max(step, 4 x scrape interval = 60 s). Windows of consecutive points then tile
 *   the range without gaps, and every window holds at least 4 scrapes (Prometheus' advice for rate()).
 * - end: now rounded down to a multiple of the step. Points are end - (n-1)*step ... end with
 *   n = floor(range / step), so a point's window is the step that ends at it. Aligning the end
 *   makes requests for the same range within one step identical, which lets the Prometheus client
 *   send them once (single flight + short cache); the newest point is at most one step old.
 */

export const DEFAULT_RANGE = '1h';
export const MIN_RANGE_SECONDS = 60;
export const MAX_RANGE_SECONDS = 30 * 86_400;
export const MAX_POINTS = 120;
export const MIN_RATE_WINDOW_SECONDS = 4 * SCRAPE_INTERVAL_SECONDS;
/** 15s 30s 1m 2m 3m 5m 10m 15m 30m 1h 2h 3h 6h 12h 1d: each at most twice the one before. */
export const STEP_CANDIDATES = [15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400] as const;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RANGE_FORMAT = /^(\d{1,7})([smhdw])$/;

export const RANGE_DESCRIPTION =
  'Time range ending now: a whole number and one unit (s, m, h, d or w), e.g. 30m, 1h, 24h, 7d. At least 1m, at most 30d. Default 1h.';

/** Why a range is not acceptable, or undefined when it is. */
export function rangeProblem(value: unknown): string | undefined {
  const match = typeof value === 'string' ? RANGE_FORMAT.exec(value) : null;
  if (!match) return 'range must be a duration such as 30m, 1h, 24h or 7d (a whole number followed by s, m, h, d or w)';
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  if (seconds === 0) return 'range must be greater than zero';
  if (seconds < MIN_RANGE_SECONDS) return 'range must be at least 1m';
  if (seconds > MAX_RANGE_SECONDS) return 'range must be at most 30d';
  return undefined;
}

/** Seconds in a valid range; throws RangeError on an invalid one (DTO validation runs first). */
export function rangeSeconds(range: string): number {
  const problem = rangeProblem(range);
  if (problem) throw new RangeError(problem);
  const [, amount, unit] = RANGE_FORMAT.exec(range)!;
  return Number(amount) * UNIT_SECONDS[unit!]!;
}

export function stepFor(rangeSecondsValue: number): number {
  const wanted = rangeSecondsValue / MAX_POINTS;
  return STEP_CANDIDATES.find((candidate) => candidate >= wanted) ?? STEP_CANDIDATES[STEP_CANDIDATES.length - 1];
}

export function rateWindowFor(step: number): number {
  return Math.max(step, MIN_RATE_WINDOW_SECONDS);
}

export interface QueryWindow {
  /** The range as requested (or the default). */
  range: string;
  rangeSeconds: number;
  step: number;
  /** rate() window in seconds. */
  window: number;
  /** Unix seconds of the first and last point asked for. */
  start: number;
  end: number;
}

export function planQueryWindow(range: string, nowSeconds: number): QueryWindow {
  const seconds = rangeSeconds(range);
  const step = stepFor(seconds);
  const end = Math.floor(nowSeconds / step) * step;
  const points = Math.max(1, Math.floor(seconds / step));
  return { range, rangeSeconds: seconds, step, window: rateWindowFor(step), start: end - (points - 1) * step, end };
}
