import { databaseConfig } from './platform/database/database.config';
import { healthConfig } from './platform/health/health.config';
import { metricsConfig } from './platform/metrics/metrics.config';
import { rateLimitConfig } from './platform/rate-limit/rate-limit.config';
import { redisConfig } from './platform/redis/redis.config';
import { credentialsConfig } from './features/users';
import { identityConfig, lockoutConfig, tokensConfig } from './features/auth';
import { paymentsConfig, resilienceConfig } from './features/payments';

/**
 * Every module's config slice (src/<module>/<module>.config.ts), loaded by AppConfigModule from
 * the validated env. A new slice is added here; see src/platform/config/environment.schema.ts and
 * docs/configuration.md for adding a variable.
 */
export const CONFIG_SLICES = [
  databaseConfig,
  redisConfig,
  identityConfig,
  credentialsConfig,
  tokensConfig,
  lockoutConfig,
  healthConfig,
  rateLimitConfig,
  resilienceConfig,
  paymentsConfig,
  metricsConfig,
] as const;
