import { TerminusModule } from '@nestjs/terminus';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { PrismaHealthIndicator } from '../database/prisma.health';
import { RedisHealthIndicator } from '../redis/redis.health';
import { healthConfig } from './health.config';
import { HealthController } from './health.controller';
import { ShutdownDrain } from './shutdown-drain';

describe('HealthController (fake indicators)', () => {
  const up = (key: string): Promise<Record<string, { status: string; message?: string }>> =>
    Promise.resolve({ [key]: { status: 'up' } });
  const database = { check: jest.fn(up) };
  const redis = { check: jest.fn(up) };
  const drain = { draining: false };
  let api: ControllerApp;

  beforeAll(async () => {
    api = await controllerApp({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: PrismaHealthIndicator, useValue: database },
        { provide: RedisHealthIndicator, useValue: redis },
        { provide: ShutdownDrain, useValue: drain },
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

  it('answers 503 while draining for shutdown, whatever the components say', async () => {
    drain.draining = true;
    const res = await api.request({ method: 'GET', url: '/health/ready' });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { shutdown: { status: 'down', message: 'draining' } } });
  });
});
