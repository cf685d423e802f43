import { http } from '../helpers/app';
import { randomSecret, testVariables } from '../helpers/env';
import { freePort, PrivateRedis, startBuiltServer, waitForReady } from '../helpers/processes';

/** How long an instance under test drains after SIGTERM: readiness answers 503 meanwhile. */
const DRAIN_MS = 5000;

/** Polls `/health/ready` until it answers `status` (or the drain would be over), then returns that answer. */
async function readyStatusUntil(url: string, status: number): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + DRAIN_MS;
  let last = await http(url, 'GET', '/health/ready');
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await http(url, 'GET', '/health/ready');
  }
  return last;
}

describe('the built server (node dist/main.js)', () => {
  it('serves probes and the OpenAPI document outside production, and stops cleanly on SIGTERM', async () => {
    const server = await startBuiltServer(testVariables({ LOG_LEVEL: 'info', DOCS_ENABLED: undefined }));
    try {
      await waitForReady(server.url);
      const docs = await http(server.url, 'GET', '/docs-json');
      expect(docs.status).toBe(200);
      expect(docs.body).toHaveProperty('openapi');
    } finally {
      const exit = await server.stop();
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    }
    // Every log line is JSON (structured logging from the first line on).
    for (const line of server.output().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('with PROBE_PORT, also answers the probes (and the rest) on that port, and stops with the public port', async () => {
    const probePort = await freePort();
    const server = await startBuiltServer(
      testVariables({ PROBE_PORT: String(probePort), SHUTDOWN_DRAIN_MS: String(DRAIN_MS) }),
    );
    const probeUrl = `http://127.0.0.1:${probePort}`;
    let exiting: ReturnType<typeof server.stop> | undefined;
    try {
      await waitForReady(probeUrl);
      const live = await http(probeUrl, 'GET', '/health/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
      // The same application: its headers, and the same answer to an unknown path.
      expect(live.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await http(probeUrl, 'GET', '/v1/not-a-route')).status).toBe(404);
      // The same protections: a route nobody opened needs a token here too, and a forged one fails.
      const anonymous = await http(probeUrl, 'GET', '/v1/auth/me');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
      const forged = await http(probeUrl, 'GET', '/v1/auth/me', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
      expect(forged.status).toBe(401);
      // While the instance drains after SIGTERM, readiness on the probe port says so.
      exiting = server.stop();
      const draining = await readyStatusUntil(probeUrl, 503);
      expect(draining.status).toBe(503);
      expect(JSON.stringify(draining.body)).toContain('draining');
    } finally {
      const exit = await (exiting ?? server.stop());
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    }
    await expect(fetch(`${probeUrl}/health/live`)).rejects.toThrow();
    expect(server.output()).toContain(`Probes also on port ${probePort}`);
  });

  it('in production: boots with Redis credentials and keeps /docs off', async () => {
    const password = randomSecret(18);
    const redis = await PrivateRedis.start({ password });
    try {
      const server = await startBuiltServer(
        testVariables({ NODE_ENV: 'production', DOCS_ENABLED: undefined, REDIS_URL: redis.url(), LOG_LEVEL: 'info' }),
      );
      try {
        await waitForReady(server.url);
        expect((await http(server.url, 'GET', '/docs-json')).status).toBe(404);
      } finally {
        await server.stop();
      }
      expect(server.output()).not.toContain(password);
    } finally {
      await redis.destroy();
    }
  });

  it('opens CORS only to the configured origins', async () => {
    const server = await startBuiltServer(testVariables({ CORS_ORIGINS: 'https://app.example.test' }));
    try {
      const allowed = await http(server.url, 'GET', '/health/live', {
        headers: { origin: 'https://app.example.test' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
      const other = await http(server.url, 'GET', '/health/live', { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.stop();
    }
  });
});
