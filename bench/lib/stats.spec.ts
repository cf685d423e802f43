import { latencySummary, median, quantile, ratioRange, round, spread } from './stats';

describe('bench stats', () => {
  it('takes the median of the finite values, the mean of the middle two for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, NaN, 1, Infinity])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('takes quantiles by nearest rank, without reordering the samples it is given', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(quantile(samples, 0.5)).toBe(50);
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantile(samples, 1)).toBe(100);
    expect(quantile(samples, 0)).toBe(1);
    expect(samples[0]).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('rounds to the given digits and leaves non-finite values alone', () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(1.23456, 3)).toBe(1.235);
    expect(round(NaN)).toBeNaN();
  });

  it('summarises latencies as count, p50, p99 and max', () => {
    expect(latencySummary([5, 1, 3])).toEqual({ count: 3, p50: 3, p99: 5, max: 5 });
    const none = latencySummary([]);
    expect(none.count).toBe(0);
    expect(none.p99).toBeNaN();
  });

  it('computes ratios per round and reports their median and range', () => {
    const runs = {
      a: [{ requestsPerSecond: 60 }, { requestsPerSecond: 80 }, { requestsPerSecond: 90 }],
      b: [{ requestsPerSecond: 100 }, { requestsPerSecond: 100 }, { requestsPerSecond: 100 }],
    };
    expect(ratioRange(runs, 'a', 'b')).toEqual({ median: 0.8, min: 0.6, max: 0.9 });
    // By another figure, e.g. CPU per request; a missing figure drops that round.
    const cpu = {
      a: [
        { requestsPerSecond: 1, cpu: 50 },
        { requestsPerSecond: 1, cpu: NaN },
      ],
      b: [
        { requestsPerSecond: 1, cpu: 100 },
        { requestsPerSecond: 1, cpu: 100 },
      ],
    };
    expect(ratioRange(cpu, 'a', 'b', (run) => run.cpu)).toEqual({ median: 0.5, min: 0.5, max: 0.5 });
  });

  it('spreads per-round figures as median and min-max, leaving out the ones not measured', () => {
    expect(spread([12, 30, NaN, 18])).toEqual({ median: 18, min: 12, max: 30 });
    expect(spread([NaN])).toEqual({ median: NaN, min: NaN, max: NaN });
  });
});
