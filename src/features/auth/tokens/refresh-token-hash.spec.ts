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
