import { http } from '../helpers/app';
import { randomSecret, testVariables } from '../helpers/env';
import { PrivateRedis, startBuiltServer, waitForReady } from '../helpers/processes';

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
