import { ErrorCode, problem, validationProblem, type ProblemException } from '../../platform/problems';
import type { AdminCreateOutcome, AdminUnlockOutcome, AdminUpdateOutcome } from './admin-users.service';

/**
 * The edge of the admin routes: each refusal an admin action answers, as its problem from the
 * catalog. The service speaks in admin terms; only this file (and the controllers) knows HTTP.
 */
export function adminProblem(
  refusal: Exclude<
    AdminCreateOutcome | AdminUpdateOutcome | AdminUnlockOutcome,
    { kind: 'created' | 'updated' | 'done' }
  >,
): ProblemException {
  switch (refusal.kind) {
    case 'email-taken':
      return problem(ErrorCode.CONFLICT, 'A user with this email already exists.');
    case 'weak-password':
      return weakPassword(refusal.reason);
    case 'not-found':
      return userNotFound();
    case 'actor-not-admin':
      return problem(ErrorCode.FORBIDDEN, 'Your account is no longer an enabled admin.');
    case 'last-admin':
      return problem(
        ErrorCode.LAST_ADMIN,
        refusal.reason === 'own-account'
          ? 'An admin cannot disable or demote their own account; ask another admin.'
          : 'This is the last enabled admin; promote or enable another admin first.',
      );
    case 'lockout-unavailable':
      return problem(
        ErrorCode.SERVICE_UNAVAILABLE,
        'The lockout store is unavailable; the account was not unlocked. Retry shortly.',
        { retryAfterSeconds: refusal.retryAfterSeconds },
      );
  }
}

/** 400 VALIDATION_FAILED naming `password`; the password itself is never in it. */
export function weakPassword(reason: string): ProblemException {
  return validationProblem([{ field: 'password', message: reason }], 'The password is too easy to guess.');
}

export function userNotFound(): ProblemException {
  return problem(ErrorCode.NOT_FOUND, 'No user with this id.');
}
