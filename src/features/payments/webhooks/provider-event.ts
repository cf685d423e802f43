import { codePointLengthProblem } from '../../../platform/validation/code-points';
import { checkJsonShape } from '../../../platform/validation/json-body';
import { PROVIDER_CHARGE_STATUSES, type ProviderChargeStatus } from '../provider/payment-provider';

/** The event type that reports a charge's state; other types are acknowledged and ignored. */
export const CHARGE_UPDATED = 'charge.updated';

/** One provider webhook event, checked (see CONTRACT "Provider webhooks and status"). */
export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  /** Present for `charge.updated` only. */
  charge?: {
    id: string;
    idempotencyKey: string;
    status: ProviderChargeStatus;
    amount: number;
    currency: string;
    recipientId: string;
  };
}

export type ParsedEvent =
  { kind: 'event'; event: ProviderEvent } | { kind: 'malformed'; field: string; message: string };

const PRINTABLE = /^[\x21-\x7e]{1,255}$/;

/** The documented bound of `created` (unix seconds, year 33658): past it PostgreSQL's timestamp overflows. */
export const MAX_CREATED_SECONDS = 999_999_999_999;

function malformed(field: string, message: string): ParsedEvent {
  return { kind: 'malformed', field, message };
}

/** The event in `rawBody`, or what is wrong with it (answered 400; nothing is recorded). */
export function parseProviderEvent(rawBody: Buffer): ParsedEvent {
  const text = rawBody.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return malformed('body', 'is not valid JSON');
  }
  const shape = checkJsonShape(text);
  if (shape) return malformed(shape.field, shape.message);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return malformed('body', 'must be an object');
  const { id, type, created, data } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !PRINTABLE.test(id)) return malformed('id', 'must be 1-255 printable characters');
  if (typeof type !== 'string' || !/^[a-z0-9_.]{1,64}$/.test(type)) return malformed('type', 'must be an event type');
  if (!Number.isSafeInteger(created) || (created as number) < 0 || (created as number) > MAX_CREATED_SECONDS) {
    return malformed('created', 'must be unix seconds');
  }
  const event: ProviderEvent = { id, type, created: created as number };
  if (type !== CHARGE_UPDATED) return { kind: 'event', event };

  if (typeof data !== 'object' || data === null || Array.isArray(data)) return malformed('data', 'must be an object');
  const charge = data as Record<string, unknown>;
  if (typeof charge.id !== 'string' || !PRINTABLE.test(charge.id)) return malformed('data.id', 'must be a charge id');
  if (typeof charge.idempotencyKey !== 'string' || !PRINTABLE.test(charge.idempotencyKey)) {
    return malformed('data.idempotencyKey', 'must be the provider key');
  }
  if (!PROVIDER_CHARGE_STATUSES.includes(charge.status as ProviderChargeStatus)) {
    return malformed('data.status', `must be one of ${PROVIDER_CHARGE_STATUSES.join(', ')}`);
  }
  if (!Number.isSafeInteger(charge.amount)) return malformed('data.amount', 'must be an integer');
  if (typeof charge.currency !== 'string' || codePointLengthProblem(charge.currency, 0, 16))
    return malformed('data.currency', 'must be a currency code');
  if (typeof charge.recipientId !== 'string' || codePointLengthProblem(charge.recipientId, 0, 64)) {
    return malformed('data.recipientId', 'must be a recipient id');
  }
  event.charge = {
    id: charge.id,
    idempotencyKey: charge.idempotencyKey,
    status: charge.status as ProviderChargeStatus,
    amount: charge.amount as number,
    currency: charge.currency,
    recipientId: charge.recipientId,
  };
  return { kind: 'event', event };
}
