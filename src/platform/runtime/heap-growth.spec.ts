import { Environment } from '../config/environment.schema';
import { applyHeapGrowing, DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercentFrom } from './heap-growth';

describe('applyHeapGrowing', () => {
  it("sets V8's heap growing factor to the percent it is given", () => {
    const flags: string[] = [];
    applyHeapGrowing(25, (f) => flags.push(f));
    expect(flags).toEqual(['--heap-growing-percent=25']);
  });

  it('leaves V8 its own heuristics at 0', () => {
    const flags: string[] = [];
    applyHeapGrowing(0, (f) => flags.push(f));
    expect(flags).toEqual([]);
  });
});

describe('heapGrowingPercentFrom', () => {
  it('reads V8_HEAP_GROWING_PERCENT, with the schema default when unset', () => {
    expect(heapGrowingPercentFrom({})).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(new Environment().V8_HEAP_GROWING_PERCENT).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercentFrom({ V8_HEAP_GROWING_PERCENT: '0' })).toBe(0);
    expect(heapGrowingPercentFrom({ V8_HEAP_GROWING_PERCENT: ' 50 ' })).toBe(50);
    expect(heapGrowingPercentFrom({ V8_HEAP_GROWING_PERCENT: '1000' })).toBe(1000);
  });

  it('gives the default for what the schema refuses (start-up then stops on the configuration check)', () => {
    for (const raw of ['-5', '1001', '2.5', 'lots', '1e3']) {
      expect(heapGrowingPercentFrom({ V8_HEAP_GROWING_PERCENT: raw })).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    }
  });
});
