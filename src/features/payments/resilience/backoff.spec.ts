import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles per retry and keeps the jitter below the doubling, so waits always grow', () => {
    expect(retryDelayMs(1, 100, 10_000, () => 0)).toBe(100);
    expect(retryDelayMs(1, 100, 10_000, () => 0.999)).toBeLessThan(retryDelayMs(2, 100, 10_000, () => 0));
    expect(retryDelayMs(2, 100, 10_000, () => 0.999)).toBeLessThan(retryDelayMs(3, 100, 10_000, () => 0));
  });

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(20, 100, 2_000, () => 0.999)).toBe(2_000);
  });
});
