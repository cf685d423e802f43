import { createHash, randomBytes } from 'node:crypto';
import { keyIdOf, SigningKeyRing } from './signing-key-ring';

const secret = (): string => randomBytes(32).toString('base64url');

describe('SigningKeyRing', () => {
  it('derives the kid from the first 16 hex of SHA-256 of the key', () => {
    const key = secret();
    expect(keyIdOf(key)).toBe(createHash('sha256').update(key).digest('hex').slice(0, 16));
    expect(keyIdOf(key)).not.toContain(key.slice(0, 8));
  });

  it('signs with the current key and verifies with current and previous keys', () => {
    const [current, old] = [secret(), secret()];
    const ring = new SigningKeyRing(current, [old]);
    expect(ring.current.secret).toBe(current);
    expect(ring.all.map((k) => k.secret)).toEqual([current, old]);
  });

  it('tries the key a kid names first, then all the others', () => {
    const [current, old] = [secret(), secret()];
    const ring = new SigningKeyRing(current, [old]);
    expect(ring.candidatesFor(keyIdOf(old)).map((k) => k.secret)).toEqual([old, current]);
    expect(ring.candidatesFor('unknown').map((k) => k.secret)).toEqual([current, old]);
    expect(ring.candidatesFor(undefined)).toHaveLength(2);
  });
});
