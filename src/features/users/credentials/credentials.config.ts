import { configSlice } from '../../../platform/config/config-slice';

export const credentialsConfig = configSlice('credentials', (env) => ({
  /**
   * PasswordHasherLimits: PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE,
   * PASSWORD_HASH_KNOWN_CLIENT_QUEUE, PASSWORD_HASH_NICE.
   */
  passwordHash: {
    concurrency: env.PASSWORD_HASH_CONCURRENCY,
    queue: env.PASSWORD_HASH_QUEUE,
    reservedForKnown: env.PASSWORD_HASH_KNOWN_CLIENT_QUEUE,
    niceness: env.PASSWORD_HASH_NICE,
  },
}));
