import { configSlice } from '../../../platform/config/config-slice';

export const identityConfig = configSlice('identity', (env) => ({
  cacheTtlMs: env.IDENTITY_CACHE_TTL_MS,
  cacheMaxEntries: env.IDENTITY_CACHE_MAX_ENTRIES,
  /** The invalidation channel carries the deployment's Redis key prefix. */
  redisKeyPrefix: env.REDIS_KEY_PREFIX,
}));
