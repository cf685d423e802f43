import { configSlice } from '../../../platform/config/config-slice';

export const tokensConfig = configSlice('tokens', (env) => ({
  access: {
    secret: env.JWT_ACCESS_SECRET,
    previousSecrets: env.JWT_ACCESS_PREVIOUS_SECRETS,
    ttlSeconds: env.JWT_ACCESS_TTL_SECONDS,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
  },
  refresh: {
    pepper: env.REFRESH_TOKEN_PEPPER,
    previousPeppers: env.REFRESH_TOKEN_PEPPER_PREVIOUS,
    ttlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    reuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
  },
}));
