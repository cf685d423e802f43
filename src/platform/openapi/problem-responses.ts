import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from './decorators';
import { ErrorCode, PROBLEM_CATALOG } from '../problems/problem-catalog';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_SCHEMA_REF = '#/components/schemas/Problem';

/** One response entry per status, naming every code this route can answer with that status. */
export function problemResponse(codes: readonly ErrorCode[]): Record<string, unknown> {
  const titles = [...new Set(codes.map((code) => PROBLEM_CATALOG[code].title))].join(' / ');
  return {
    description: `${titles}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } } },
  };
}

/** Groups codes by their catalog status: {404: [NOT_FOUND], 409: [IDEMPOTENCY_CONFLICT, ...]}. */
export function codesByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = PROBLEM_CATALOG[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

/**
 * Documents the route-specific problems a route (or every route of a controller) can answer:
 * `@ApiProblems(ErrorCode.NOT_FOUND, ErrorCode.IDEMPOTENCY_CONFLICT)`. The answers every route
 * shares (validation, authentication, rate limit, body limits, outages) are added to the whole
 * document by `completeOpenApiDocument`, from what the route declares (security, body, params).
 */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...codesByStatus(codes)].map(([status, grouped]) =>
      ApiResponse({ status, ...(problemResponse(grouped) as object) }),
    ),
  );
}
