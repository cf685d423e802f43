import { randomBytes, timingSafeEqual } from 'node:crypto';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});
import {
  candidateHashes,
  generateRefreshToken,
  hashesEqual,
  hashRefreshToken,
  REFRESH_TOKEN_PATTERN,
} from './refresh-token-hash';

const pepper = (): string => randomBytes(32).toString('base64url');

describe('refresh-token hashing [gate:1.2.8]', () => {
  it('generates opaque 256-bit base64url tokens that are all different', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateRefreshToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(token).toMatch(REFRESH_TOKEN_PATTERN);
    }
  });

  it('draws fresh bytes for every token across refills of its random pool', () => {
    // 1000 tokens span several refills of the 128-token pool: no token repeats, none is the zero
    // bytes a handed-out slice is wiped to, and no two share a byte string at any offset.
    const tokens = Array.from({ length: 1000 }, generateRefreshToken);
    const zero = Buffer.alloc(32).toString('base64url');
    expect(tokens).not.toContain(zero);
    const halves = new Set(tokens.flatMap((t) => [t.slice(0, 21), t.slice(21)]));
    expect(halves.size).toBe(2000);
    // Bits are balanced: about half of the 256,000 bits are set.
    let ones = 0;
    for (const t of tokens)
      for (const byte of Buffer.from(t, 'base64url')) ones += byte.toString(2).split('1').length - 1;
    expect(ones / (tokens.length * 256)).toBeGreaterThan(0.49);
    expect(ones / (tokens.length * 256)).toBeLessThan(0.51);
  });

  it('is deterministic for one pepper [gate:1.2.4]', () => {
    const p = pepper();
    const token = generateRefreshToken();
    expect(hashRefreshToken(token, p)).toBe(hashRefreshToken(token, p));
    expect(hashRefreshToken(token, p)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs between peppers and between tokens', () => {
    const token = generateRefreshToken();
    expect(hashRefreshToken(token, pepper())).not.toBe(hashRefreshToken(token, pepper()));
    const p = pepper();
    expect(hashRefreshToken(token, p)).not.toBe(hashRefreshToken(generateRefreshToken(), p));
  });

  it('never contains the token itself', () => {
    const token = generateRefreshToken();
    expect(hashRefreshToken(token, pepper())).not.toContain(token);
  });

  it('compares hashes in constant time with crypto.timingSafeEqual, false on any difference', () => {
    const h = hashRefreshToken(generateRefreshToken(), pepper());
    jest.mocked(timingSafeEqual).mockClear();
    expect(hashesEqual(h, h)).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    expect(hashesEqual(h, h.slice(0, -1) + (h.endsWith('0') ? '1' : '0'))).toBe(false);
    expect(hashesEqual(h, h.slice(0, 10))).toBe(false);
    expect(hashesEqual(h, '')).toBe(false);
  });

  it('gives one hash per distinct pepper, current first', () => {
    const [current, previous] = [pepper(), pepper()];
    const token = generateRefreshToken();
    expect(candidateHashes(token, [current, previous, previous])).toEqual([
      hashRefreshToken(token, current),
      hashRefreshToken(token, previous),
    ]);
  });
});
