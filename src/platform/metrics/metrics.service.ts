import { createHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every label value below comes from one of these closed lists, so no series can carry client input. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** The `route` label of a request no route matched (whatever URL the client sent). */
export const UNMATCHED_ROUTE = 'unmatched';
/** `login_failures`: a client over LOGIN_CLIENT_FAILURE_LIMIT, refused on every credential route. */
export const RATE_LIMITS = ['global', 'auth', 'login_failures'] as const;
/**
 * `locked`: this client is locked out of this account; `closed_to_unknown_client`: the account
 * refuses clients it does not know (distributed guessing); `client_limited`: this client is over its
 * failure limit across accounts (429). None of the three had its password checked.
 */
export const LOGIN_OUTCOMES = [
  'success',
  'invalid_credentials',
  'locked',
  'closed_to_unknown_client',
  'client_limited',
  'unavailable',
] as const;
/** What a lock applies to: one client on one account, one account for unknown clients, one client on every account. */
export const LOCKOUT_SCOPES = ['account_client', 'account', 'client'] as const;
export const PROVIDER_CALL_OUTCOMES = ['success', 'error', 'timeout', 'circuit_open', 'bulkhead_full'] as const;
export const PAYMENT_STATUSES = ['unknown', 'pending', 'succeeded', 'failed'] as const;
export const CIRCUITS = ['payment_provider'] as const;
/** What became of a webhook delivery (gateway_webhook_events_total{outcome}). */
export const WEBHOOK_OUTCOMES = [
  'applied',
  'ignored',
  'duplicate',
  'conflict',
  'orphan',
  'bad_signature',
  'stale',
  'malformed',
] as const;
export const DB_POOL_STATES = ['idle', 'active', 'waiting'] as const;
/** What a label outside its closed list is recorded as. */
export const OTHER = 'other';

export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];
export type LockoutScope = (typeof LOCKOUT_SCOPES)[number];
export type ProviderCallOutcome = (typeof PROVIDER_CALL_OUTCOMES)[number];
export type PaymentStatusLabel = (typeof PAYMENT_STATUSES)[number];
export type CircuitName = (typeof CIRCUITS)[number];
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
export type CircuitStateName = 'closed' | 'half-open' | 'open' | 'isolated';

export interface DbPoolCounts {
  /** Connections open in the pool (pg.Pool totalCount). */
  total: number;
  /** Open and unused (pg.Pool idleCount). */
  idle: number;
  /** Callers waiting for a connection (pg.Pool waitingCount). */
  waiting: number;
}

/** A circuit breaker's figures, read on every scrape (the public readiness body shows only its state). */
export interface CircuitFigures {
  /** Consecutive failed attempts counted towards the threshold (while closed). */
  consecutiveFailures: number;
  failureThreshold: number;
  halfOpenAfterMs: number;
  /** True while the half-open probe is on its way. */
  probeInFlight: boolean;
  /** While open: whole seconds until a probe is let through; 0 otherwise. */
  retryAfterSeconds: number;
  /** Since start: how often the breaker opened, and calls it refused without a request. */
  opened: number;
  rejectedWhileOpen: number;
}

/** A bulkhead's capacity and free slots, read on every scrape. */
export interface BulkheadFigures {
  maxConcurrent: number;
  maxQueue: number;
  freeSlots: number;
  freeQueueSlots: number;
}

/** The dependencies /health/ready checks (gateway_readiness_check_duration_seconds{dependency}). */
export const READINESS_DEPENDENCIES = ['database', 'redis'] as const;
export type ReadinessDependency = (typeof READINESS_DEPENDENCIES)[number];

export interface UnknownPaymentsBacklog {
  count: number;
  /** Age in seconds of the oldest payment still `unknown`; 0 when there is none. */
  oldestSeconds: number;
}

/** 0 closed, 1 half-open, 2 open (an operator-isolated breaker refuses calls like an open one). */
const CIRCUIT_STATE_VALUES: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 2 };

/** How long one backlog query answers every scrape (scrapes must not become a database load). */
export const UNKNOWN_PAYMENTS_CACHE_MS = 5_000;

/** How often the event-loop delay is sampled (see watchEventLoopDelay). */
const EVENT_LOOP_SAMPLE_MS = 10;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function bounded<T extends string>(value: string, allowed: readonly T[]): T | typeof OTHER {
  return (allowed as readonly string[]).includes(value) ? (value as T) : OTHER;
}

