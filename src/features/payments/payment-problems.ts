import { ErrorCode, problem, ProblemException } from '../../platform/problems';
import type { PaymentCreation, ProviderTrouble } from './payment-outcomes';

/**
 * The HTTP edge of payments: domain outcomes to the catalog's problems. Everything the provider
 * did (or our guards against it did) is the provider's trouble, never the client's: 502/503/504,
 * with Retry-After where waiting helps.
 */
export function providerTroubleProblem(
  trouble: ProviderTrouble | 'contradicted',
  retryAfterSeconds?: number,
): ProblemException {
  switch (trouble) {
    case 'circuit-open':
      return problem(
        ErrorCode.CIRCUIT_OPEN,
        'The payment provider is failing; calls are paused. Retry after the indicated delay.',
        { retryAfterSeconds: retryAfterSeconds ?? 1 },
      );
    case 'busy':
      return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Too many payments are in progress. Retry shortly.', {
        retryAfterSeconds: 1,
      });
    case 'timeout':
      return problem(ErrorCode.UPSTREAM_TIMEOUT, 'The payment provider did not answer in time.');
    case 'unavailable':
    case 'contradicted':
      return problem(ErrorCode.UPSTREAM_FAILED, 'The payment provider failed to process the request.');
  }
}

/** The problem a creation outcome that is not an answer (201 or a replay) stands for. */
export function creationProblem(
  outcome: Exclude<PaymentCreation, { kind: 'charged' } | { kind: 'replayed' }>,
): ProblemException {
  switch (outcome.kind) {
    case 'key-reused-with-another-body':
      return problem(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        'This Idempotency-Key was already used with a different request body.',
      );
    case 'key-in-progress':
      return problem(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        'A request with this Idempotency-Key is still in progress. Retry it shortly.',
        { retryAfterSeconds: 1 },
      );
    case 'provider-trouble':
      return providerTroubleProblem(outcome.trouble, outcome.retryAfterSeconds);
  }
}
