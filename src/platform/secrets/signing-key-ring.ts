import { createHash, createSecretKey, KeyObject } from 'node:crypto';

export interface SigningKey {
  /** Key id put in the JWT header: first 16 hex characters of SHA-256 of the key. */
  readonly kid: string;
  readonly secret: string;
  /**
   * The same key as a KeyObject, built once. jsonwebtoken first tries to parse a string key as a
   * public key on every sign and verify (about 0.5 ms each); a secret KeyObject skips that.
   */
  readonly key: KeyObject;
}

function signingKey(secret: string): SigningKey {
  return { kid: keyIdOf(secret), secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
}

/** The key id of a signing key. It identifies the key without revealing it. */
export function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

/**
 * Access-token keys: the current key signs, every key (current first, then previous ones)
 * verifies. Rotating JWT_ACCESS_SECRET while keeping the old value in
 * JWT_ACCESS_PREVIOUS_SECRETS therefore logs nobody out.
 */
export class SigningKeyRing {
  readonly current: SigningKey;
  readonly all: readonly SigningKey[];

  constructor(currentSecret: string, previousSecrets: readonly string[] = []) {
    this.current = signingKey(currentSecret);
    const previous = previousSecrets.filter((s) => s !== currentSecret).map(signingKey);
    this.all = Object.freeze([this.current, ...previous]);
  }

  /** Keys to try for a token: the one its kid names first, then the others (a kid is only a hint). */
  candidatesFor(kid: unknown): readonly SigningKey[] {
    const named = this.all.find((k) => k.kid === kid);
    return named ? [named, ...this.all.filter((k) => k !== named)] : this.all;
  }
}
