import { Backoff, RESTART } from '../../lib/cli/workers.js';

describe('Backoff', () => {
  it("doubles the command's delay from 100 ms up to 5 s, and calls the 11th restart within a minute a crash loop", () => {
    const backoff = new Backoff(RESTART);
    const delays = Array.from({ length: 11 }, (_, i) => backoff.next(1000 + i));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, undefined]);
  });

  it('forgets restarts older than the window', () => {
    const backoff = new Backoff({ firstMs: 10, maxMs: 1000, limit: 2, windowMs: 60_000 });
    expect(backoff.next(0)).toBe(10);
    expect(backoff.next(1)).toBe(20);
    expect(backoff.next(2)).toBeUndefined();
    // A minute on, the three above are out of the window: a first restart again.
    expect(backoff.next(60_002)).toBe(10);
  });
});
