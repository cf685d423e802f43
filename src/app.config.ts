import { credentialsConfig } from './credentials/credentials.config';
import { databaseConfig } from './database/database.config';
import { healthConfig } from './health/health.config';
import { lockoutConfig } from './lockout/lockout.config';
import { paymentsConfig } from './payments/payments.config';
import { rateLimitConfig } from './rate-limit/rate-limit.config';
import { redisConfig } from './redis/redis.config';
import { resilienceConfig } from './resilience/resilience.config';
import { tokensConfig } from './tokens/tokens.config';

/**
 * Every module's config slice (src/<module>/<module>.config.ts), loaded by AppConfigModule from
 * the validated env. A new slice is added here; see src/config/environment.schema.ts and
 * docs/configuration.md for adding a variable.
 */
export const CONFIG_SLICES = [
  databaseConfig,
  redisConfig,
  credentialsConfig,
  tokensConfig,
  lockoutConfig,
  healthConfig,
  rateLimitConfig,
  resilienceConfig,
  paymentsConfig,
] as const;
