import { configSlice } from '../../../platform/config/config-slice';

export const lockoutConfig = configSlice('lockout', (env) => ({
  /** Failures from one client on one account before that client is locked out of it. */
  threshold: env.LOCKOUT_THRESHOLD,
  /** The counting window of every counter, and the length of every lock. */
  durationSeconds: env.LOCKOUT_DURATION_SECONDS,
  /** Failures on one account from all clients before it refuses clients it does not know. */
  accountThreshold: env.LOCKOUT_ACCOUNT_THRESHOLD,
  /** Failures from one client across all accounts before its credential routes answer 429. */
  clientFailureLimit: env.LOGIN_CLIENT_FAILURE_LIMIT,
  /** How long a successful login keeps a client known to the account. */
  knownClientTtlSeconds: env.KNOWN_CLIENT_TTL_DAYS * 86_400,
  /** The lockout keys' HMAC key is derived from the refresh-token pepper (no extra secret to manage). */
  keyPepper: env.REFRESH_TOKEN_PEPPER,
}));
