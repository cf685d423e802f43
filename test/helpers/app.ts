import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.factory';
import type { AppModuleOptions } from '../../src/app.module';
import { PrismaService } from '../../src/platform/database/prisma.service';
import type { Env } from '../../src/platform/config/environment';
import { testEnv } from './env';
import { expectDocumented, registerGateway } from './openapi-contract';

export interface TestApp {
  app: NestFastifyApplication;
  env: Env;
  /** Base URL of the real HTTP listener, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  /** The raw log text (to search for leaked values). */
  rawLogs: () => string;
  close: () => Promise<void>;
}

/**
 * Starts the real application (same factory as production) on an ephemeral port. `beforeListen`
 * sees the app before its routes are registered (to add Fastify hooks such as onRoute).
 */
export async function startApp(
  overrides: Record<string, string | undefined> = {},
  options: Pick<AppModuleOptions, 'imports'> & { beforeListen?: (app: NestFastifyApplication) => void } = {},
): Promise<TestApp> {
  const env = testEnv({ LOG_LEVEL: 'info', ...overrides });
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const { beforeListen, ...appOptions } = options;
  const app = await createApp(env, { logDestination: destination, ...appOptions });
  beforeListen?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  // Open the first pool connection now, so a suite's first readiness probe does not pay for it
  // (on a loaded CI machine that can exceed the probe's 1 s budget). Failure is fine: some suites
  // point the app at a database that is down on purpose.
  await app.get(PrismaService).$queryRaw`SELECT 1`.catch(() => undefined);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  registerGateway(`http://127.0.0.1:${port}`);
  return {
    app,
    env,
    url: `http://127.0.0.1:${port}`,
    get logs() {
      return chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    rawLogs: () => chunks.join(''),
    close: () => app.close(),
  };
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * A real HTTP request (no in-process injection): what a client on the network would see. When
 * `baseUrl` is a gateway under test, the response is checked against the OpenAPI document
 * (test/helpers/openapi-contract.ts): an undocumented status or a body that does not match the
 * documented schema fails the calling test.
 */
export async function http<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string>; token?: string } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: callers look at `text`
  }
  await expectDocumented(baseUrl, method, path, {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: parsed,
    text,
  });
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** Asserts the RFC 9457 shape every error of this API must have. */
export function expectProblem(result: HttpResult, status: number, code: string): void {
  expect({ status: result.status, code: result.body?.code }).toEqual({ status, code });
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(result.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.any(String),
      code,
      requestId: expect.any(String),
    }),
  );
  expect(result.text).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT |prisma\./i);
}
