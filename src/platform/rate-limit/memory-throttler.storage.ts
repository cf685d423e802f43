import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

interface Budget {
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/** Most budgets held at once (about 100 bytes each); past it the oldest windows are dropped. */
export const MAX_MEMORY_BUDGETS = 100_000;

/**
 * This instance's own counts, used only while Redis is unreachable. Same fixed-window-plus-block
 * rules as the Redis script (a window starts at a client's first hit; passing the limit blocks for
 * `blockDuration`), so a client sees the same behaviour in both modes, and bounded: at most
 * MAX_MEMORY_BUDGETS entries, expired ones swept first, then the oldest windows dropped (those
 * clients get a fresh budget, the price of not letting a flood of addresses exhaust memory).
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly budgets = new Map<string, Budget>();
  private lastSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxBudgets = MAX_MEMORY_BUDGETS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.budgets.size;
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const id = `${key}:${throttlerName}`;
    const now = this.now();
    let budget = this.budgets.get(id);
    if (!budget || budget.windowEndsAt <= now) {
      // A new window goes to the end of the map's order, so the first entries are the oldest.
      this.budgets.delete(id);
      this.makeRoom(now);
      budget = { hits: 0, windowEndsAt: now + ttl, blockedUntil: budget?.blockedUntil ?? 0 };
      this.budgets.set(id, budget);
    }
    budget.hits += 1;
    if (budget.blockedUntil <= now && budget.hits > limit) budget.blockedUntil = now + blockDuration;
    const isBlocked = budget.blockedUntil > now;
    const record: ThrottlerStorageRecord = {
      totalHits: budget.hits,
      timeToExpire: Math.ceil((budget.windowEndsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((budget.blockedUntil - now) / 1000) : 0,
    };
    return Promise.resolve(record);
  }

  clear(): void {
    this.budgets.clear();
  }

  private makeRoom(now: number): void {
    if (this.budgets.size < this.maxBudgets) return;
    // The full sweep is O(entries): at most once a second, so a flood of new addresses at the cap
    // costs O(1) per request (dropping the oldest), not a scan each.
    if (now - this.lastSweepAt >= 1000) {
      this.lastSweepAt = now;
      for (const [id, budget] of this.budgets) {
        if (budget.windowEndsAt <= now && budget.blockedUntil <= now) this.budgets.delete(id);
      }
    }
    for (const id of this.budgets.keys()) {
      if (this.budgets.size < this.maxBudgets) break;
      this.budgets.delete(id);
    }
  }
}
