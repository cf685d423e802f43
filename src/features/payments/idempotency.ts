import { createHash } from 'node:crypto';
import { ErrorCode, problem, validationProblem } from '../../platform/problems';
import type { CreatePaymentDto } from './dto/create-payment.dto';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const VALID_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/** The Idempotency-Key header, or a 400 naming it. */
export function requireIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw validationProblem([{ field: 'Idempotency-Key', message: 'header is required' }]);
  }
  if (!VALID_KEY.test(value)) {
    throw validationProblem([{ field: 'Idempotency-Key', message: 'must be 8-64 characters of [A-Za-z0-9_-]' }]);
  }
  return value;
}

/** The request as it is charged: fixed field order, absent reference = null, UUID in lower case. */
export interface CanonicalPaymentRequest {
  amount: number;
  currency: string;
  recipientId: string;
  reference: string | null;
}

export function canonicalRequest(body: CreatePaymentDto): CanonicalPaymentRequest {
  return {
    amount: body.amount,
    currency: body.currency,
    recipientId: body.recipientId.toLowerCase(),
    reference: body.reference ?? null,
  };
}

/** SHA-256 (hex) of the canonical request: what "the same body" means for a repeated key. */
export function requestHash(request: CanonicalPaymentRequest): string {
  const canonical = JSON.stringify([request.amount, request.currency, request.recipientId, request.reference]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export const idempotencyProblems = {
  otherBody: () =>
    problem(ErrorCode.IDEMPOTENCY_CONFLICT, 'This Idempotency-Key was already used with a different request body.'),
  inProgress: () =>
    problem(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'A request with this Idempotency-Key is still in progress. Retry it shortly.',
      {
        retryAfterSeconds: 1,
      },
    ),
};
