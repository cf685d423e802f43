import { configSlice } from '../config/config-slice';

export const databaseConfig = configSlice('database', (env) => ({
  url: env.DATABASE_URL,
  poolMax: env.DB_POOL_MAX,
  poolTimeoutMs: env.DB_POOL_TIMEOUT_MS,
  statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
  poolMode: env.DB_POOL_MODE,
  /** With NODE_ENV=production a role that is not least-privilege stops the start. */
  production: env.NODE_ENV === 'production',
}));
