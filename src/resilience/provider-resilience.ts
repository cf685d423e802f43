import type { ConfigType } from '@nestjs/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  BulkheadPolicy,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  IPolicy,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { ErrorCode, problem, type ProblemException } from '../problems';
import { resilienceConfig } from './resilience.config';
import { retryDelayMs } from './backoff';
import { isTransientUpstreamError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream-errors';

/** First retry waits ~100 ms, then 200, 400, ... (plus jitter), never more than 2 s. */
export const RETRY_BASE_DELAY_MS = 100;
export const RETRY_MAX_DELAY_MS = 2_000;

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export interface BreakerSnapshot {
  state: BreakerStateName;
  /** Consecutive failed attempts counted towards the threshold (while closed). */
  consecutiveFailures: number;
  failureThreshold: number;
  halfOpenAfterMs: number;
  /** While open: whole seconds until a probe is let through. */
  retryAfterSeconds?: number;
  /** Since start: how often the breaker opened, and calls refused without touching the provider. */
  opened: number;
  rejectedWhileOpen: number;
  bulkhead: { maxConcurrent: number; maxQueue: number; freeSlots: number; freeQueueSlots: number };
}

/**
 * The payment provider's policies, defined once from configuration. Composition, outermost first:
 *
 *   bulkhead -> retry -> circuit breaker -> timeout (per attempt) -> the call
 *
 * - bulkhead outermost: it bounds whole logical calls, retries and backoff sleeps included, so a
 *   slow provider can hold at most MAX_CONCURRENCY sockets and MAX_QUEUE waiters, never more.
 * - retry outside the breaker: every attempt is counted by the breaker, so a dead provider trips it
 *   after CIRCUIT_FAILURE_THRESHOLD attempts (not threshold x attempts per call), and once it is
 *   open the retry loop stops at once (BrokenCircuitError is not retried).
 * - timeout innermost: it limits each attempt, and a timed-out attempt is a failure for the
 *   breaker and a reason to retry. It is cooperative: the attempt's AbortSignal aborts the fetch,
 *   so the socket is released instead of leaking behind an abandoned promise.
 */
@Injectable()
export class ProviderResilience {
  private readonly logger = new Logger('PaymentProviderBreaker');
  private readonly breaker: CircuitBreakerPolicy;
  private readonly breakerCounter: ConsecutiveBreaker;
  private readonly bulkhead: BulkheadPolicy;
  private readonly policy: IPolicy;
  private openedAt = 0;
  private opened = 0;
  private rejectedWhileOpen = 0;

  constructor(@Inject(resilienceConfig.KEY) private readonly config: ConfigType<typeof resilienceConfig>) {
    const transient = handleWhen(isTransientUpstreamError);
    this.breakerCounter = new ConsecutiveBreaker(config.circuitFailureThreshold);
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: config.circuitHalfOpenAfterMs,
      breaker: this.breakerCounter,
    });
    this.bulkhead = bulkhead(config.maxConcurrency, config.maxQueue);
    const retries = retry(transient, {
      maxAttempts: config.retries,
      backoff: new DelegateBackoff<{ attempt: number }>((context) =>
        retryDelayMs(context.attempt, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS),
      ),
    });
    const perAttempt = timeout(config.timeoutMs, TimeoutStrategy.Cooperative);
    this.policy = wrap(this.bulkhead, retries, this.breaker, perAttempt);

    let probing = false;
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
      this.opened += 1;
      const why = probing ? 'the half-open probe failed' : `${config.circuitFailureThreshold} consecutive failures`;
      probing = false;
      this.logger.warn(
        `Payment provider circuit opened (${why}); probing again in ${config.circuitHalfOpenAfterMs} ms`,
      );
    });
    this.breaker.onHalfOpen(() => (probing = true));
    this.breaker.onHalfOpen(() => this.logger.log('Payment provider circuit half-open: letting one probe through'));
    this.breaker.onReset(() => {
      probing = false;
      this.logger.log('Payment provider circuit closed: the probe succeeded');
    });
  }

  /**
   * Runs `attempt` under the policies. `attempt` gets the per-attempt AbortSignal and must pass it
   * to its I/O; it throws UpstreamTimeoutError / UpstreamUnavailableError for transient trouble and
   * returns (never throws) for an answer, including a refusal.
   */
  async execute<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(({ signal }) => attempt(signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError) this.rejectedWhileOpen += 1;
      throw error;
    }
  }

  get state(): BreakerStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /** Whole seconds until the open breaker lets a probe through (at least 1). */
  retryAfterSeconds(): number {
    const remaining = this.openedAt + this.config.circuitHalfOpenAfterMs - Date.now();
    return Math.max(1, Math.ceil(remaining / 1000));
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.breakerCounter.state,
      failureThreshold: this.config.circuitFailureThreshold,
      halfOpenAfterMs: this.config.circuitHalfOpenAfterMs,
      ...(state === 'open' ? { retryAfterSeconds: this.retryAfterSeconds() } : {}),
      opened: this.opened,
      rejectedWhileOpen: this.rejectedWhileOpen,
      bulkhead: {
        maxConcurrent: this.config.maxConcurrency,
        maxQueue: this.config.maxQueue,
        freeSlots: this.bulkhead.executionSlots,
        freeQueueSlots: this.bulkhead.queueSlots,
      },
    };
  }

  /** Throws the CIRCUIT_OPEN problem (with Retry-After) without calling anything. */
  circuitOpen(): never {
    throw this.toProblem(new BrokenCircuitError()) as ProblemException;
  }

  /**
   * The problem a failed call answers. Everything here is the provider's trouble (or our guard
   * against it), never the client's: 502/503/504, with Retry-After where waiting helps.
   */
  toProblem(error: unknown): ProblemException | undefined {
    if (error instanceof BrokenCircuitError) {
      return problem(
        ErrorCode.CIRCUIT_OPEN,
        'The payment provider is failing; calls are paused. Retry after the indicated delay.',
        { retryAfterSeconds: this.retryAfterSeconds() },
      );
    }
    if (error instanceof BulkheadRejectedError) {
      return problem(ErrorCode.SERVICE_UNAVAILABLE, 'Too many payments are in progress. Retry shortly.', {
        retryAfterSeconds: 1,
      });
    }
    if (error instanceof UpstreamTimeoutError) {
      return problem(ErrorCode.UPSTREAM_TIMEOUT, 'The payment provider did not answer in time.');
    }
    if (error instanceof UpstreamUnavailableError) {
      return problem(ErrorCode.UPSTREAM_FAILED, 'The payment provider failed to process the request.');
    }
    return undefined;
  }
}
