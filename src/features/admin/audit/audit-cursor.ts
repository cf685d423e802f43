/**
 * The audit list's cursor: opaque to clients (base64url of a versioned id), strict to decode.
 * Anything that does not decode to exactly what encode would produce is refused.
 */
const PREFIX = 'a1:';

export function encodeAuditCursor(id: string): string {
  return Buffer.from(`${PREFIX}${id}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string): bigint | undefined {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const digits = /^a1:([1-9][0-9]{0,18})$/.exec(text)?.[1];
  if (digits === undefined || encodeAuditCursor(digits) !== cursor) return undefined;
  const id = BigInt(digits);
  return id <= 9_223_372_036_854_775_807n ? id : undefined;
}
