import { ErrorCode, problem, type ProblemException } from '../../platform/problems';
import type { LoginResult, RefreshResult } from './auth.service';
import { LockoutUnavailableError } from './lockout/lockout.service';
import { HashingBusyError } from '../users';

/**
 * The edge of the auth routes: each refusal the auth services answer, and the hashing bulkhead's
 * and the lockout store's failures, as problems from the catalog. Only this file (with the controller, the guards
 * and the exception filter that uses authErrorToProblem) knows HTTP.
 */
export function loginProblem(refusal: Exclude<LoginResult, { kind: 'signed-in' }>): ProblemException {
  switch (refusal.kind) {
    case 'refused':
      return problem(ErrorCode.INVALID_CREDENTIALS);
    case 'account-locked':
      return problem(ErrorCode.ACCOUNT_LOCKED, 'Too many failed sign-in attempts. Try again later.', {
        retryAfterSeconds: refusal.retryAfterSeconds,
      });
    case 'client-throttled':
      return clientThrottledProblem(refusal.retryAfterSeconds);
    case 'lockout-unavailable':
      return lockoutUnavailableProblem(refusal.retryAfterSeconds);
    case 'hashing-busy':
      return hashingBusyProblem(refusal.retryAfterSeconds);
  }
}

/** A client over its failure limit, on any credential route (login, refresh, logout). */
export function clientThrottledProblem(retryAfterSeconds: number): ProblemException {
  return problem(
    ErrorCode.RATE_LIMITED,
    `Too many failed sign-in attempts from this client. Retry after ${retryAfterSeconds} seconds.`,
    { retryAfterSeconds },
  );
}

function lockoutUnavailableProblem(retryAfterSeconds: number): ProblemException {
  return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Sign-in is temporarily unavailable. Retry shortly.', {
    retryAfterSeconds,
  });
}

function hashingBusyProblem(retryAfterSeconds: number): ProblemException {
  return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Too many sign-ins are being processed. Retry shortly.', {
    retryAfterSeconds,
  });
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
  if (error instanceof HashingBusyError) return hashingBusyProblem(error.retryAfterSeconds);
  if (error instanceof LockoutUnavailableError) return lockoutUnavailableProblem(error.retryAfterSeconds);
  return undefined;
}