interface HttpSeries {
  requests: Counter.Internal;
  duration: Histogram.Internal<'method' | 'route'>;
}

/**
 * The gateway's Prometheus metrics, behind typed methods: feature code says what happened
 * (`rateLimited('auth')`, `loginAttempt('locked')`) and never touches prom-client. Each instance
 * owns its registry (several apps can live in one process, as in the tests). Counting is always
 * on and cheap (a counter increment); what costs per request (the HTTP histogram, the default
 * process metrics) is only set up when the listener is enabled (METRICS_PORT set). Gauges are read
 * from their sources when scraped, never on the request path.
 */
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly rateLimitedTotal: Counter<'limit'>;
  private readonly loginAttempts: Counter<'outcome'>;
  private readonly lockouts: Counter<'scope'>;
  private readonly passwordVerifications: Counter;
  private readonly refreshRotations: Counter;
  private readonly refreshReuse: Counter;
  private readonly providerCalls: Counter<'outcome'>;
  private readonly payments: Counter<'status'>;
  private readonly webhookEvents: Counter<'outcome'>;

  private readonly circuits = new Map<string, () => CircuitStateName>();
  private readonly circuitFigures = new Map<string, () => CircuitFigures>();
  private providerBulkhead?: () => BulkheadFigures;
  private readonly readinessDuration: Gauge<'dependency'>;
  private readonly reconcileInterval: Gauge;
  private hashQueue?: () => number;
  private dbPool?: () => DbPoolCounts;
  private redisFallback?: () => boolean;
  private unknownPayments?: () => Promise<UnknownPaymentsBacklog>;
  private backlogCache?: { at: number; value: Promise<UnknownPaymentsBacklog | undefined> };
  /** Children by "method route status": prom-client hashes label objects on every call otherwise. */
  private readonly httpSeries = new Map<string, HttpSeries>();
  private stopEventLoopMonitor?: () => void;

  constructor(readonly enabled = false) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP responses by method, matched route template ("unmatched" for no route) and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, by method and matched route template.',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.rateLimitedTotal = new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429, by the named limit that was exhausted (global, auth).',
      labelNames: ['limit'],
      registers,
    });
    this.loginAttempts = new Counter({
      name: 'gateway_login_attempts_total',
      help: 'Logins that reached the login service, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.lockouts = new Counter({
      name: 'gateway_account_lockouts_total',
      help:
        'Locks begun, by scope: account_client (one client locked out of one account, LOCKOUT_THRESHOLD), ' +
        'account (closed to unknown clients, LOCKOUT_ACCOUNT_THRESHOLD), client (over LOGIN_CLIENT_FAILURE_LIMIT).',
      labelNames: ['scope'],
      registers,
    });
    this.passwordVerifications = new Counter({
      name: 'gateway_password_verifications_total',
      help: 'argon2 password verifications run (logins that reached the password check, unknown accounts included).',
      registers,
    });
    this.refreshRotations = new Counter({
      name: 'gateway_refresh_rotations_total',
      help: 'Refresh tokens successfully rotated.',
      registers,
    });
    this.refreshReuse = new Counter({
      name: 'gateway_refresh_reuse_detected_total',
      help: 'Retired refresh tokens presented again (the token family was revoked).',
      registers,
    });
    this.providerCalls = new Counter({
      name: 'gateway_provider_calls_total',
      help: 'Payment provider attempts by outcome; circuit_open and bulkhead_full were refused without a request.',
      labelNames: ['outcome'],
      registers,
    });
    this.payments = new Counter({
      name: 'gateway_payments_total',
      help: 'Payments by the status a charge left them in (unknown: the outcome is not known yet).',
      labelNames: ['status'],
      registers,
    });
    this.webhookEvents = new Counter({
      name: 'gateway_webhook_events_total',
      help: 'Payment provider webhook deliveries by outcome (bad_signature, stale and malformed changed nothing).',
      labelNames: ['outcome'],
      registers,
    });

    const circuitState: Gauge<'circuit'> = new Gauge({
      name: 'gateway_circuit_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
      labelNames: ['circuit'],
      registers,
      collect: () => {
        for (const [circuit, state] of this.circuits) circuitState.set({ circuit }, CIRCUIT_STATE_VALUES[state()]);
      },
    });
    this.registerCircuitFigures(registers);
    const bulkheadSlots: Gauge<'kind'> = new Gauge({
      name: 'gateway_provider_bulkhead_slots',
      help: 'Payment provider bulkhead capacity: concurrent calls (execution) and waiters (queue).',
      labelNames: ['kind'],
      registers,
      collect: () => {
        if (!this.providerBulkhead) return;
        const figures = this.providerBulkhead();
        bulkheadSlots.set({ kind: 'execution' }, figures.maxConcurrent);
        bulkheadSlots.set({ kind: 'queue' }, figures.maxQueue);
      },
    });
    const bulkheadFree: Gauge<'kind'> = new Gauge({
      name: 'gateway_provider_bulkhead_free_slots',
      help: 'Payment provider bulkhead slots free now: for a call (execution) and for a waiter (queue).',
      labelNames: ['kind'],
      registers,
      collect: () => {
        if (!this.providerBulkhead) return;
        const figures = this.providerBulkhead();
        bulkheadFree.set({ kind: 'execution' }, figures.freeSlots);
        bulkheadFree.set({ kind: 'queue' }, figures.freeQueueSlots);
      },
    });
    this.readinessDuration = new Gauge({
      name: 'gateway_readiness_check_duration_seconds',
      help: 'How long the latest /health/ready check of each dependency took (its timeout when it did not answer).',
      labelNames: ['dependency'],
      registers,
    });
    this.reconcileInterval = new Gauge({
      name: 'gateway_payments_reconcile_interval_seconds',
      help: 'How often this instance settles unknown payments (PAYMENT_RECONCILE_INTERVAL_MS); 0 when the worker is off.',
      registers,
    });
    const hashQueue: Gauge = new Gauge({
      name: 'gateway_password_hash_queue',
      help: 'Password hashes waiting for a hashing slot (at most PASSWORD_HASH_QUEUE + PASSWORD_HASH_KNOWN_CLIENT_QUEUE).',
      registers,
      collect: () => {
        if (this.hashQueue) hashQueue.set(this.hashQueue());
      },
    });
    const dbPool: Gauge<'state'> = new Gauge({
      name: 'gateway_db_pool_connections',
      help: 'PostgreSQL pool: idle and active connections, and callers waiting for one.',
      labelNames: ['state'],
      registers,
      collect: () => {
        if (!this.dbPool) return;
        const pool = this.dbPool();
        dbPool.set({ state: 'idle' }, pool.idle);
        dbPool.set({ state: 'active' }, Math.max(0, pool.total - pool.idle));
        dbPool.set({ state: 'waiting' }, pool.waiting);
      },
    });
    const redisFallback: Gauge = new Gauge({
      name: 'gateway_redis_fallback_active',
      help: '1 while Redis is unreachable and rate limits are counted in this instance memory, else 0.',
      registers,
      collect: () => {
        if (this.redisFallback) redisFallback.set(this.redisFallback() ? 1 : 0);
      },
    });
    const unknownCount: Gauge = new Gauge({
      name: 'gateway_payments_unknown',
      help: 'Payments whose outcome is still unknown (awaiting reconciliation).',
      registers,
      collect: async () => {
        const backlog = await this.backlog();
        if (backlog) unknownCount.set(backlog.count);
      },
    });
    const unknownOldest: Gauge = new Gauge({
      name: 'gateway_payments_unknown_oldest_seconds',
      help: 'Age in seconds of the oldest payment still unknown (0 when there is none).',
      registers,
      collect: async () => {
        const backlog = await this.backlog();
        if (backlog) unknownOldest.set(Math.max(0, backlog.oldestSeconds));
      },
    });

    // Every known series starts at 0, so rate() and increase() see the first event.
    for (const limit of RATE_LIMITS) this.rateLimitedTotal.inc({ limit }, 0);
    for (const outcome of LOGIN_OUTCOMES) this.loginAttempts.inc({ outcome }, 0);
    for (const outcome of PROVIDER_CALL_OUTCOMES) this.providerCalls.inc({ outcome }, 0);
    for (const status of PAYMENT_STATUSES) this.payments.inc({ status }, 0);
    for (const scope of LOCKOUT_SCOPES) this.lockouts.inc({ scope }, 0);
    this.passwordVerifications.inc(0);
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookEvents.inc({ outcome }, 0);
    this.refreshRotations.inc(0);
    this.refreshReuse.inc(0);

    if (enabled) {
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
      this.watchEventLoopDelay(registers);
    }
  }

  /**
   * Each breaker's figures (public readiness shows only its state), per circuit, read on every
   * scrape. The two counts since start are counters, set from the breaker's own tallies.
   */
  private registerCircuitFigures(registers: Registry[]): void {
    const gauges: [string, string, (figures: CircuitFigures) => number][] = [
      [
        'gateway_circuit_consecutive_failures',
        'Consecutive failed attempts the breaker has counted towards its threshold.',
        (f) => f.consecutiveFailures,
      ],
      [
        'gateway_circuit_failure_threshold',
        'Consecutive failures that open the breaker (CIRCUIT_FAILURE_THRESHOLD).',
        (f) => f.failureThreshold,
      ],
      [
        'gateway_circuit_half_open_after_seconds',
        'How long an open breaker waits before it lets one probe through (CIRCUIT_HALF_OPEN_AFTER_MS).',
        (f) => f.halfOpenAfterMs / 1000,
      ],
      [
        'gateway_circuit_probe_in_flight',
        '1 while the half-open probe is on its way to the downstream service, else 0.',
        (f) => (f.probeInFlight ? 1 : 0),
      ],
      [
        'gateway_circuit_retry_after_seconds',
        'While open: whole seconds until the breaker lets a probe through (the Retry-After it answers); else 0.',
        (f) => f.retryAfterSeconds,
      ],
    ];
    for (const [name, help, read] of gauges) {
      const gauge: Gauge<'circuit'> = new Gauge({
        name,
        help,
        labelNames: ['circuit'],
        registers,
        collect: () => {
          for (const [circuit, figures] of this.circuitFigures) gauge.set({ circuit }, read(figures()));
        },
      });
    }
    const counters: [string, string, (figures: CircuitFigures) => number][] = [
      ['gateway_circuit_opened_total', 'Times the breaker opened since start.', (f) => f.opened],
      [
        'gateway_circuit_rejected_total',
        'Calls the breaker refused since start without a request (open, or half-open with its probe taken).',
        (f) => f.rejectedWhileOpen,
      ],
    ];
    for (const [name, help, read] of counters) {
      const counter: Counter<'circuit'> = new Counter({
        name,
        help,
        labelNames: ['circuit'],
        registers,
        collect: () => {
          counter.reset();
          for (const [circuit, figures] of this.circuitFigures) counter.inc({ circuit }, read(figures()));
        },
      });
    }
  }

  /**
   * gateway_event_loop_delay_seconds{quantile="0.5"|"0.99"|"1"}: how long a request that arrived at
   * any moment since the previous scrape waited for the event loop. Measured with an unref'd 10 ms
   * interval timer into a perf_hooks histogram (perf_hooks.monitorEventLoopDelay drops the first
   * delay after every reset, so a stall that began right after a scrape went unseen). A tick that
   * runs `late` ms late stands for every tick the stall swallowed: it is recorded as `late`,
   * `late - 10`, `late - 20`, ... (what a request arriving 0, 10, 20 ms into the stall waited), so
   * one long stall weighs in the quantiles as much as the time it held the loop. A scrape first
   * records the stall it ends, if any, so the maximum (quantile 1) holds every stall of its window.
   */
  private watchEventLoopDelay(registers: Registry[]): void {
    const histogram = createHistogram();
    const intervalNs = BigInt(EVENT_LOOP_SAMPLE_MS) * 1_000_000n;
    let last = process.hrtime.bigint();
    /** Records how late the loop is now against the tick due `intervalNs` after the previous one. */
    const sample = (): void => {
      const now = process.hrtime.bigint();
      const late = now - last - intervalNs;
      last = now;
      if (late <= 0n) {
        histogram.record(1n);
        return;
      }
      // The ticks the stall swallowed: each would have run that much less late.
      for (let swallowed = late; swallowed > 0n; swallowed -= intervalNs) histogram.record(swallowed);
    };
    const timer = setInterval(sample, EVENT_LOOP_SAMPLE_MS);
    timer.unref();
    const delay: Gauge<'quantile'> = new Gauge({
      name: 'gateway_event_loop_delay_seconds',
      help: 'Event-loop delay a request met since the previous scrape: median (0.5), p99 (0.99) and maximum (1) of every stall.',
      labelNames: ['quantile'],
      registers,
      collect: () => {
        // A scrape read in the same turn as the end of a stall counts it here, not in the next window.
        if (process.hrtime.bigint() - last > intervalNs) sample();
        // Nothing measured since the previous scrape: keep the last values.
        if (histogram.count === 0) return;
        delay.set({ quantile: '0.5' }, histogram.percentile(50) / 1e9);
        delay.set({ quantile: '0.99' }, histogram.percentile(99) / 1e9);
        delay.set({ quantile: '1' }, histogram.max / 1e9);
        histogram.reset();
      },
    });
    this.stopEventLoopMonitor = () => clearInterval(timer);
  }

  /** Stops the event-loop delay monitor (tests build several services in one process). */
  close(): void {
    this.stopEventLoopMonitor?.();
  }

  /** One answered HTTP request. `route` is the matched route template, undefined when none matched. */
  httpResponse(method: string, route: string | undefined, status: number, seconds: number): void {
    const methodLabel = bounded(method, HTTP_METHODS);
    const routeLabel = route ?? UNMATCHED_ROUTE;
    const statusLabel = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER;
    const key = `${methodLabel} ${routeLabel} ${statusLabel}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      series = {
        requests: this.httpRequests.labels(methodLabel, routeLabel, statusLabel),
        duration: this.httpDuration.labels(methodLabel, routeLabel),
      };
      this.httpSeries.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  rateLimited(limit: string): void {
    this.rateLimitedTotal.inc({ limit: bounded(limit, RATE_LIMITS) });
  }

  loginAttempt(outcome: LoginOutcome): void {
    this.loginAttempts.inc({ outcome });
  }

  lockout(scope: LockoutScope): void {
    this.lockouts.inc({ scope });
  }

  passwordVerified(): void {
    this.passwordVerifications.inc();
  }

  refreshRotated(): void {
    this.refreshRotations.inc();
  }

  refreshReuseDetected(): void {
    this.refreshReuse.inc();
  }

  providerCall(outcome: ProviderCallOutcome): void {
    this.providerCalls.inc({ outcome });
  }

  paymentStatus(status: string): void {
    this.payments.inc({ status: bounded(status, PAYMENT_STATUSES) });
  }

  webhookEvent(outcome: WebhookOutcome): void {
    this.webhookEvents.inc({ outcome });
  }

  /** `state` is read on every scrape. */
  watchCircuit(circuit: CircuitName, state: () => CircuitStateName): void {
    this.circuits.set(circuit, state);
  }

  /** `figures` is read on every scrape. */
  watchCircuitFigures(circuit: CircuitName, figures: () => CircuitFigures): void {
    this.circuitFigures.set(circuit, figures);
  }

  /** `figures` is read on every scrape. */
  watchProviderBulkhead(figures: () => BulkheadFigures): void {
    this.providerBulkhead = figures;
  }

  /** How long the latest readiness check of `dependency` took. */
  readinessChecked(dependency: ReadinessDependency, seconds: number): void {
    this.readinessDuration.set({ dependency }, seconds);
  }

  /** The reconciliation worker's period; 0 when it is off. */
  reconcileIntervalIs(seconds: number): void {
    this.reconcileInterval.set(Math.max(0, seconds));
  }

  watchPasswordHashQueue(waiting: () => number): void {
    this.hashQueue = waiting;
  }

  watchDbPool(counts: () => DbPoolCounts): void {
    this.dbPool = counts;
  }

  watchRedisFallback(active: () => boolean): void {
    this.redisFallback = active;
  }

  /** `read` is called at most once per UNKNOWN_PAYMENTS_CACHE_MS, however often Prometheus scrapes. */
  watchUnknownPayments(read: () => Promise<UnknownPaymentsBacklog>): void {
    this.unknownPayments = read;
    this.backlogCache = undefined;
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The cached backlog; undefined (gauges keep their last value) when it cannot be read. */
  private backlog(): Promise<UnknownPaymentsBacklog | undefined> {
    const read = this.unknownPayments;
    if (!read) return Promise.resolve(undefined);
    const now = Date.now();
    if (!this.backlogCache || now - this.backlogCache.at >= UNKNOWN_PAYMENTS_CACHE_MS) {
      this.backlogCache = { at: now, value: read().catch(() => undefined) };
    }
    return this.backlogCache.value;
  }
}
