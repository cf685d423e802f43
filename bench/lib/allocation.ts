/**
 * The arithmetic of bench/alloc.ts and bench/lib/gc-meter.ts: bytes allocated and promoted in a
 * window from V8's per-collection heap figures, and a sampling heap profile charged to sites.
 */
interface SpaceStatistics {
  spaceName: string;
  spaceUsedSize: number;
}
interface GcPoint {
  heapStatistics: { usedHeapSize: number };
  heapSpaceStatistics: SpaceStatistics[];
}
export interface GcEntry {
  gcType: string;
  cost: number;
  beforeGC: GcPoint;
  afterGC: GcPoint;
}

const YOUNG = new Set(['new_space', 'new_large_object_space']);

function oldUsed(point: GcPoint): number {
  let sum = 0;
  for (const space of point.heapSpaceStatistics) if (!YOUNG.has(space.spaceName)) sum += space.spaceUsedSize;
  return sum;
}

/** The heap in use, all of it and outside the young generation, at one point. */
export interface HeapUse {
  used: number;
  old: number;
}

/**
 * One window's figures from its collections (`v8.GCProfiler`, in order) and the heap in use at
 * its start and end. Allocated = the heap's growth + what every collection freed. Promoted = what
 * the scavenges added to the spaces outside the young generation (only promotion adds to them
 * during a scavenge). Pretenured = what those spaces grew by between collections: objects V8
 * allocated there directly (allocation sites it pretenures, large objects, code). Pause = the
 * collections' time on the main thread, in microseconds.
 */
export function windowFigures(entries: readonly GcEntry[], start: HeapUse, end: HeapUse): Omit<GcWindow, 'profile'> {
  let freed = 0;
  let promoted = 0;
  let pretenured = 0;
  let pauseMicros = 0;
  let oldBefore = start.old;
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    freed += entry.beforeGC.heapStatistics.usedHeapSize - entry.afterGC.heapStatistics.usedHeapSize;
    pretenured += Math.max(0, oldUsed(entry.beforeGC) - oldBefore);
    if (entry.gcType === 'Scavenge') promoted += oldUsed(entry.afterGC) - oldUsed(entry.beforeGC);
    oldBefore = oldUsed(entry.afterGC);
    pauseMicros += entry.cost;
    counts[entry.gcType] = (counts[entry.gcType] ?? 0) + 1;
  }
  pretenured += Math.max(0, end.old - oldBefore);
  return { allocated: end.used - start.used + freed, promoted, pretenured, pauseMicros, counts };
}

export interface GcWindow {
  allocated: number;
  promoted: number;
  pretenured: number;
  pauseMicros: number;
  counts: Record<string, number>;
  profile?: SamplingNode;
}

export interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** A frame's file, shortened to the package (or the build) it is in. */
export function shortUrl(url: string, build: string): string {
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) return url.slice(at + 'node_modules/'.length);
  return url.startsWith(build + '/') ? `dist${url.slice(build.length)}` : url.replace(/^file:\/\//, '');
}

/**
 * Bytes by innermost frame, and by the innermost frame of the gateway's own code (the build at
 * `build`, its generated Prisma client excluded) on the stack.
 */
export function sites(root: SamplingNode, build: string): { self: Map<string, number>; own: Map<string, number> } {
  const self = new Map<string, number>();
  const own = new Map<string, number>();
  const walk = (node: SamplingNode, ownFrame: string | undefined): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${shortUrl(url, build)}:${lineNumber + 1}`;
    const mine = url.startsWith(build + '/') && !url.startsWith(build + '/generated/') ? name : ownFrame;
    if (node.selfSize > 0) {
      self.set(name, (self.get(name) ?? 0) + node.selfSize);
      const key = mine ?? '(no gateway frame on the stack)';
      own.set(key, (own.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, mine);
  };
  walk(root, undefined);
  return { self, own };
}
