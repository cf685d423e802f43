import { timeOrderedUuid, uuidTime } from './time-ordered-id';

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID with the RFC 9562 variant', () => {
    for (let i = 0; i < 1000; i++) expect(timeOrderedUuid()).toMatch(VERSION_7);
  });

  it('carries the millisecond it was made at in its first 48 bits', () => {
    const before = Date.now();
    const id = timeOrderedUuid();
    const after = Date.now();
    expect(uuidTime(id)).toBeGreaterThanOrEqual(before);
    expect(uuidTime(id)).toBeLessThanOrEqual(after);
    expect(uuidTime(timeOrderedUuid(0))).toBe(0);
    expect(uuidTime(timeOrderedUuid(2 ** 48 - 1))).toBe(2 ** 48 - 1);
    expect(timeOrderedUuid(0xaabbccddeeff).startsWith('aabbccdd-eeff-7')).toBe(true);
  });

  it('sorts ids of later milliseconds after earlier ones, as text and as PostgreSQL uuid compare', () => {
    const ids = [5, 1, 4, 2, 3].map((ms) => timeOrderedUuid(1_700_000_000_000 + ms));
    expect([...ids].sort().map(uuidTime)).toEqual([1, 2, 3, 4, 5].map((ms) => 1_700_000_000_000 + ms));
  });

  it('keeps 74 random bits: ids of one millisecond differ', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedUuid(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
