import { configSlice } from '../config/config-slice';

export const healthConfig = configSlice('health', (env) => ({
  readyCacheMs: env.HEALTH_READY_CACHE_MS,
  shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
}));
