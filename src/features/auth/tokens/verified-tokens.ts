import { setBounded } from '../../../platform/runtime/bounded-map';

/**
 * Access tokens this instance has already verified, by their exact text, with the claims the
 * verification returned: a client presents the same token on every request until it expires, and
 * recomputing its HMAC and parsing its payload each time was about a sixth of a protected read's
 * CPU. Only a token that passed the whole check (signature, algorithm, issuer, audience, expiry,
 * claims) is ever stored, so a lookup can only find a token that would verify again; any other
 * text, including a verified token with one character changed, misses and is checked in full. The
 * expiry is still checked on every hit (whole seconds, as the full check does): an expired entry is
 * dropped and the token goes through the full check, which refuses it.
 *
 * What a hit does not skip: the identity and session-version checks after the token (a revoked
 * session, a disabled user or a demotion take effect as before), and the rate limits before it.
 * The signing keys are fixed for the life of the process, so no key change can outdate an entry.
 *
 * Bounded: at most `capacity` entries; storing one more evicts the oldest. A flood of new valid
 * tokens only evicts entries, and a flood of invalid ones never enters.
 */
export class VerifiedTokens<Claims extends { readonly exp: number }> {
  private readonly entries = new Map<string, Claims>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The claims of `token` if it was verified and has not expired at `nowSeconds`. */
  get(token: string, nowSeconds: number): Claims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    if (nowSeconds >= claims.exp) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  /** Stores a token that has just passed the full check. */
  add(token: string, claims: Claims): void {
    setBounded(this.entries, token, claims, this.capacity);
  }
}
