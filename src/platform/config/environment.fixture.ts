import { randomBytes } from 'node:crypto';
import { EnvironmentError, loadEnvironment } from './environment';

/**
 * Environments for the configuration specs (not part of the build: tsconfig.build.json leaves
 * `*.fixture.ts` out).
 */

/** A random secret, as an operator would generate one (specs never carry fixed secrets). */
export const secret = (): string => randomBytes(32).toString('base64url');

/** Every required variable, with fresh random secrets: the least the boot check accepts. */
export function validVariables(): Record<string, string> {
  return {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/db',
    REDIS_URL: 'redis://127.0.0.1:6379',
    JWT_ACCESS_SECRET: secret(),
    REFRESH_TOKEN_PEPPER: secret(),
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:4010',
    PAYMENT_PROVIDER_API_KEY: secret(),
  };
}

/** What the boot check refuses in exactly `vars` (an empty list when it accepts them). */
export function problemsOf(vars: Record<string, string>): EnvironmentError['problems'] {
  try {
    loadEnvironment(vars);
  } catch (error) {
    if (error instanceof EnvironmentError) return error.problems;
    throw error;
  }
  return [];
}
