import type { ConfigType } from '@nestjs/config';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { SigningKeyRing } from '../../../platform/secrets/signing-key-ring';
import { tokensConfig } from './tokens.config';

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

/** Why a token was refused (kept for logs and tests; clients only ever see TOKEN_INVALID). */
export class AccessTokenRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AccessTokenRejected';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TOKEN_LENGTH = 4096;

/**
 * Short-lived HS256 access tokens. Verification pins the algorithm list to HS256 (so `none`,
 * HS512 and RS256 headers are refused before any key is tried) and checks iss, aud and exp.
 */
@Injectable()
export class AccessTokenService {
  private readonly jwt = new JwtService({});
  private readonly keys: SigningKeyRing;
  private readonly config: ConfigType<typeof tokensConfig>['access'];

  constructor(@Inject(tokensConfig.KEY) config: ConfigType<typeof tokensConfig>) {
    this.config = config.access;
    this.keys = new SigningKeyRing(this.config.secret, this.config.previousSecrets);
  }

  async issue(subject: { id: string; role: AccessRole; sessionVersion: number }): Promise<IssuedAccessToken> {
    const token = await this.jwt.signAsync(
      { role: subject.role, sv: subject.sessionVersion },
      {
        // jsonwebtoken accepts a KeyObject; @nestjs/jwt's type says string | Buffer.
        secret: this.keys.current.key as unknown as Buffer,
        algorithm: 'HS256',
        keyid: this.keys.current.kid,
        subject: subject.id,
        issuer: this.config.issuer,
        audience: this.config.audience,
        jwtid: randomUUID(),
        expiresIn: this.config.ttlSeconds,
      },
    );
    return { token, expiresIn: this.config.ttlSeconds };
  }

  /** Returns the verified claims or throws AccessTokenRejected. */
  async verify(token: string): Promise<AccessTokenClaims> {
    if (token.length > MAX_TOKEN_LENGTH) throw new AccessTokenRejected('token too long');
    const header = this.headerOf(token);
    if (header.alg !== 'HS256') throw new AccessTokenRejected('algorithm not allowed');
    for (const key of this.keys.candidatesFor(header.kid)) {
      let payload: unknown;
      try {
        payload = await this.jwt.verifyAsync(token, {
          secret: key.key as unknown as Buffer,
          algorithms: ['HS256'],
          issuer: this.config.issuer,
          audience: this.config.audience,
        });
      } catch (error) {
        // Only a bad signature means "try the next key"; expiry or wrong iss/aud is final.
        if ((error as Error).message === 'invalid signature') continue;
        throw new AccessTokenRejected((error as Error).message);
      }
      return this.claimsOf(payload);
    }
    throw new AccessTokenRejected('no key verifies the signature');
  }

  private headerOf(token: string): { alg?: unknown; kid?: unknown } {
    let decoded: unknown;
    try {
      // jws JSON-parses the payload when the header says typ JWT, so garbage can throw here.
      decoded = this.jwt.decode(token, { complete: true });
    } catch {
      throw new AccessTokenRejected('malformed token');
    }
    if (typeof decoded !== 'object' || decoded === null) throw new AccessTokenRejected('malformed token');
    const header = (decoded as { header?: unknown }).header;
    if (typeof header !== 'object' || header === null) throw new AccessTokenRejected('malformed header');
    return header as { alg?: unknown; kid?: unknown };
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
