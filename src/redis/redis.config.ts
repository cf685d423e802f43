import { configSlice } from '../config/config-slice';

export const redisConfig = configSlice('redis', (env) => ({
  url: env.REDIS_URL,
  keyPrefix: env.REDIS_KEY_PREFIX,
}));
