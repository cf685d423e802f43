import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage (the fallback while Redis is away)', () => {
  let now = 1_000_000;
  const clock = (): number => now;

  it('counts hits in a fixed window that starts at the first hit', async () => {
    const store = new MemoryThrottlerStorage(10, clock);
    const first = await store.increment('k', 60_000, 5, 60_000, 'global');
    now += 20_000;
    const second = await store.increment('k', 60_000, 5, 60_000, 'global');
    expect([first.totalHits, second.totalHits]).toEqual([1, 2]);
    expect([first.timeToExpire, second.timeToExpire]).toEqual([60, 40]);
  });

  it('blocks past the limit for the block duration, then starts a fresh window', async () => {
    const store = new MemoryThrottlerStorage(10, clock);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await store.increment('k', 2000, 2, 2000, 'global'));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, true]);
    expect(results[2]?.timeToBlockExpire).toBe(2);

    now += 1500;
    expect((await store.increment('k', 2000, 2, 2000, 'global')).timeToBlockExpire).toBe(1);
    now += 2001;
    expect(await store.increment('k', 2000, 2, 2000, 'global')).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('keeps named limits apart for one client', async () => {
    const store = new MemoryThrottlerStorage(10, clock);
    await store.increment('k', 60_000, 1, 60_000, 'auth');
    expect((await store.increment('k', 60_000, 1, 60_000, 'auth')).isBlocked).toBe(true);
    expect((await store.increment('k', 60_000, 1, 60_000, 'global')).isBlocked).toBe(false);
  });

  it('never holds more budgets than its cap: a flood of new clients drops expired, then the oldest windows', async () => {
    const store = new MemoryThrottlerStorage(3, clock);
    for (const key of ['a', 'b', 'c', 'd', 'e']) await store.increment(key, 60_000, 1, 60_000, 'global');
    expect(store.size).toBe(3);
    // 'e' is still counted (newest); 'a' was dropped (oldest) and starts over.
    expect((await store.increment('e', 60_000, 1, 60_000, 'global')).isBlocked).toBe(true);
    expect(store.size).toBe(3);
  });
});
