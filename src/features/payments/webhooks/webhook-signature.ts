import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header the provider signs with: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`. */
export const SIGNATURE_HEADER = 'provider-signature';
/** Longest header considered, and most `v1=` entries (a rotation needs two; a few more do no harm). */
const MAX_HEADER_LENGTH = 1024;
const MAX_SIGNATURES = 8;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

export type SignatureCheck = 'valid' | 'bad_signature' | 'stale';

export interface ParsedSignature {
  timestamp: number;
  signatures: Buffer[];
}

/** The header's timestamp and v1 signatures; undefined when it is absent or not of that form. */
export function parseSignatureHeader(header: string | string[] | undefined): ParsedSignature | undefined {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      // Other schemes (v0, ...) are ignored, as the provider documents; a malformed v1 is no signature.
      if (HEX_SHA256.test(value) && signatures.length < MAX_SIGNATURES) signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** HMAC-SHA256 of `<t>.<raw body>` keyed with `secret` (what the provider puts in `v1=`). */
export function signatureOf(secret: string, timestamp: number, rawBody: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
}

/** A header value signing `rawBody` at `timestamp` with each of `secrets` (the stand-in provider and tests). */
export function signatureHeader(secrets: readonly string[], timestamp: number, rawBody: Buffer): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, rawBody).toString('hex')}`)].join(
    ',',
  );
}

/**
 * Whether `rawBody` was signed by the provider with one of `secrets` (current and previous keys),
 * at a time within `toleranceSeconds` of `nowSeconds`, either way. Each comparison is constant
 * time on equal-length buffers; every candidate is compared (no early exit on the first key).
 * The timestamp is judged only once the signature holds, so a forgery is always `bad_signature`.
 */
export function checkSignature(input: {
  header: string | string[] | undefined;
  rawBody: Buffer;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds: number;
}): SignatureCheck {
  const parsed = parseSignatureHeader(input.header);
  if (!parsed) return 'bad_signature';
  let valid = false;
  for (const secret of input.secrets) {
    const expected = signatureOf(secret, parsed.timestamp, input.rawBody);
    for (const given of parsed.signatures) {
      if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
    }
  }
  if (!valid) return 'bad_signature';
  return Math.abs(input.nowSeconds - parsed.timestamp) > input.toleranceSeconds ? 'stale' : 'valid';
}
