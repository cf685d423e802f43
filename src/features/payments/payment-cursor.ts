export interface PaymentCursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The position after the last payment of a page: base64url of `<createdAt ms>.<id>`. Opaque to
 * clients; stable across instances (no state), and a page boundary never skips or repeats a
 * payment because (created_at, id) orders every payment strictly.
 */
export function encodePaymentCursor(cursor: PaymentCursor): string {
  return Buffer.from(`${cursor.createdAt.getTime()}.${cursor.id}`, 'utf8').toString('base64url');
}

/** The decoded cursor, or undefined when `value` is not one (the edge answers 400 naming `cursor`). */
export function decodePaymentCursor(value: string): PaymentCursor | undefined {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const [, millis, id] = /^(\d{1,15})\.(.+)$/.exec(text) ?? [];
  if (millis !== undefined && id !== undefined && UUID.test(id)) {
    const createdAt = new Date(Number(millis));
    if (!Number.isNaN(createdAt.getTime())) return { createdAt, id };
  }
  return undefined;
}
