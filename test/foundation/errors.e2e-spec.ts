import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { ProbeModule } from './probe.module';

describe('one error format: application/problem+json for every failure [gate:1.4.5] [gate:1.4.8]', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ BODY_LIMIT_BYTES: '2048' }, { imports: [ProbeModule] });
  });
  afterAll(() => gw.close());

  const valid = { amount: 5, address: { line1: 'x' } };

  it('accepts a valid body (the probe works)', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe', { body: valid });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(valid);
  });

  it('answers malformed JSON with 400 VALIDATION_FAILED [gate:1.4.6]', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: '{"amount": 5,',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });

  it('answers a wrong content type with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await http(gw.url, 'POST', '/v1/probe', { rawBody: 'amount=5', headers: { 'content-type': type } });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses a compressed body with 415 and Accept-Encoding: identity, never reading it as plain JSON', async () => {
    for (const encoding of ['gzip', 'deflate', 'br', 'gzip, identity', 'x-unknown']) {
      const res = await http(gw.url, 'POST', '/v1/probe', {
        rawBody: JSON.stringify(valid),
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.headers.get('accept-encoding')).toBe('identity');
    }
    const identity = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: JSON.stringify(valid),
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    expect(identity.status).not.toBe(415);
  });

  it('answers an oversized body with 413', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe', { body: { ...valid, pad: 'x'.repeat(4096) } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers an unknown route with 404', async () => {
    expectProblem(await http(gw.url, 'GET', '/v1/does-not-exist'), 404, 'NOT_FOUND');
    expectProblem(await http(gw.url, 'DELETE', '/nothing/here'), 404, 'NOT_FOUND');
  });

  it('rejects unknown fields at the top level and nested, naming their paths [gate:1.4.3] [gate:1.4.4] [gate:1.4.7]', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe', {
      body: { ...valid, admin: true, address: { line1: 'x', evil: 1 } },
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'admin', message: 'is not an allowed field' },
        { field: 'address.evil', message: 'is not an allowed field' },
      ]),
    );
  });

  it('does not convert types implicitly ("5" is not an integer) [gate:1.4.6]', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe', { body: { ...valid, amount: '5' } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'amount' })]));
  });

  it.each([
    '{"__proto__": {"admin": true}, "amount": 5, "address": {"line1": "x"}}',
    '{"constructor": {"prototype": {"x": 1}}, "amount": 5}',
  ])('rejects prototype-poisoning keys: %s [gate:1.4.6]', async (raw) => {
    const res = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: raw,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('answers an unexpected exception with a generic 500, logging the detail server-side only', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe/boom', { body: {} });
    expectProblem(res, 500, 'INTERNAL_ERROR');
    expect(res.text).not.toContain('internal detail');
    expect(res.text).not.toContain('SELECT');
    expect(gw.rawLogs()).toContain('internal detail');
  });

  it('keeps a well-formed incoming X-Request-Id and echoes it, in header and body', async () => {
    const id = 'trace-1234abcd';
    const res = await http(gw.url, 'GET', '/v1/nowhere', { headers: { 'x-request-id': id } });
    expect(res.headers.get('x-request-id')).toBe(id);
    expect(res.body.requestId).toBe(id);
  });

  it('replaces a malformed X-Request-Id with a generated one', async () => {
    const res = await http(gw.url, 'GET', '/v1/nowhere', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('sets security headers and keeps CORS closed by default', async () => {
    const res = await http(gw.url, 'GET', '/health/live', { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
