import { AsyncLocalStorage } from 'node:async_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerJsonBodyParser } from './json-body';

type Done = (error: Error | null, value?: unknown) => void;

/**
 * A Fastify instance with the gateway's JSON parser, recording the callback Fastify hands the
 * parser for each body, and the log-context store seen by the route that the body reaches.
 */
async function instanceRecordingDone(): Promise<{ app: FastifyInstance; dones: Done[]; stores: unknown[] }> {
  const app = Fastify({ logger: false });
  const dones: Done[] = [];
  const stores: unknown[] = [];
  const storage = new AsyncLocalStorage<{ id: string }>();
  const add = app.addContentTypeParser.bind(app) as (...args: unknown[]) => unknown;
  jest.spyOn(app, 'addContentTypeParser').mockImplementation(((
    type: string,
    options: object,
    parser: (request: unknown, body: Buffer, done: Done) => void,
  ) =>
    add(type, options, (request: unknown, body: Buffer, done: Done) => {
      dones.push(done);
      parser(request, body, done);
    })) as never);
  registerJsonBodyParser(app, 1024);
  app.addHook('onRequest', (request, _reply, next) => {
    storage.enterWith({ id: request.id });
    next();
  });
  app.post('/echo', (request) => {
    stores.push(storage.getStore()?.id);
    return request.body;
  });
  await app.ready();
  return { app, dones, stores };
}

/** POST `payload` to /echo as JSON. */
function postJson(app: Awaited<ReturnType<typeof instanceRecordingDone>>['app'], payload: string) {
  return app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });
}

describe('registerJsonBodyParser on Fastify', () => {
  it('gets a plain callback per body, without the accessor properties that AsyncResource.bind() adds', async () => {
    // Fastify 5.11 wrapped this callback with AsyncResource.bind(): its per-call `asyncResource`
    // accessors kept the callback, and through it the request and reply, alive across
    // young-generation collections, so every request with a body was promoted (6-7 KB each).
    const { app, dones, stores } = await instanceRecordingDone();
    try {
      const response = await postJson(app, '{"refreshToken":"abc"}');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ refreshToken: 'abc' });
      expect(dones).toHaveLength(1);
      expect(Object.getOwnPropertyDescriptor(dones[0], 'asyncResource')).toBeUndefined();
      // The request's async context still reaches the handler behind the parser.
      expect(stores).toEqual([expect.any(String)]);
      expect(stores[0]).not.toBe('');
    } finally {
      await app.close();
    }
  });

  it('still refuses a body over the limit and malformed JSON', async () => {
    const { app } = await instanceRecordingDone();
    try {
      const large = await postJson(app, JSON.stringify({ a: 'x'.repeat(2000) }));
      expect(large.statusCode).toBe(413);
      const malformed = await postJson(app, '{"a":');
      expect(malformed.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});
