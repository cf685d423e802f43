import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_HEADER, requireIdempotencyKey } from './idempotency';

/** The Idempotency-Key header, validated: required, 8-64 characters of [A-Za-z0-9_-], else 400. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  requireIdempotencyKey(ctx.switchToHttp().getRequest<FastifyRequest>().headers[IDEMPOTENCY_KEY_HEADER]),
);
