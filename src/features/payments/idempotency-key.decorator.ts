import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { validationProblem } from '../../platform/problems';

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

/** The Idempotency-Key header, validated: required, 8-64 characters of [A-Za-z0-9_-], else 400. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  requireIdempotencyKey(ctx.switchToHttp().getRequest<FastifyRequest>().headers[IDEMPOTENCY_KEY_HEADER]),
);
