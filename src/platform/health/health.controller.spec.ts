import { TerminusModule } from '@nestjs/terminus';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { numbersIn } from '../../../test/helpers/json-numbers';
import { PrismaHealthIndicator } from '../database/prisma.health';
import { MetricsService } from '../metrics/metrics.service';
import { RedisHealthIndicator } from '../redis/redis.health';
import { healthConfig } from './health.config';
import { HealthController } from './health.controller';
import { READINESS_DETAILS, type ReadinessDetail } from './readiness-details';
import { ShutdownDrain } from './shutdown-drain';

describe('HealthController (fake indicators)', () => {
  const up = (key: string): Promise<Record<string, { status: string; message?: string }>> =>
    Promise.resolve({ [key]: { status: 'up' } });
  const database = { check: jest.fn(up) };
  const redis = { check: jest.fn(up) };
  const drain = { draining: false };
  const metrics = new MetricsService();
  /** A detail that carries figures, as the provider breaker's once did: none may reach the body. */
  const breaker: ReadinessDetail = {
    report: () =>
      Promise.resolve({
        paymentProvider: {
          status: 'up',
          state: 'open',
          consecutiveFailures: 5,
          failureThreshold: 5,
          probeInFlight: false,
          bulkhead: { maxConcurrent: 20, freeSlots: 19 },
        },
      }),
  };
  let api: ControllerApp;

  beforeAll(async () => {
    api = await controllerApp({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: PrismaHealthIndicator, useValue: database },
        { provide: RedisHealthIndicator, useValue: redis },
        { provide: ShutdownDrain, useValue: drain },
        { provide: MetricsService, useValue: metrics },
        { provide: READINESS_DETAILS, useValue: [breaker] },
        // Every probe checks afresh: the cache is a separate claim (test/foundation/health.e2e-spec.ts).
        { provide: healthConfig.KEY, useValue: { readyCacheMs: 0, shutdownDrainMs: 0 } },
      ],
    });
  });
  afterAll(() => api.close());
  afterEach(() => {
    database.check.mockImplementation(up);
    drain.draining = false;
  });

  it('answers /health/live outside /v1, with no token and without touching a dependency', async () => {
    const res = await api.request({ method: 'GET', url: '/health/live' });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(database.check).not.toHaveBeenCalled();
    expect((await api.request({ method: 'GET', url: '/v1/health/live' })).status).toBe(404);
  });

  it('answers /health/ready 200 when every component is up, 503 with Retry-After when one is down', async () => {
    expect((await api.request({ method: 'GET', url: '/health/ready' })).body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up' } },
    });
    // As the real indicator answers a failure: a resolved result whose status is down.
    database.check.mockImplementation((key: string) =>
      Promise.resolve({ [key]: { status: 'down', message: 'PostgreSQL did not answer' } }),
    );
    const down = await api.request({ method: 'GET', url: '/health/ready' });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
  });

  it('shows each component only as up or down, and the breaker by its state: no number anywhere in the body', async () => {
    database.check.mockImplementation((key: string) =>
      Promise.resolve({ [key]: { status: 'up', latencyMs: 3, poolSize: 10 } }),
    );
    const ready = await api.request({ method: 'GET', url: '/health/ready' });
    expect(ready.status).toBe(200);
    expect(numbersIn(ready.body)).toEqual([]);
    expect(ready.body).toEqual({
      status: 'ok',
      info: {
        database: { status: 'up' },
        redis: { status: 'up' },
        paymentProvider: { status: 'up', state: 'open' },
      },
      error: {},
      details: {
        database: { status: 'up' },
        redis: { status: 'up' },
        paymentProvider: { status: 'up', state: 'open' },
      },
    });

    // A failure reason (it may name a connection state) goes to the log, not to the probe.
    database.check.mockImplementation((key: string) =>
      Promise.resolve({ [key]: { status: 'down', message: 'PostgreSQL did not answer', waitedMs: 1000 } }),
    );
    const down = await api.request({ method: 'GET', url: '/health/ready' });
    expect(down.status).toBe(503);
    expect(numbersIn(down.body)).toEqual([]);
    expect(down.body?.error).toEqual({ database: { status: 'down' } });
    expect(JSON.stringify(down.body)).not.toContain('PostgreSQL');
  });

  it('records how long each dependency check took on the metrics listener, not in the body', async () => {
    await api.request({ method: 'GET', url: '/health/ready' });
    const exposition = (await metrics.exposition()).body;
    expect(exposition).toMatch(/^gateway_readiness_check_duration_seconds\{dependency="database"\} \d/m);
    expect(exposition).toMatch(/^gateway_readiness_check_duration_seconds\{dependency="redis"\} \d/m);
  });

  it('answers 503 while draining for shutdown, whatever the components say', async () => {
    drain.draining = true;
    const res = await api.request({ method: 'GET', url: '/health/ready' });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { shutdown: { status: 'down', message: 'draining' } } });
  });
});
