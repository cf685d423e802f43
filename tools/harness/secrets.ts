import { randomBytes } from 'node:crypto';

/** A random secret as an operator would generate one: `bytes` random bytes, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
