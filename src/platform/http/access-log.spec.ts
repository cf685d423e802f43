import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
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

  // The store stays on the connection's HTTP parser between requests: what it references lives as
  // long as an idle keep-alive connection. Run in a child with --expose-gc to collect for real.
  it('does not keep the last request of an idle keep-alive connection alive, and still logs its id', async () => {
    const script = `
      const { Agent, request } = require('node:http');
      const fastify = require('fastify');
      const pino = require('pino');
      const { storage } = require('nestjs-pino/storage');
      const { registerAccessLog } = require(${JSON.stringify(join(__dirname, 'access-log.ts'))});
      (async () => {
        const lines = [];
        const root = pino({ level: 'info' }, { write: (line) => lines.push(JSON.parse(line)) });
        const app = fastify({ genReqId: () => 'kept-alive-1', bodyLimit: 1 << 20 });
        registerAccessLog(app, root);
        let held;
        app.post('/big', async (req) => {
          held = { request: new WeakRef(req), raw: new WeakRef(req.raw), body: new WeakRef(req.body) };
          storage.getStore().logger.info('during');
          setTimeout(() => storage.getStore().logger.info('after the response'), 20);
          return {};
        });
        const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        await new Promise((resolve, reject) => {
          const headers = { 'content-type': 'application/json', 'x-large': 'h'.repeat(8000) };
          const req = request({ agent, host: url.hostname, port: url.port, path: '/big', method: 'POST', headers }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end(JSON.stringify({ large: 'b'.repeat(200000) }));
        });
        for (let i = 0; i < 5; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          global.gc();
        }
        const idle = agent.freeSockets[Object.keys(agent.freeSockets)[0]] ?? [];
        process.stdout.write(JSON.stringify({
          idleConnections: idle.length,
          alive: Object.keys(held).filter((key) => held[key].deref() !== undefined),
          ids: Object.fromEntries(lines.map((line) => [line.msg, line.req && line.req.id])),
        }));
        agent.destroy();
        await app.close();
      })();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '../../..'),
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      idleConnections: 1,
      alive: [],
      ids: { during: 'kept-alive-1', 'after the response': 'kept-alive-1', 'request completed': 'kept-alive-1' },
    });
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
