import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createSignedInUser, createUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { dbSnapshot } from '../helpers/db-snapshot';

/**
 * What else an attacker tries after issue 12's reproductions: lookalike characters, duplicate
 * keys, charset tricks, huge numbers, query-string arrays. Each is a clear 4xx that changes nothing.
 */
describe('attacker probes that must hold [gate:1.4.6]', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let alice: SignedInUser;
  let admin: SignedInUser;

  beforeAll(async () => {
    gw = await startApp({ PAYMENT_CURRENCIES: 'EUR,USD,GBP' });
    prisma = gw.app.get(PrismaService);
    [alice, admin] = await Promise.all([createSignedInUser(gw), createSignedInUser(gw, 'admin')]);
  });
  afterAll(() => gw.close());

  const pay = (body: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    http(gw.url, 'POST', '/v1/payments', {
      rawBody: body,
      token: alice.token,
      headers: { 'content-type': 'application/json', 'idempotency-key': `probe-${randomUUID()}`, ...headers },
    });
  const payment = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({ amount: 1250, currency: 'EUR', recipientId: randomUUID(), ...overrides });

  async function unchanged(act: () => Promise<HttpResult>, status: number, code: string): Promise<HttpResult> {
    const before = await dbSnapshot(prisma, [alice.id, admin.id]);
    const res = await act();
    expectProblem(res, status, code);
    expect(await dbSnapshot(prisma, [alice.id, admin.id])).toEqual(before);
    return res;
  }

  const fields = (res: HttpResult) => ((res.body.errors as { field: string }[] | undefined) ?? []).map((e) => e.field);

  describe('duplicate JSON keys (two parsers could disagree on which one counts)', () => {
    it.each([
      '{"amount":1,"amount":100000,"currency":"EUR","recipientId":"00000000-0000-4000-8000-000000000000"}',
      '{"amount":1,"\\u0061mount":2,"currency":"EUR","recipientId":"00000000-0000-4000-8000-000000000000"}',
    ])('are refused: %s', async (body) => {
      const res = await unchanged(() => pay(body), 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'amount', message: 'appears more than once' }]);
    });

    it('a role given twice to PATCH is refused, not last-one-wins', async () => {
      const target = await createUser(gw);
      await unchanged(
        () =>
          http(gw.url, 'PATCH', `/v1/admin/users/${target.id}`, {
            token: admin.token,
            rawBody: '{"role":"user","role":"admin"}',
            headers: { 'content-type': 'application/json' },
          }),
        400,
        'VALIDATION_FAILED',
      );
      expect((await prisma.user.findUniqueOrThrow({ where: { id: target.id } })).role).toBe('user');
    });
  });

  describe('unicode lookalikes', () => {
    it.each([
      ['a Cyrillic "а" in a key', payment().replace('"amount"', '"\u0430mount"'), '\u0430mount'],
      ['a zero-width space in a key', payment().replace('"amount"', '"amount\u200b"'), 'amount\u200b'],
      ['fullwidth currency letters', payment({ currency: '\uff25\uff35\uff32' }), 'currency'],
      ['a Cyrillic "Е" in the currency', payment({ currency: '\u0415UR' }), 'currency'],
      [
        'fullwidth digits in recipientId',
        payment({ recipientId: '\uff10'.repeat(8) + '-0000-4000-8000-000000000000' }),
        'recipientId',
      ],
    ])('%s is refused', async (_what, body, field) => {
      const res = await unchanged(() => pay(body), 400, 'VALIDATION_FAILED');
      expect(fields(res)).toContain(field);
    });

    it('a lookalike role ("аdmin", Cyrillic а) cannot promote', async () => {
      const target = await createUser(gw);
      await unchanged(
        () =>
          http(gw.url, 'PATCH', `/v1/admin/users/${target.id}`, { token: admin.token, body: { role: '\u0430dmin' } }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('charset and content-type tricks', () => {
    it.each(['utf-16', 'utf-16le', 'latin1', 'iso-8859-1', 'utf-7', '"utf-16"'])(
      'charset=%s is 415',
      async (charset) => {
        await unchanged(
          () => pay(payment(), { 'content-type': `application/json; charset=${charset}` }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      },
    );

    it('a UTF-16 encoded body is refused, not half-read', async () => {
      const body = Buffer.from(payment(), 'utf16le');
      const res = await unchanged(
        () =>
          http(gw.url, 'POST', '/v1/payments', {
            rawBody: body,
            token: alice.token,
            headers: { 'content-type': 'application/json', 'idempotency-key': `probe-${randomUUID()}` },
          }),
        400,
        'VALIDATION_FAILED',
      );
      expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    });

    it('a byte-order mark is not valid JSON', async () => {
      await unchanged(() => pay(`\ufeff${payment()}`), 400, 'VALIDATION_FAILED');
    });

    it.each([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
    ])('content-type %s is 415', async (type) => {
      await unchanged(() => pay(payment(), { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('charset=UTF-8 in any case, quoted or not, is accepted as JSON (reaches validation)', async () => {
      for (const charset of ['UTF-8', 'utf8', '"utf-8"']) {
        const res = await unchanged(
          () => pay(payment({ amount: 0 }), { 'content-type': `application/json; charset=${charset}` }),
          400,
          'VALIDATION_FAILED',
        );
        expect(fields(res)).toEqual(['amount']);
      }
    });
  });

  describe('huge and odd numbers', () => {
    it.each([
      ['1e400 (Infinity after parsing)', '1e400'],
      ['2^53 + 1', '9007199254740993'],
      ['a 300-digit integer', '9'.repeat(300)],
      ['-0', '-0'],
      ['a fraction above the maximum', '100000001.5'],
      ['a negative', '-1250'],
    ])('amount %s is 400 with one message', async (_what, amount) => {
      const body = `{"amount":${amount},"currency":"EUR","recipientId":"${randomUUID()}"}`;
      const res = await unchanged(() => pay(body), 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'amount', message: expect.any(String) }]);
    });

    it('page numbers past 9 digits are refused, not wrapped', async () => {
      const res = await http(gw.url, 'GET', '/v1/admin/users?page=99999999999999999999', { token: admin.token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    });
  });

  describe('query-string arrays and odd parameter names', () => {
    it.each([
      ['?page=1&page=2', 'page'],
      ['?pageSize=1&pageSize=100', 'pageSize'],
      ['?page[]=1', 'page[]'],
      ['?page[0]=1', 'page[0]'],
      ['?__proto__=1', '__proto__'],
      ['?hasOwnProperty=1', 'hasOwnProperty'],
    ])('GET /v1/admin/users%s is 400 naming %s', async (query, field) => {
      const res = await http(gw.url, 'GET', `/v1/admin/users${query}`, { token: admin.token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fields(res)).toEqual([field]);
    });
  });
});
