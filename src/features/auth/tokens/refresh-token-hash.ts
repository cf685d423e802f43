import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes (256 bits), base64url: 43 characters. */
export const REFRESH_TOKEN_BYTES = 32;
/** What a well-formed refresh token looks like (base64url, bounded). */
export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43,128}$/;

export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** The stored form of a refresh token: HMAC-SHA-256 keyed with a pepper, hex. */
export function hashRefreshToken(token: string, pepper: string): string {
  return createHmac('sha256', pepper).update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes (false for different lengths). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The token's hash under every pepper still accepted: the current one first, then previous ones. */
export function candidateHashes(token: string, peppers: readonly string[]): string[] {
  return [...new Set(peppers)].map((pepper) => hashRefreshToken(token, pepper));
}
