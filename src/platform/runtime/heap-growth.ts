import { setFlagsFromString } from 'node:v8';

/** V8_HEAP_GROWING_PERCENT's default. */
export const DEFAULT_HEAP_GROWING_PERCENT = 25;

/**
 * Bounds how far V8 lets the old generation grow past what the last full collection left live:
 * after each one the next is due at (1 + percent / 100) x the live heap, instead of V8's own
 * factor (up to 4 x on small heaps). Under steady load the gateway promotes short-lived request
 * garbage; with V8's factor that garbage held 100-156 MiB of old generation for about 40 MiB live.
 * It is a growth factor, not a cap: when more is live (requests queueing), the limit rises with
 * it. 0 leaves V8's heuristics alone.
 *
 * V8 sizes the next limit at the end of each full collection, so the factor must be set before
 * the first one: at the very start of the process (heap-growth-at-start.ts), before the
 * application's modules load. Set later, the limit the boot's collections left (about 4 x the
 * boot heap) would hold until the old generation reached it.
 */
export function applyHeapGrowing(percent: number, setFlags: (flags: string) => void = setFlagsFromString): void {
  if (percent > 0) setFlags(`--heap-growing-percent=${Math.trunc(percent)}`);
}

/**
 * V8_HEAP_GROWING_PERCENT as the start of the process reads it, before the configuration is
 * validated: a value the schema would refuse gives the default here (the configuration check then
 * refuses to start, with its message).
 */
export function heapGrowingPercentFrom(env: Record<string, string | undefined>): number {
  const raw = env.V8_HEAP_GROWING_PERCENT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWING_PERCENT;
  return /^\d{1,4}$/.test(raw) && Number(raw) <= 1000 ? Number(raw) : DEFAULT_HEAP_GROWING_PERCENT;
}
