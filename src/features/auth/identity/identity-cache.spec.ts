import { Identity, IdentityCache } from './identity-cache';

const identity = (id: string, overrides: Partial<Identity> = {}): Identity => ({
  id,
  email: `${id}@example.test`,
  role: 'user',
  disabled: false,
  sessionVersion: 0,
  ...overrides,
});

describe('IdentityCache', () => {
  let now = 0;
  const cache = (ttlMs = 1000, max = 3): IdentityCache => new IdentityCache(ttlMs, max, () => now);
  beforeEach(() => (now = 0));

  it('answers an entry until it is as old as the TTL, then forgets it', () => {
    const c = cache();
    c.set(identity('a'), c.generation);
    now = 999;
    expect(c.get('a')?.id).toBe('a');
    now = 1000;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('holds at most maxEntries, evicting the least recently used', () => {
    const c = cache(1000, 2);
    c.set(identity('a'), c.generation);
    c.set(identity('b'), c.generation);
    expect(c.get('a')).toBeDefined(); // a is now more recent than b
    c.set(identity('c'), c.generation);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
  });

  it('does not store a read that started before an invalidation (of any user)', () => {
    const c = cache();
    const before = c.generation;
    c.delete('someone-else');
    c.set(identity('a'), before);
    expect(c.get('a')).toBeUndefined();
    c.set(identity('a'), c.generation);
    expect(c.get('a')).toBeDefined();
  });

  it('drops one entry on delete and every entry on clear', () => {
    const c = cache();
    c.set(identity('a'), c.generation);
    c.set(identity('b'), c.generation);
    c.delete('a');
    expect([c.get('a'), c.get('b')?.id]).toEqual([undefined, 'b']);
    c.clear();
    expect(c.size).toBe(0);
  });

  it('stores nothing when the TTL is 0 (disabled)', () => {
    const c = cache(0);
    c.set(identity('a'), c.generation);
    expect(c.enabled).toBe(false);
    expect(c.size).toBe(0);
    expect(c.get('a')).toBeUndefined();
  });
});
