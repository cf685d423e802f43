import { Test } from '@nestjs/testing';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { CircuitOpenBeforeCallError, ProviderResilience, upstreamNotCalled } from './provider-resilience';
import { resilienceConfig } from './resilience.config';
import { UpstreamUnavailableError } from './upstream-errors';

const HALF_OPEN_AFTER_MS = 60_000;
const THRESHOLD = 3;

/** A promise the spec settles when it chooses (a provider call still on its way). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ProviderResilience (breaker claims, fake metrics)', () => {
  const metrics = {
    watchCircuit: jest.fn(),
    watchCircuitFigures: jest.fn(),
    watchProviderBulkhead: jest.fn(),
    providerCall: jest.fn(),
  };
  let resilience: ProviderResilience;
  let calls: number;
  const failing = (): Promise<never> => {
    calls += 1;
    return Promise.reject(new UpstreamUnavailableError('payment provider', 'HTTP 503', 503));
  };
  const answering =
    <T>(value: T) =>
    (): Promise<T> => {
      calls += 1;
      return Promise.resolve(value);
    };

  beforeEach(async () => {
    // Only the clock is fake (the half-open delay is measured with Date.now); timers stay real.
    jest.useFakeTimers({ doNotFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'nextTick', 'queueMicrotask'] });
    calls = 0;
    jest.clearAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [
        ProviderResilience,
        { provide: MetricsService, useValue: metrics },
        {
          provide: resilienceConfig.KEY,
          useValue: {
            timeoutMs: 5_000,
            retries: 0,
            circuitFailureThreshold: THRESHOLD,
            circuitHalfOpenAfterMs: HALF_OPEN_AFTER_MS,
            maxConcurrency: 4,
            maxQueue: 4,
          },
        },
      ],
    }).compile();
    resilience = moduleRef.get(ProviderResilience);
  });
  afterEach(() => jest.useRealTimers());

  async function trip(): Promise<void> {
    for (let i = 0; i < THRESHOLD; i++)
      await expect(resilience.execute(failing)).rejects.toThrow(UpstreamUnavailableError);
  }

  it('passes answers through while closed, and counts a refusal (an answer) as a success', async () => {
    await expect(resilience.execute(answering({ status: 'failed' }))).resolves.toEqual({ status: 'failed' });
    expect(resilience.state).toBe('closed');
    expect(metrics.providerCall).toHaveBeenCalledWith('success');
    expect(metrics.watchCircuit).toHaveBeenCalledWith('payment_provider', expect.any(Function));
  });

  it('feeds its figures and its bulkhead to the metrics listener, read on every scrape', async () => {
    const figures = (): unknown => (metrics.watchCircuitFigures.mock.calls.at(-1) as [string, () => unknown])[1]();
    const bulkhead = (): unknown => (metrics.watchProviderBulkhead.mock.calls.at(-1) as [() => unknown])[0]();
    expect(metrics.watchCircuitFigures).toHaveBeenCalledWith('payment_provider', expect.any(Function));
    expect(figures()).toMatchObject({ consecutiveFailures: 0, failureThreshold: THRESHOLD, retryAfterSeconds: 0 });
    await expect(resilience.execute(failing)).rejects.toThrow(UpstreamUnavailableError);
    expect(figures()).toMatchObject({ consecutiveFailures: 1, opened: 0, probeInFlight: false });
    expect(bulkhead()).toEqual(resilience.snapshot().bulkhead);
  });

  it(`opens after ${THRESHOLD} consecutive transient failures, and a success in between resets the count`, async () => {
    await expect(resilience.execute(failing)).rejects.toThrow(UpstreamUnavailableError);
    await expect(resilience.execute(failing)).rejects.toThrow(UpstreamUnavailableError);
    await resilience.execute(answering('ok'));
    expect(resilience.snapshot().consecutiveFailures).toBe(0);
    await trip();
    expect(resilience.state).toBe('open');
    expect(resilience.snapshot()).toMatchObject({ opened: 1, retryAfterSeconds: HALF_OPEN_AFTER_MS / 1000 });
  });

  it('while open, refuses without calling the provider, so nothing can have been charged', async () => {
    await trip();
    const before = calls;
    const refused = await resilience.execute(answering('charged')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CircuitOpenBeforeCallError);
    expect(upstreamNotCalled(refused)).toBe(true);
    expect(calls).toBe(before);
    expect(resilience.admitsNewCall()).toBe(false);
    expect(metrics.providerCall).toHaveBeenCalledWith('circuit_open');
  });

  it('after the half-open delay lets exactly one probe through, and its success closes the breaker', async () => {
    await trip();
    jest.setSystemTime(Date.now() + HALF_OPEN_AFTER_MS);
    expect(resilience.state).toBe('half-open');
    expect(resilience.admitsNewCall()).toBe(true);
    const answer = deferred<string>();
    const probe = resilience.execute(() => {
      calls += 1;
      return answer.promise;
    });
    // The probe is on its way: every other call is refused at once, without reaching the provider.
    expect(resilience.admitsNewCall()).toBe(false);
    const before = calls;
    await expect(resilience.execute(answering('second'))).rejects.toBeInstanceOf(CircuitOpenBeforeCallError);
    expect(calls).toBe(before);
    answer.resolve('probe answered');
    await expect(probe).resolves.toBe('probe answered');
    expect(resilience.state).toBe('closed');
    expect(resilience.admitsNewCall()).toBe(true);
  });

  it('reopens when the probe fails, for another full half-open delay', async () => {
    await trip();
    jest.setSystemTime(Date.now() + HALF_OPEN_AFTER_MS);
    await expect(resilience.execute(failing)).rejects.toThrow(UpstreamUnavailableError);
    expect(resilience.state).toBe('open');
    expect(resilience.snapshot()).toMatchObject({ opened: 2, retryAfterSeconds: HALF_OPEN_AFTER_MS / 1000 });
    expect(resilience.admitsNewCall()).toBe(false);
  });

  it('does not count an error that is not the provider trouble (a bug in the caller) towards opening', async () => {
    for (let i = 0; i < THRESHOLD + 1; i++) {
      await expect(resilience.execute(() => Promise.reject(new TypeError('bug')))).rejects.toThrow(TypeError);
    }
    expect(resilience.state).toBe('closed');
  });
});
