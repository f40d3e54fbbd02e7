import { MAX_RANGE_SECONDS, planQueryWindow, rangeProblem, rangeSeconds, rateWindowFor, STEP_CANDIDATES, stepFor } from './range.js';

describe('range rules', () => {
  it.each([
    ['30m', 1800],
    ['1h', 3600],
    ['24h', 86_400],
    ['7d', 604_800],
    ['90s', 90],
    ['1m', 60],
    ['2w', 1_209_600],
    ['30d', 2_592_000],
    ['720h', 2_592_000],
  ])('accepts %s as %i seconds', (range, seconds) => {
    expect(rangeProblem(range)).toBeUndefined();
    expect(rangeSeconds(range)).toBe(seconds);
  });

  it.each([
    ['', 'range must be a duration'],
    ['1', 'range must be a duration'],
    ['h', 'range must be a duration'],
    ['1H', 'range must be a duration'],
    ['1.5h', 'range must be a duration'],
    ['-1h', 'range must be a duration'],
    ['1h30m', 'range must be a duration'],
    [' 1h', 'range must be a duration'],
    ['1y', 'range must be a duration'],
    ['1ms', 'range must be a duration'],
    ['99999999d', 'range must be a duration'],
    [5, 'range must be a duration'],
    [undefined, 'range must be a duration'],
    ['0h', 'range must be greater than zero'],
    ['00m', 'range must be greater than zero'],
    ['59s', 'range must be at least 1m'],
    ['31d', 'range must be at most 30d'],
    ['5w', 'range must be at most 30d'],
    ['721h', 'range must be at most 30d'],
  ])('refuses %p: %s', (range, message) => {
    expect(rangeProblem(range)).toContain(message);
    if (typeof range === 'string') expect(() => rangeSeconds(range)).toThrow(RangeError);
  });

  it.each([
    ['1m', 15, 60, 4],
    ['10m', 15, 60, 40],
    ['30m', 15, 60, 120],
    ['1h', 30, 60, 120],
    ['2h', 60, 60, 120],
    ['3h', 120, 120, 90],
    ['6h', 180, 180, 120],
    ['12h', 600, 600, 72],
    ['24h', 900, 900, 96],
    ['7d', 7200, 7200, 84],
    ['30d', 21_600, 21_600, 120],
  ])('%s: step %is, window %is, %i points', (range, step, window, points) => {
    const plan = planQueryWindow(range, 1_700_000_000);
    expect(plan).toMatchObject({ range, step, window });
    expect((plan.end - plan.start) / plan.step + 1).toBe(points);
  });

  it('gives 60 to 120 points for every whole-minute range from 30m to the maximum, never a step below 15s', () => {
    for (let seconds = 1800; seconds <= MAX_RANGE_SECONDS; seconds += seconds < 86_400 ? 60 : 3600) {
      const step = stepFor(seconds);
      const points = Math.floor(seconds / step);
      expect(step).toBeGreaterThanOrEqual(15);
      expect(points).toBeGreaterThanOrEqual(60);
      expect(points).toBeLessThanOrEqual(120);
    }
  });

  it('uses steps that grow by at most 2x', () => {
    for (let index = 1; index < STEP_CANDIDATES.length; index++) {
      expect(STEP_CANDIDATES[index]! / STEP_CANDIDATES[index - 1]!).toBeLessThanOrEqual(2);
    }
  });

  it.each([
    [15, 60],
    [30, 60],
    [60, 60],
    [120, 120],
    [7200, 7200],
  ])('rate window for step %i is %i', (step, window) => {
    expect(rateWindowFor(step)).toBe(window);
  });

  it('aligns the end to the step, so requests within one step are identical', () => {
    // 1_700_000_010 is a multiple of 30.
    const a = planQueryWindow('1h', 1_700_000_011);
    const b = planQueryWindow('1h', 1_700_000_039);
    expect(a).toEqual(b);
    expect(a.end).toBe(1_700_000_010);
    expect(planQueryWindow('1h', 1_700_000_040).end).toBe(a.end + 30);
  });

  it('covers exactly the range: the first point\'s window starts range seconds before the end', () => {
    const plan = planQueryWindow('1h', 1_700_000_000);
    expect(plan.end - plan.start + plan.step).toBe(3600);
  });
});
