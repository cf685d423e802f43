import { ErrorCode, problem, type ProblemException } from '../../platform/problems';
import type { RefreshResult } from './auth.service';
import { HashingBusyError } from '../users';

/**
 * The edge of the auth routes: each refusal the auth services answer, and the hashing
 * bulkhead's refusal, as problems from the catalog. Only this file (with the controller, the guards
 * and the exception filter that uses authErrorToProblem) knows HTTP.
 */
export function refreshProblem(refusal: Exclude<RefreshResult, { kind: 'ok' }>): ProblemException {
  switch (refusal.why) {
    case 'invalid':
      return problem(ErrorCode.TOKEN_INVALID, 'The refresh token is invalid, expired or revoked.');
    case 'already-rotated':
      return problem(ErrorCode.TOKEN_INVALID, 'This refresh token was already rotated. Use the newest one.');
    case 'reused':
      return problem(
        ErrorCode.TOKEN_REUSED,
        'This refresh token was already used. All sessions of this login have been ended.',
      );
  }
}

/** For the exception filter: the auth infrastructure errors (never the client's fault) as 503s. */
export function authErrorToProblem(error: unknown): ProblemException | undefined {
  if (error instanceof HashingBusyError) {
    return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Too many sign-ins are being processed. Retry shortly.', {
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  return undefined;
}
