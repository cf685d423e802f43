import { Writable } from 'node:stream';
import fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { storage } from 'nestjs-pino/storage';
import { accessLogLevel, isProbe, registerAccessLog } from './access-log';

type Line = Record<string, unknown> & { req?: { id: string; url: string; method: string }; msg?: string };

describe('access log and request context (Fastify hooks)', () => {
  let app: FastifyInstance;
  let url: string;
  const lines: Line[] = [];
  let seq = 0;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    const root = pino(
      {
        level: 'info',
        redact: { paths: ['*.token'], censor: '[REDACTED]' },
        hooks: { streamWrite: (line: string) => line.replaceAll('configured-secret', '[REDACTED]') },
      },
      sink,
    );
    app = fastify({ genReqId: () => `r-${++seq}` });
    registerAccessLog(app, root);
    const inContext = (msg: string) => storage.getStore()?.logger.info(msg);
    app.post('/work', async (request) => {
      // Interleave with the other requests: body parsed, then several awaits, then a log line.
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      inContext(`inside ${(request.body as { n: number }).n}`);
      await new Promise((r) => setImmediate(r));
      inContext(`after ${(request.body as { n: number }).n}`);
      return { id: request.id };
    });
    app.get('/fail', async (_request, reply) => reply.code(503).send({}));
    app.get('/missing', async (_request, reply) => reply.code(404).send({}));
    app.get('/health/live', () => Promise.resolve({ status: 'ok' }));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('ties every line logged during a request to that request, under concurrency on shared connections', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, n) => {
        const res = await fetch(`${url}/work?secret=query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n }),
        });
        return { n, id: ((await res.json()) as { id: string }).id };
      }),
    );
    for (const { n, id } of answers) {
      for (const prefix of ['inside', 'after']) {
        const line = lines.find((l) => l.msg === `${prefix} ${n}`);
        expect(line?.req).toEqual(expect.objectContaining({ id, method: 'POST', url: '/work' }));
      }
      const access = lines.filter((l) => l.msg === 'request completed' && l.req?.id === id);
      expect(access).toHaveLength(1);
      expect(access[0]).toMatchObject({ level: 30, res: { statusCode: 200 }, responseTime: expect.any(Number) });
    }
    expect(JSON.stringify(lines)).not.toContain('secret=query');
  });

  it('logs 4xx at warn and 5xx at error, and never the probes', async () => {
    for (const path of ['/missing', '/fail', '/health/live']) await (await fetch(url + path)).arrayBuffer();
    const completed = (path: string) => lines.filter((l) => l.msg === 'request completed' && l.req?.url === path);
    expect(completed('/missing').map((l) => l.level)).toEqual([40]);
    expect(completed('/fail').map((l) => l.level)).toEqual([50]);
    expect(completed('/health/live')).toHaveLength(0);
  });

  it('exempts exactly the two probe paths (any query string), not everything under /health/', () => {
    for (const url of ['/health/live', '/health/ready', '/health/ready?full=1'])
      expect([url, isProbe({ url })]).toEqual([url, true]);
    for (const url of [
      '/health/livex',
      '/health/ready/../x',
      '/health/',
      '/health/live/',
      '/health/x?/health/live',
      '/v1/health/live',
    ])
      expect([url, isProbe({ url })]).toEqual([url, false]);
  });

  it('masks configured secret values in the access line, as on every other line', async () => {
    await (await fetch(`${url}/missing/configured-secret`)).arrayBuffer();
    const line = lines.find((l) => l.msg === 'request completed' && l.req?.url.startsWith('/missing/'));
    expect(line?.req?.url).toBe('/missing/[REDACTED]');
    expect(JSON.stringify(lines)).not.toContain('configured-secret');
  });

  it('maps status codes to levels', () => {
    expect([200, 302, 400, 429, 500, 504].map(accessLogLevel)).toEqual([
      'info',
      'info',
      'warn',
      'warn',
      'error',
      'error',
    ]);
  });
});
