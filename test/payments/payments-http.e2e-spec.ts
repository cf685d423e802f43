import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { PaymentsRepository } from '../../src/features/payments/payments.repository';
import { createSignedInUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { providerKeyFor } from '../helpers/payments';

const validBody = (): Record<string, unknown> => ({
  amount: 1250,
  currency: 'EUR',
  recipientId: randomUUID(),
  reference: 'invoice 42',
});
const newKey = (): string => `http-${randomUUID()}`;

describe('POST/GET /v1/payments over HTTP (real auth, database and provider stand-in)', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let prisma: PrismaService;
  let alice: SignedInUser;
  let bob: SignedInUser;
  let admin: SignedInUser;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({ PAYMENT_PROVIDER_URL: provider.url, PAYMENT_CURRENCIES: 'EUR,USD,GBP' });
    prisma = gw.app.get(PrismaService);
    [alice, bob, admin] = await Promise.all([
      createSignedInUser(gw),
      createSignedInUser(gw),
      createSignedInUser(gw, 'admin'),
    ]);
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });
  beforeEach(() => provider.reset());

  const pay = (
    token: string | undefined,
    body: unknown,
    key: string | null = newKey(), // null: no header at all
    extraHeaders: Record<string, string> = {},
  ): Promise<HttpResult> =>
    http(gw.url, 'POST', '/v1/payments', {
      body,
      token,
      headers: { ...(key === null ? {} : { 'idempotency-key': key }), ...extraHeaders },
    });
  // Scoped to this suite's users: other suites write payments to the same database in parallel.
  const paymentRows = (): Promise<number> =>
    prisma.payment.count({ where: { userId: { in: [alice.id, bob.id, admin.id] } } });

  describe('authentication', () => {
    it('answers 401 without a bearer token, before looking at the body, and creates nothing', async () => {
      const before = await paymentRows();
      expectProblem(await pay(undefined, validBody()), 401, 'UNAUTHORIZED');
      expectProblem(await pay(undefined, { junk: true }, null), 401, 'UNAUTHORIZED');
      expectProblem(await http(gw.url, 'GET', `/v1/payments/${randomUUID()}`), 401, 'UNAUTHORIZED');
      expectProblem(await pay('not.a.jwt', validBody()), 401, 'TOKEN_INVALID');
      expect(await paymentRows()).toBe(before);
      expect(provider.requestCount).toBe(0);
    });
  });

  describe('creating and reading', () => {
    it('creates a payment (201) that its owner and admins can read and no one else can see', async () => {
      const body = validBody();
      const created = await pay(alice.token, body);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'succeeded',
        amount: 1250,
        currency: 'EUR',
        recipientId: body.recipientId,
        reference: 'invoice 42',
        createdAt: expect.any(String),
      });
      const path = `/v1/payments/${String(created.body.id)}`;
      const mine = await http(gw.url, 'GET', path, { token: alice.token });
      expect({ status: mine.status, body: mine.body }).toEqual({ status: 200, body: created.body });
      const asAdmin = await http(gw.url, 'GET', path, { token: admin.token });
      expect({ status: asAdmin.status, body: asAdmin.body }).toEqual({ status: 200, body: created.body });

      const asBob = await http(gw.url, 'GET', path, { token: bob.token });
      const missing = await http(gw.url, 'GET', `/v1/payments/${randomUUID()}`, { token: bob.token });
      expectProblem(asBob, 404, 'NOT_FOUND');
      expectProblem(missing, 404, 'NOT_FOUND');
      expect(asBob.body.detail).toBe(missing.body.detail); // another user's payment looks like none at all
    });

    it('reads a payment on the pg pool exactly as the Prisma model has it (every column, same types)', async () => {
      const created = await pay(alice.token, validBody());
      const id = String(created.body.id);
      const model = await prisma.payment.findUniqueOrThrow({ where: { id } });
      const repository = gw.app.get(PaymentsRepository);
      expect(await repository.find(id, alice.id, false)).toEqual(model);
      expect(await repository.find(id, bob.id, true)).toEqual(model); // an admin's read
      expect(await repository.find(id, bob.id, false)).toBeUndefined();
    });

    it('creates a payment without a reference (null in the answer)', async () => {
      const body = validBody();
      delete body.reference;
      const created = await pay(alice.token, body);
      expect(created.status).toBe(201);
      expect(created.body.reference).toBeNull();
      expect(provider.requests[0]?.body).toMatchObject({ reference: null });
    });

    it.each(['not-a-uuid', '1', "' OR 1=1 --", '00000000-0000-0000-0000-00000000000g'])(
      'answers 400 naming `id` for the non-UUID id %s',
      async (id) => {
        const res = await http(gw.url, 'GET', `/v1/payments/${encodeURIComponent(id)}`, { token: alice.token });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
      },
    );
  });

  describe('validation: every bad input is a 400 naming its field, and nothing is written or charged', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['amount as a string', { amount: '100' }, 'amount'],
      ['a fractional amount', { amount: 1.5 }, 'amount'],
      ['a huge amount (1e20)', { amount: 1e20 }, 'amount'],
      ['a negative amount', { amount: -1 }, 'amount'],
      ['a zero amount', { amount: 0 }, 'amount'],
      ['an amount over the maximum', { amount: 100000001 }, 'amount'],
      ['a boolean amount', { amount: true }, 'amount'],
      ['a null amount', { amount: null }, 'amount'],
      ['a missing amount', { amount: undefined }, 'amount'],
      ['a lower-case currency', { currency: 'eur' }, 'currency'],
      ['a currency outside the allow-list', { currency: 'XXX' }, 'currency'],
      ['a four-letter currency', { currency: 'EURO' }, 'currency'],
      ['a numeric currency', { currency: 1 }, 'currency'],
      ['a recipientId that is not a UUID', { recipientId: 'not-a-uuid' }, 'recipientId'],
      ['a numeric recipientId', { recipientId: 42 }, 'recipientId'],
      ['a 141-character reference', { reference: 'r'.repeat(141) }, 'reference'],
      ['a reference with a NUL', { reference: 'abc\u0000def' }, 'reference'],
      ['a reference with a newline', { reference: 'line1\nline2' }, 'reference'],
      ['a reference with an escape sequence', { reference: '\u001b[31mred' }, 'reference'],
      ['a reference with a bidi override', { reference: 'abc\u202Egpj.exe' }, 'reference'],
      ['a non-string reference', { reference: { nested: true } }, 'reference'],
      ['an extra top-level field', { status: 'succeeded' }, 'status'],
      ['an extra userId field', { userId: randomUUID() }, 'userId'],
    ];

    it.each(cases)('rejects %s', async (_name, patch, field) => {
      const before = await paymentRows();
      const res = await pay(alice.token, { ...validBody(), ...patch });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await paymentRows()).toBe(before);
      expect(provider.requestCount).toBe(0);
    });

    it('accepts a reference of exactly 140 printable characters, including non-Latin ones', async () => {
      expect((await pay(alice.token, { ...validBody(), reference: 'é'.repeat(140) })).status).toBe(201);
    });

    it.each([
      ['missing', null],
      ['empty', ''],
      ['too short', 'abc1234'],
      ['too long', 'k'.repeat(65)],
      ['with a space', 'bad key 123'],
      ['with punctuation', 'key;drop-table'],
      ['percent-encoded non-ASCII', encodeURIComponent('ключ-ключ-ключ')],
    ])('rejects an Idempotency-Key that is %s (400 naming the header)', async (_what, key) => {
      const before = await paymentRows();
      const res = await pay(alice.token, validBody(), key);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(await paymentRows()).toBe(before);
    });

    it('rejects a body that is not a JSON object', async () => {
      for (const raw of ['[]', '"x"', '42', 'null']) {
        const res = await http(gw.url, 'POST', '/v1/payments', {
          rawBody: raw,
          token: alice.token,
          headers: { 'content-type': 'application/json', 'idempotency-key': newKey() },
        });
        expect(res.status).toBe(400);
        expectProblem(res, 400, 'VALIDATION_FAILED');
      }
    });

    it('property: arbitrary JSON bodies never cause a 5xx, every 4xx is problem+json, and a 4xx writes nothing', async () => {
      const anyValue = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.jsonValue({ maxDepth: 2 }),
      );
      const paymentish = fc.record(
        {
          amount: fc.oneof(fc.integer({ min: -5, max: 100000005 }), anyValue),
          currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'GBP', 'eur', 'JPY', ''), anyValue),
          recipientId: fc.oneof(fc.uuid(), anyValue),
          reference: fc.oneof(fc.string({ maxLength: 150 }), fc.string({ unit: 'binary', maxLength: 20 }), anyValue),
          extra: anyValue,
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(paymentish, fc.jsonValue({ maxDepth: 3 }));
      await fc.assert(
        fc.asyncProperty(body, async (generated) => {
          const before = await paymentRows();
          const res = await pay(alice.token, generated);
          expect(res.status).toBeLessThan(500);
          if (res.status === 201) return;
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(res.body).toEqual(expect.objectContaining({ code: expect.any(String), status: res.status }));
          expect(await paymentRows()).toBe(before);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('idempotency over HTTP', () => {
    it('replays the same status and body for the same key and body, charging once', async () => {
      const key = newKey();
      const body = validBody();
      const first = await pay(alice.token, body, key);
      const second = await pay(alice.token, body, key);
      expect(first.status).toBe(201);
      expect({ status: second.status, body: second.body }).toEqual({ status: first.status, body: first.body });
      expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(1);
      // The provider key is the payment's own id, never the client's key (CONTRACT, "The payment provider").
      expect(provider.requests[0]?.headers['idempotency-key']).toBe(first.body.id);
      expect(provider.requests[0]?.headers.authorization).toBe(`Bearer ${gw.env.PAYMENT_PROVIDER_API_KEY}`);
      expect(await prisma.payment.count({ where: { idempotencyKey: key } })).toBe(1);
    });

    it('answers 409 IDEMPOTENCY_CONFLICT for the same key with another body, creating nothing', async () => {
      const key = newKey();
      const body = validBody();
      await pay(alice.token, body, key);
      for (const other of [
        { ...body, amount: 99 },
        { ...body, recipientId: randomUUID() },
        { ...body, reference: 'other' },
        { ...body, currency: 'USD' },
      ]) {
        expectProblem(await pay(alice.token, other, key), 409, 'IDEMPOTENCY_CONFLICT');
      }
      expect(await prisma.payment.count({ where: { idempotencyKey: key } })).toBe(1);
      expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(1);
    });

    it('makes one payment and one provider charge from 10 concurrent requests with one key', async () => {
      provider.behave({ kind: 'slow', delayMs: 200 });
      const key = newKey();
      const body = validBody();
      const results = await Promise.all(Array.from({ length: 10 }, () => pay(alice.token, body, key)));
      const statuses = results.map((r) => r.status);
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
      for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'IDEMPOTENCY_CONFLICT');
      expect(await prisma.payment.count({ where: { idempotencyKey: key } })).toBe(1);
      expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(1);
      // Once the winner is done, every retry gets its answer.
      const later = await pay(alice.token, body, key);
      expect(later.status).toBe(201);
      expect(later.body.id).toBe(results.find((r) => r.status === 201)!.body.id);
    });

    it('holds across two gateway instances on one database: 10 requests split between them make one payment and one charge', async () => {
      const second = await startApp({
        PAYMENT_PROVIDER_URL: provider.url,
        PAYMENT_PROVIDER_API_KEY: gw.env.PAYMENT_PROVIDER_API_KEY,
        JWT_ACCESS_SECRET: gw.env.JWT_ACCESS_SECRET,
        REFRESH_TOKEN_PEPPER: gw.env.REFRESH_TOKEN_PEPPER,
      });
      try {
        provider.behave({ kind: 'slow', delayMs: 200 });
        const key = newKey();
        const body = validBody();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            http(i % 2 === 0 ? gw.url : second.url, 'POST', '/v1/payments', {
              body,
              token: alice.token,
              headers: { 'idempotency-key': key },
            }),
          ),
        );
        expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
        expect(await prisma.payment.count({ where: { idempotencyKey: key } })).toBe(1);
        expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(1);
      } finally {
        await second.close();
      }
    });

    it('makes two independent payments and two charges when two users pick the same key', async () => {
      const key = newKey();
      const aliceBody = { ...validBody(), amount: 1111 };
      const bobBody = { ...validBody(), amount: 99_999_999 };
      const alices = await pay(alice.token, aliceBody, key);
      const bobs = await pay(bob.token, bobBody, key);
      expect([alices.status, bobs.status]).toEqual([201, 201]);
      expect(bobs.body.id).not.toBe(alices.body.id);
      expect(provider.charges.size).toBe(2);
      expect((provider.charges.get(String(alices.body.id))!.body as { amount: number }).amount).toBe(1111);
      expect((provider.charges.get(String(bobs.body.id))!.body as { amount: number }).amount).toBe(99_999_999);
      // Each replay answers its own user's payment, and charges nothing more.
      expect((await pay(alice.token, aliceBody, key)).body).toEqual(alices.body);
      expect((await pay(bob.token, bobBody, key)).body).toEqual(bobs.body);
      expect(provider.requestCount).toBe(2);
    });
  });
});
