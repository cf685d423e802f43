import { http, startApp, TestApp } from '../helpers/app';
import { numbersIn } from '../helpers/json-numbers';
import { metricsUrl, scrape } from '../helpers/metrics';
import { freePort, PrivateRedis } from '../helpers/processes';
import { waitFor } from '../../tools/harness';

describe('health probes', () => {
  describe('with PostgreSQL and Redis up', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ METRICS_PORT: '0' });
    });
    afterAll(() => gw.close());

    it('/health/live answers 200 without touching dependencies', async () => {
      const res = await http(gw.url, 'GET', '/health/live');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('probes are not access-logged (they would drown the log), other requests are', async () => {
      await http(gw.url, 'GET', '/health/live');
      await http(gw.url, 'GET', '/health/ready');
      await http(gw.url, 'GET', '/v1/not-a-route');
      const urls = gw.logs.map((l) => (l.req as { url?: string } | undefined)?.url).filter(Boolean);
      expect(urls).toContain('/v1/not-a-route');
      expect(urls.filter((u) => String(u).startsWith('/health/'))).toEqual([]);
    });

    it('/health/ready answers 200 in terminus shape [gate:1.1.1] [gate:1.1.2] [gate:1.6.3]', async () => {
      const res = await http(gw.url, 'GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    });

    it('/health/ready shows each component only as up or down and the breaker by its state; its figures are metrics', async () => {
      const res = await http(gw.url, 'GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(numbersIn(res.body)).toEqual([]);
      const components = {
        database: { status: 'up' },
        redis: { status: 'up' },
        paymentProvider: { status: 'up', state: 'closed' },
      };
      expect(res.body).toEqual({ status: 'ok', info: components, error: {}, details: components });

      const metrics = await scrape(metricsUrl(gw));
      const circuit = { circuit: 'payment_provider' };
      expect(metrics.series('gateway_circuit_consecutive_failures', circuit)).toHaveLength(1);
      expect(metrics.value('gateway_circuit_failure_threshold', circuit)).toBe(5); // the default
      expect(metrics.series('gateway_provider_bulkhead_free_slots')).toHaveLength(2);
      expect(metrics.series('gateway_readiness_check_duration_seconds')).toHaveLength(2);
      expect(metrics.has('gateway_payments_unknown')).toBe(true);
    });
  });

  describe('when Redis goes away and comes back', () => {
    let redis: PrivateRedis;
    let gw: TestApp;
    beforeAll(async () => {
      redis = await PrivateRedis.start();
      gw = await startApp({ REDIS_URL: redis.url() });
    });
    afterAll(async () => {
      await gw.close();
      await redis.destroy();
    });

    it('readiness is 503 with details while Redis is down, liveness stays 200, and both recover [gate:1.1.2]', async () => {
      await redis.stop();
      const down = await http(gw.url, 'GET', '/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
        details: { database: { status: 'up' } },
      });
      expect(numbersIn(down.body)).toEqual([]);
      expect(down.text).not.toMatch(/connection|did not answer/i);
      expect((await http(gw.url, 'GET', '/health/live')).status).toBe(200);

      await redis.start();
      // The client reconnects with backoff: wait for it (bounded) rather than for a fixed time.
      let status = 0;
      await waitFor('readiness after Redis came back', async () => {
        status = (await http(gw.url, 'GET', '/health/ready')).status;
        return status === 200;
      }).catch(() => undefined);
      expect(status).toBe(200);
    });
  });

  describe('when PostgreSQL is unreachable', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({
        DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/nowhere`,
        DB_POOL_TIMEOUT_MS: '500',
      });
    });
    afterAll(() => gw.close());

    it('readiness is 503 naming the database, liveness 200 [gate:1.6.6]', async () => {
      const res = await http(gw.url, 'GET', '/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
      expect(res.text).not.toMatch(/postgresql:\/\//);
      expect((await http(gw.url, 'GET', '/health/live')).status).toBe(200);
    });
  });
});
