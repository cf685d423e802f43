import { randomUUID } from 'node:crypto';
import { createUser, login, randomEmail } from '../auth/fixtures';
import { http, startApp, TestApp } from '../helpers/app';
import { ProviderStandIn } from '../helpers/provider-stand-in';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('API conventions: Location on 201, and an OpenAPI document that tells the whole truth', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let adminToken: string;
  let doc: Json;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({ PAYMENT_PROVIDER_URL: provider.url, DOCS_ENABLED: 'true' });
    adminToken = (await login(gw, await createUser(gw, 'admin'))).accessToken;
    const res = await http(gw.url, 'GET', '/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Json;
  });
  afterAll(async () => {
    await gw?.close();
    await provider?.close();
  });

  it('answers POST /v1/payments 201 with a Location that reads the payment back', async () => {
    provider.behave({ kind: 'succeed' });
    const res = await http(gw.url, 'POST', '/v1/payments', {
      token: adminToken,
      headers: { 'idempotency-key': `loc-${randomUUID()}` },
      body: { amount: 500, currency: 'EUR', recipientId: randomUUID() },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/payments/${String(res.body.id)}`);
    const read = await http(gw.url, 'GET', res.headers.get('location') as string, { token: adminToken });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(res.body.id);
  });

  it('answers POST /v1/admin/users 201 with a Location that reads the user back (GET /v1/admin/users/:id)', async () => {
    const email = randomEmail();
    const res = await http(gw.url, 'POST', '/v1/admin/users', {
      token: adminToken,
      body: { email, password: `pw-${randomUUID()}`, role: 'user' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/admin/users/${String(res.body.id)}`);
    const read = await http(gw.url, 'GET', res.headers.get('location') as string, { token: adminToken });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: res.body.id, email, role: 'user' });
    expect((await http(gw.url, 'GET', `/v1/admin/users/${randomUUID()}`, { token: adminToken })).status).toBe(404);
    expect((await http(gw.url, 'GET', '/v1/admin/users/not-a-uuid', { token: adminToken })).status).toBe(400);
  });

  it('documents the shared problem answers of every /v1 operation, with the RateLimit headers', () => {
    const problemRef = '#/components/schemas/Problem';
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']),
    );
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(item as Json)) {
        const responses = (op as Json).responses as Json;
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, has429: Boolean(responses['429']) }).toEqual({ where, has429: true });
        expect(responses['429'].headers['Retry-After']).toBeDefined();
        expect(responses['429'].content['application/problem+json'].schema.$ref).toBe(problemRef);
        expect(responses['503']).toBeDefined();
        for (const [status, response] of Object.entries(responses)) {
          if (/^[24]/.test(status)) expect((response as Json).headers.RateLimit).toBeDefined();
        }
        if ((op as Json).security?.length) expect(responses['401']).toBeDefined();
        if ((op as Json).requestBody) {
          for (const status of ['400', '413', '415'])
            expect({ where, status, ok: !!responses[status] }).toEqual({ where, status, ok: true });
        }
      }
    }
  });

  it('documents the route-specific answers the routes really give', () => {
    const statuses = (path: string, method: string): string[] => Object.keys(doc.paths[path][method].responses);
    expect(statuses('/v1/payments', 'post')).toEqual(expect.arrayContaining(['201', '409', '502', '503', '504']));
    expect(statuses('/v1/payments/{id}', 'get')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '429']));
    expect(statuses('/v1/auth/login', 'post')).toEqual(expect.arrayContaining(['200', '401', '423', '429']));
    expect(statuses('/v1/admin/users/{id}', 'patch')).toEqual(expect.arrayContaining(['200', '403', '404', '409']));
    expect(doc.paths['/v1/payments'].post.responses['201'].headers.Location).toBeDefined();
  });

  it('documents Idempotency-Key with its pattern and length, and closes every request body', () => {
    const header = (doc.paths['/v1/payments'].post.parameters as Json[]).find((p) => p.name === 'Idempotency-Key');
    expect(header).toMatchObject({ in: 'header', required: true });
    expect(header?.schema).toMatchObject({ pattern: '^[A-Za-z0-9_-]{8,64}$', minLength: 8, maxLength: 64 });
    for (const name of ['LoginDto', 'RefreshTokenDto', 'CreatePaymentDto', 'CreateUserDto', 'UpdateUserDto']) {
      expect({ name, additionalProperties: doc.components.schemas[name].additionalProperties }).toEqual({
        name,
        additionalProperties: false,
      });
    }
  });
});
