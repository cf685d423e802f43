import { configSlice } from '../config/config-slice';

export const metricsConfig = configSlice('metrics', (env) => ({
  /** Undefined: metrics are off (no listener, no per-request histogram). */
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
}));
