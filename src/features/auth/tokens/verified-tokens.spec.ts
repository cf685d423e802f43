import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  it('returns what was stored until its expiry second, then forgets it', () => {
    const tokens = new VerifiedTokens<{ exp: number; sub: string }>(4);
    const claims = { exp: 100, sub: 'a' };
    tokens.add('t1', claims);
    expect(tokens.get('t1', 99)).toBe(claims);
    expect(tokens.get('T1', 99)).toBeUndefined();
    expect(tokens.get('t1', 100)).toBeUndefined();
    expect(tokens.size).toBe(0);
    expect(tokens.get('t1', 50)).toBeUndefined();
  });

  it('holds at most its capacity, evicting the oldest first', () => {
    const tokens = new VerifiedTokens<{ exp: number }>(3);
    for (let i = 0; i < 10; i++) tokens.add(`t${i}`, { exp: 1000 });
    expect(tokens.size).toBe(3);
    expect(['t6', 't7', 't8', 't9'].map((t) => tokens.get(t, 0) !== undefined)).toEqual([false, true, true, true]);
    // Storing a token already held evicts nothing.
    tokens.add('t9', { exp: 2000 });
    expect(tokens.size).toBe(3);
    expect(tokens.get('t7', 0)).toBeDefined();
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new VerifiedTokens(capacity)).toThrow(/capacity/);
  });
});
