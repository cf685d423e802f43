import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKey, SigningKeyRing } from '../../../platform/secrets/signing-key-ring';

/** Why a token was refused (kept for logs and tests; clients only ever see TOKEN_INVALID). */
export class AccessTokenRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AccessTokenRejected';
  }
}

/** Longer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * Three base64url parts without padding; the signature is exactly 43 characters (32 bytes) and its
 * last character carries no stray bits, so one MAC has exactly one spelling (as jsonwebtoken, which
 * compares the encoded strings).
 */
const COMPACT_HS256 = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const SIGNATURE_BYTES = 32;

/** What a verification checks besides the signature. */
export interface Hs256Expectations {
  issuer: string;
  audience: string;
  /** Seconds since the epoch; defaults to now (whole seconds, no tolerance). */
  now?: number;
}

export type JwtPayload = Record<string, unknown>;

interface Header {
  alg?: unknown;
  typ?: unknown;
  kid?: unknown;
  crit?: unknown;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const nowInSeconds = (): number => Math.floor(Date.now() / 1000);

/** The header part a key signs under; verification reads these spellings without parsing them. */
const headerSegments = new WeakMap<SigningKey, string>();

function headerSegmentOf(key: SigningKey): string {
  let segment = headerSegments.get(key);
  if (segment === undefined) {
    segment = encode({ alg: 'HS256', typ: 'JWT', kid: key.kid });
    headerSegments.set(key, segment);
  }
  return segment;
}

function macOf(key: SigningKey, signingInput: string): Buffer {
  return createHmac('sha256', key.key).update(signingInput, 'utf8').digest();
}

/**
 * Signs `payload` as a compact HS256 JWS with header `{alg: "HS256", typ: "JWT", kid}`, the same
 * bytes jsonwebtoken produces for that header. The caller puts iat, exp and the other claims in.
 */
export function signHs256(payload: JwtPayload, key: SigningKey): string {
  const signingInput = `${headerSegmentOf(key)}.${encode(payload)}`;
  return `${signingInput}.${macOf(key, signingInput).toString('base64url')}`;
}

/** A JSON object (not an array, not null) from a base64url part, or undefined. */
function jsonObjectOf(part: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function headerOf(part: string, keys: SigningKeyRing): Header {
  for (const key of keys.all) if (part === headerSegmentOf(key)) return { alg: 'HS256', typ: 'JWT', kid: key.kid };
  const header = jsonObjectOf(part);
  if (header === undefined) throw new AccessTokenRejected('malformed header');
  return header;
}

/**
 * Verifies a compact HS256 JWS against the ring and returns its payload, or throws
 * AccessTokenRejected. The header must say `alg: "HS256"` (no other algorithm is ever tried),
 * `typ` JWT if present and no `crit`. The key its `kid` names is tried first, then the others; only
 * a signature mismatch moves on to the next key. The payload is parsed only once a key verifies
 * it; `exp` is required, `nbf` honoured, `iss` and `aud` must match (`aud` may be an array that
 * contains the audience), all in whole seconds as jsonwebtoken checks them.
 */
export function verifyHs256(token: string, keys: SigningKeyRing, expected: Hs256Expectations): JwtPayload {
  if (token.length > MAX_TOKEN_LENGTH) throw new AccessTokenRejected('token too long');
  if (!COMPACT_HS256.test(token)) throw new AccessTokenRejected('malformed token');
  const headerEnd = token.indexOf('.');
  const signatureStart = token.lastIndexOf('.');
  const header = headerOf(token.slice(0, headerEnd), keys);
  if (header.alg !== 'HS256') throw new AccessTokenRejected('algorithm not allowed');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new AccessTokenRejected('type not allowed');
  if (header.crit !== undefined) throw new AccessTokenRejected('critical header parameters not supported');

  const signingInput = token.slice(0, signatureStart);
  const signature = Buffer.from(token.slice(signatureStart + 1), 'base64url');
  if (signature.length !== SIGNATURE_BYTES) throw new AccessTokenRejected('malformed signature');
  const verified = keys.candidatesFor(header.kid).some((key) => timingSafeEqual(macOf(key, signingInput), signature));
  if (!verified) throw new AccessTokenRejected('no key verifies the signature');

  const payload = jsonObjectOf(token.slice(headerEnd + 1, signatureStart));
  if (payload === undefined) throw new AccessTokenRejected('malformed payload');
  checkClaims(payload, expected);
  return payload;
}

function checkClaims(payload: JwtPayload, expected: Hs256Expectations): void {
  const now = expected.now ?? nowInSeconds();
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== 'number') throw new AccessTokenRejected('invalid nbf value');
    if (payload.nbf > now) throw new AccessTokenRejected('jwt not active');
  }
  if (typeof payload.exp !== 'number') throw new AccessTokenRejected('invalid exp value');
  if (now >= payload.exp) throw new AccessTokenRejected('jwt expired');
  const audiences: unknown[] = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(expected.audience)) throw new AccessTokenRejected('jwt audience invalid');
  if (payload.iss !== expected.issuer) throw new AccessTokenRejected('jwt issuer invalid');
}
