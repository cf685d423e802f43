import { configSlice } from '../config/config-slice';
import type { RedisTopology } from './redis-connection';

/** How to reach Redis (REDIS_MODE and its variables, docs/scaling.md) and the key namespace. */
export const redisConfig = configSlice('redis', (env): RedisTopology => ({
  mode: env.REDIS_MODE,
  url: env.REDIS_URL,
  keyPrefix: env.REDIS_KEY_PREFIX,
  clusterNodes: env.REDIS_CLUSTER_NODES,
  sentinels: env.REDIS_SENTINELS,
  sentinelMaster: env.REDIS_SENTINEL_MASTER,
  sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
}));
