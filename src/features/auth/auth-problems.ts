import { ErrorCode, problem, type ProblemException } from '../../platform/problems';
import type { LoginResult, RefreshResult } from './auth.service';
import { HashingBusyError } from './credentials/password-hasher';
import { LockoutStoreUnavailableError } from './lockout/lockout.service';

/**
 * The edge of the auth routes: each refusal the auth services answer, and the infrastructure
 * errors they throw, as problems from the catalog. Only this file (with the controller, the guards
 * and the exception filter that uses authErrorToProblem) knows HTTP.
 */
export function loginProblem(refusal: Exclude<LoginResult, { kind: 'ok' }>): ProblemException {
  switch (refusal.kind) {
    case 'invalid-credentials':
      return problem(ErrorCode.INVALID_CREDENTIALS);
    case 'locked':
      return problem(ErrorCode.ACCOUNT_LOCKED, 'Too many failed sign-in attempts. Try again later.', {
        retryAfterSeconds: refusal.retryAfterSeconds,
      });
  }
}

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
  if (error instanceof LockoutStoreUnavailableError) {
    return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Sign-in is temporarily unavailable. Retry shortly.', {
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  if (error instanceof HashingBusyError) {
    return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Too many sign-ins are being processed. Retry shortly.', {
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  return undefined;
}
