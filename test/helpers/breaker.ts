import { sleep } from '../../tools/harness';
import { http, TestApp } from './app';

/** The payment provider breaker as /health/ready reports it, with the readiness status. */
export async function breakerReadiness(gw: TestApp): Promise<{ status: number; breaker: Record<string, unknown> }> {
  const res = await http(gw.url, 'GET', '/health/ready');
  return {
    status: res.status,
    breaker: (res.body.details as Record<string, Record<string, unknown> | undefined>).paymentProvider ?? {},
  };
}

/**
 * Polls readiness (which must stay 200: an open breaker never takes the gateway out of rotation)
 * until the breaker reports `state`; throws after `withinMs`.
 */
export async function waitForBreakerState(
  gw: TestApp,
  state: string,
  withinMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { status, breaker } = await breakerReadiness(gw);
    expect(status).toBe(200);
    if (breaker.state === state) return breaker;
    if (Date.now() > deadline) throw new Error(`breaker still ${String(breaker.state)}, expected ${state}`);
    await sleep(50);
  }
}

/**
 * The Retry-After an open breaker gives: the whole seconds left of CIRCUIT_HALF_OPEN_AFTER_MS,
 * rounded up, at least 1. `elapsedMs` bounds the time from the moment the breaker opened (at the
 * earliest) to the answer, so the check is exact on a quiet machine and still true on a slow one.
 */
export function expectRetryAfter(actual: unknown, halfOpenAfterMs: number, elapsedMs: number): void {
  const most = Math.max(1, Math.ceil(halfOpenAfterMs / 1000));
  const least = Math.max(1, Math.ceil((halfOpenAfterMs - elapsedMs) / 1000));
  expect(typeof actual).toBe('number');
  expect(actual).toBeGreaterThanOrEqual(least);
  expect(actual).toBeLessThanOrEqual(most);
}
