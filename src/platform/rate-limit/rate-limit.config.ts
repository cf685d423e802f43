import { configSlice } from '../config/config-slice';

export const rateLimitConfig = configSlice('rateLimit', (env) => ({
  global: { limit: env.RATE_LIMIT_GLOBAL_LIMIT, ttlSeconds: env.RATE_LIMIT_GLOBAL_TTL_SECONDS },
  auth: { limit: env.RATE_LIMIT_AUTH_LIMIT, ttlSeconds: env.RATE_LIMIT_AUTH_TTL_SECONDS },
}));
