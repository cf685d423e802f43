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
  retry,
  RetryPolicy,
  timeout,
  TimeoutPolicy,
  TimeoutStrategy,
} from 'cockatiel';
import { MetricsService, type ProviderCallOutcome } from '../../../platform/metrics/metrics.service';
import { resilienceConfig } from './resilience.config';
import { retryDelayMs } from './backoff';
import {
  isTransientUpstreamError,
  type ProviderTrouble,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream-errors';

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

/**
 * Thrown instead of cockatiel's BrokenCircuitError when the breaker refused a call before any
 * attempt reached the provider: the provider never saw it, so nothing can have been charged.
 */
export class CircuitOpenBeforeCallError extends BrokenCircuitError {}

/** True when `error` proves the provider was never called (nothing can have been charged). */
export function upstreamNotCalled(error: unknown): boolean {
  return error instanceof CircuitOpenBeforeCallError || error instanceof BulkheadRejectedError;
}

export interface BreakerSnapshot {
  /**
   * `half-open` from the moment CIRCUIT_HALF_OPEN_AFTER_MS has elapsed (the next call is the
   * probe) until the probe's answer closes or reopens the breaker.
   */
  state: BreakerStateName;
  /** True while the half-open probe is on its way to the provider. */
  probeInFlight: boolean;
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
 *   open the retry loop stops at once (BrokenCircuitError is not retried). A call stops retrying
 *   once the breaker has opened since it began, even if its next backoff outlasts the half-open
 *   delay: the single half-open probe is a new call's, claimed in execute().
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
  private readonly retries: RetryPolicy;
  private readonly perAttempt: TimeoutPolicy;
  private openedAt = 0;
  /** A call has taken the half-open probe and not finished yet. */
  private probeClaimed = false;
  private opened = 0;
  private rejectedWhileOpen = 0;

  constructor(
    @Inject(resilienceConfig.KEY) private readonly config: ConfigType<typeof resilienceConfig>,
    private readonly metrics: MetricsService,
  ) {
    const transient = handleWhen(isTransientUpstreamError);
    this.breakerCounter = new ConsecutiveBreaker(config.circuitFailureThreshold);
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: config.circuitHalfOpenAfterMs,
      breaker: this.breakerCounter,
    });
    this.bulkhead = bulkhead(config.maxConcurrency, config.maxQueue);
    this.retries = retry(transient, {
      maxAttempts: config.retries,
      backoff: new DelegateBackoff<{ attempt: number }>((context) =>
        retryDelayMs(context.attempt, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS),
      ),
    });
    this.perAttempt = timeout(config.timeoutMs, TimeoutStrategy.Cooperative);

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
    metrics.watchCircuit('payment_provider', () => this.state);
    metrics.watchCircuitFigures('payment_provider', () => {
      const snapshot = this.snapshot();
      return {
        consecutiveFailures: snapshot.consecutiveFailures,
        failureThreshold: snapshot.failureThreshold,
        halfOpenAfterMs: snapshot.halfOpenAfterMs,
        probeInFlight: snapshot.probeInFlight,
        retryAfterSeconds: snapshot.retryAfterSeconds ?? 0,
        opened: snapshot.opened,
        rejectedWhileOpen: snapshot.rejectedWhileOpen,
      };
    });
    metrics.watchProviderBulkhead(() => this.snapshot().bulkhead);
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
    // Once the half-open delay has passed, the first call to get here is the probe. cockatiel would
    // park every other call until the probe's answer (or, before the probe reaches the breaker, let
    // a second one through as another probe); refuse them at once instead, so exactly one request
    // reaches a provider that may still be down.
    const state = this.breaker.state;
    const probe = state === CircuitState.Open && this.probeDue();
    if (state === CircuitState.HalfOpen || state === CircuitState.Isolated || (probe && this.probeClaimed)) {
      this.rejectedWhileOpen += 1;
      throw new CircuitOpenBeforeCallError();
    }
    if (probe) this.probeClaimed = true;
    let attempts = 0;
    try {
      const openedBefore = this.opened;
      return await this.bulkhead.execute(({ signal }) =>
        this.retries.execute(({ signal: retrySignal }) => {
          // The breaker opened since this call began (its own attempts, or others', tripped it):
          // stop retrying, even when the backoff outlasted CIRCUIT_HALF_OPEN_AFTER_MS, or this
          // retry would slip through as a half-open probe nobody claimed. BrokenCircuitError is
          // not transient, so the retry policy gives up on it.
          if (this.opened !== openedBefore) throw new BrokenCircuitError();
          return this.breaker.execute(
            ({ signal: breakerSignal }) =>
              this.perAttempt.execute(({ signal: attemptSignal }) => {
                attempts += 1;
                return this.counted(attempt, attemptSignal);
              }, breakerSignal),
            retrySignal,
          );
        }, signal),
      );
    } catch (error) {
      if (error instanceof BulkheadRejectedError) this.metrics.providerCall('bulkhead_full');
      if (!(error instanceof BrokenCircuitError)) throw error;
      this.rejectedWhileOpen += 1;
      this.metrics.providerCall('circuit_open');
      throw attempts === 0 && !(error instanceof CircuitOpenBeforeCallError) ? new CircuitOpenBeforeCallError() : error;
    } finally {
      // The probe has its answer (the breaker closed or reopened), or never reached the breaker.
      if (probe) this.probeClaimed = false;
    }
  }

  /**
   * Whether a new call may start now: the breaker is closed, or it is open and
   * CIRCUIT_HALF_OPEN_AFTER_MS has elapsed, so this call becomes the half-open probe. cockatiel
   * itself moves from open to half-open only inside execute(), so callers that refuse cheaply
   * while the breaker is open must ask this, never `state === 'open'`, or no probe ever happens.
   */
  admitsNewCall(): boolean {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return true;
      case CircuitState.Open:
        return this.probeDue() && !this.probeClaimed;
      default:
        return false;
    }
  }

  /** One attempt, counted by how it ended (a refusal is an answer: `success`). */
  private async counted<T>(attempt: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    let outcome: ProviderCallOutcome = 'error';
    try {
      const result = await attempt(signal);
      outcome = 'success';
      return result;
    } catch (error) {
      if (error instanceof UpstreamTimeoutError || signal.aborted) outcome = 'timeout';
      throw error;
    } finally {
      this.metrics.providerCall(outcome);
    }
  }

  /** The breaker as callers experience it (see BreakerSnapshot.state). */
  get state(): BreakerStateName {
    const state = this.breaker.state;
    if (state === CircuitState.Open && this.probeDue()) return 'half-open';
    return STATE_NAMES[state];
  }

  private probeDue(): boolean {
    return Date.now() - this.openedAt >= this.config.circuitHalfOpenAfterMs;
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
      probeInFlight: this.probeClaimed || this.breaker.state === CircuitState.HalfOpen,
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

  /** Counts a call refused up front because the breaker is open (the caller answers CIRCUIT_OPEN). */
  refuseWhileOpen(): void {
    this.metrics.providerCall('circuit_open');
  }

  /**
   * What kind of trouble a failed call was, in payment terms (the HTTP edge maps it to a problem),
   * or undefined for an error that is not the provider's or our guards' (a bug).
   */
  trouble(error: unknown): ProviderTrouble | undefined {
    if (error instanceof BrokenCircuitError) return 'circuit-open';
    if (error instanceof BulkheadRejectedError) return 'busy';
    if (error instanceof UpstreamTimeoutError) return 'timeout';
    if (error instanceof UpstreamUnavailableError) return 'unavailable';
    return undefined;
  }
}
