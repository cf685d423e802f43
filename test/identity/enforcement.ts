import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { HttpResult } from '../helpers/app';
import { sleep } from '../../tools/harness';

/** How soon after the admin's answer an identity change must be enforced, on every instance. */
export const ENFORCEMENT_BOUND_MS = 250;

export interface Enforcement {
  /** A request that started within the bound was answered as the change requires. */
  enforced: boolean;
  /** When that request started, in ms after `since` (the last request's start if none was). */
  startedAfterMs: number;
  attempts: number;
  last: HttpResult;
}

/**
 * Polls `request` from `since` (performance.now() when the admin's answer arrived) until
 * `isEnforced` holds or the bound has passed. The change counts as enforced in time when a request
 * that started within the bound got the enforced answer: the start is what the bound is about (a
 * loaded machine may take longer to answer, but the instance decided on a state it already had).
 * Polling stops at the bound: a request started after it proves nothing.
 */
export async function pollEnforced(
  request: () => Promise<HttpResult>,
  isEnforced: (res: HttpResult) => boolean,
  since: number,
  boundMs = ENFORCEMENT_BOUND_MS,
): Promise<Enforcement> {
  let attempts = 0;
  for (;;) {
    const started = performance.now();
    const last = await request();
    attempts += 1;
    const startedAfterMs = Math.round(started - since);
    if (isEnforced(last)) return { enforced: startedAfterMs <= boundMs, startedAfterMs, attempts, last };
    if (performance.now() - since >= boundMs) return { enforced: false, startedAfterMs, attempts, last };
    await sleep(10);
  }
}

/** A readable failure: which answer the instance still gave, and when the last try started. */
export function describeEnforcement(where: string, result: Enforcement): string {
  return `${where}: ${result.enforced ? 'enforced' : 'NOT enforced'} (${result.attempts} tries, last started ${result.startedAfterMs} ms after the admin's answer, answered ${result.last.status})`;
}

/** Variables two instances of one deployment share: keys, the Redis namespace. */
export function deployment(tag: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_ACCESS_SECRET: randomBytes(32).toString('base64url'),
    REFRESH_TOKEN_PEPPER: randomBytes(32).toString('base64url'),
    REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}${tag}-${randomBytes(4).toString('hex')}:`,
    ...overrides,
  };
}
