import { type GcEntry, sites, windowFigures } from './allocation';

const point = (used: number, young: number): GcEntry['beforeGC'] => ({
  heapStatistics: { usedHeapSize: used },
  heapSpaceStatistics: [
    { spaceName: 'new_space', spaceUsedSize: young },
    { spaceName: 'old_space', spaceUsedSize: used - young },
  ],
});

describe('windowFigures', () => {
  it('counts allocation as growth plus what was freed, promotion from scavenges, pretenuring between', () => {
    const entries: GcEntry[] = [
      // scavenge: young 900 -> 50, old 1000 -> 1100 (100 promoted, 750 freed)
      { gcType: 'Scavenge', cost: 10, beforeGC: point(1900, 900), afterGC: point(1150, 50) },
      // full collection: old 1400 -> 600 (its shrinking is not promotion)
      { gcType: 'MarkSweepCompact', cost: 90, beforeGC: point(1450, 50), afterGC: point(650, 50) },
    ];
    // old: 1000 at the start, 1100 after the scavenge, 1400 before the full collection, 600 after, 650 at the end
    const figures = windowFigures(entries, { used: 1000, old: 1000 }, { used: 700, old: 650 });
    expect(figures.allocated).toBe(700 - 1000 + 750 + 800);
    expect(figures.promoted).toBe(100);
    expect(figures.pretenured).toBe(0 + 300 + 50);
    expect(figures.pauseMicros).toBe(100);
    expect(figures.counts).toEqual({ Scavenge: 1, MarkSweepCompact: 1 });
  });
});

describe('sites', () => {
  it('charges bytes to the innermost frame and to the innermost frame of the build on the stack', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const root = {
      callFrame: frame('(root)', ''),
      selfSize: 0,
      children: [
        {
          callFrame: frame('handler', '/b/dist/features/x.js'),
          selfSize: 10,
          children: [{ callFrame: frame('parse', '/b/node_modules/pg/lib/a.js'), selfSize: 30, children: [] }],
        },
        { callFrame: frame('tick', 'node:internal/x'), selfSize: 5, children: [] },
      ],
    };
    const { self, own } = sites(root, '/b/dist');
    expect(self.get('parse pg/lib/a.js:1')).toBe(30);
    expect(own.get('handler dist/features/x.js:1')).toBe(40);
    expect(own.get('(no gateway frame on the stack)')).toBe(5);
  });
});
