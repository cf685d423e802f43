import type { ConfigType } from '@nestjs/config';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SigningKeyRing } from '../../../platform/secrets/signing-key-ring';
import { AccessTokenRejected, MAX_TOKEN_LENGTH, signHs256, verifyHs256 } from './hs256';
import { tokensConfig } from './tokens.config';
import { VerifiedTokens } from './verified-tokens';

export { AccessTokenRejected } from './hs256';

export type AccessRole = 'user' | 'admin';

export interface AccessTokenClaims {
  sub: string;
  role: AccessRole;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  /** The user's session version when the token was issued (absent in tokens from before it existed: 0). */
  sv: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

/** How many verified access tokens an instance remembers (a few MiB at most). */
export const VERIFIED_TOKENS_CACHED = 4096;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Short-lived HS256 access tokens, signed and verified by `hs256.ts` on node:crypto. Verification
 * pins the algorithm to HS256 (so `none`, HS512 and RS256 headers are refused before any key is
 * tried) and checks iss, aud and exp. A token that passed is remembered (`VerifiedTokens`), so
 * the same text presented again before it expires is not checked again.
 */
@Injectable()
export class AccessTokenService {
  private readonly keys: SigningKeyRing;
  private readonly config: ConfigType<typeof tokensConfig>['access'];
  private readonly verified = new VerifiedTokens<AccessTokenClaims>(VERIFIED_TOKENS_CACHED);

  constructor(@Inject(tokensConfig.KEY) config: ConfigType<typeof tokensConfig>) {
    this.config = config.access;
    this.keys = new SigningKeyRing(this.config.secret, this.config.previousSecrets);
  }

  /** Signs a token for `subject`; its claims and their order are those jsonwebtoken wrote. */
  issue(subject: { id: string; role: AccessRole; sessionVersion: number }): Promise<IssuedAccessToken> {
    const iat = Math.floor(Date.now() / 1000);
    const token = signHs256(
      {
        role: subject.role,
        sv: subject.sessionVersion,
        iat,
        exp: iat + this.config.ttlSeconds,
        aud: this.config.audience,
        iss: this.config.issuer,
        sub: subject.id,
        jti: randomUUID(),
      },
      this.keys.current,
    );
    return Promise.resolve({ token, expiresIn: this.config.ttlSeconds });
  }

  /** The verified claims, or a rejection with AccessTokenRejected (verifyNow as a promise). */
  verify(token: string): Promise<AccessTokenClaims> {
    try {
      return Promise.resolve(this.verifyNow(token));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Returns the verified claims or throws AccessTokenRejected, synchronously (the guard's path). */
  verifyNow(token: string): AccessTokenClaims {
    if (token.length <= MAX_TOKEN_LENGTH) {
      const known = this.verified.get(token, Math.floor(Date.now() / 1000));
      if (known !== undefined) return known;
    }
    const payload = verifyHs256(token, this.keys, { issuer: this.config.issuer, audience: this.config.audience });
    const claims = Object.freeze(this.claimsOf(payload));
    this.verified.add(token, claims);
    return claims;
  }

  private claimsOf(payload: unknown): AccessTokenClaims {
    const p = payload as Partial<Record<keyof AccessTokenClaims, unknown>>;
    if (
      typeof p.sub !== 'string' ||
      !UUID.test(p.sub) ||
      (p.role !== 'user' && p.role !== 'admin') ||
      typeof p.jti !== 'string' ||
      typeof p.iat !== 'number' ||
      typeof p.exp !== 'number' ||
      (p.sv !== undefined && !(Number.isSafeInteger(p.sv) && (p.sv as number) >= 0))
    ) {
      throw new AccessTokenRejected('claims missing or malformed');
    }
    return { ...(p as AccessTokenClaims), sv: (p.sv as number | undefined) ?? 0 };
  }
}
