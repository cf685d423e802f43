import { configSlice } from '../../../platform/config/config-slice';

export const lockoutConfig = configSlice('lockout', (env) => ({
  threshold: env.LOCKOUT_THRESHOLD,
  durationSeconds: env.LOCKOUT_DURATION_SECONDS,
  /** The lockout keys' HMAC key is derived from the refresh-token pepper (no extra secret to manage). */
  keyPepper: env.REFRESH_TOKEN_PEPPER,
}));
