import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { signatureHeader } from '../../src/features/payments/webhooks/webhook-signature';
import { createSignedInUser, createUser } from '../auth/fixtures';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { appOnPrivateRedis } from '../helpers/processes';

/**
 * Requests that reach a state only by a combination of inputs, each answered with a documented
 * 4xx that changes nothing, never a 500.
 */
describe('combinations that must not reach a 500', () => {
  const secret = randomSecret();
  let gw: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    gw = await startApp({ PAYMENT_PROVIDER_WEBHOOK_SECRET: secret });
    prisma = gw.app.get(PrismaService);
  });
  afterAll(() => gw.close());

  describe('GET /v1/admin/users with a page far past the last', () => {
    // The document allows any page up to 2147483647 (int32); each is an empty page, not a 400
    // saying a whole number is not one.
    it.each(['1000000000', '2147483647'])('page=%s (documented) is an empty page', async (page) => {
      const admin = await createSignedInUser(gw, 'admin');
      const res = await http(gw.url, 'GET', `/v1/admin/users?page=${page}&pageSize=100`, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ items: [], page: Number(page), pageSize: 100 });
    });

    it.each(['2147483648', '99999999999'])('page=%s (past int32) is 400 naming page', async (page) => {
      const admin = await createSignedInUser(gw, 'admin');
      const res = await http(gw.url, 'GET', `/v1/admin/users?page=${page}`, { token: admin.token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['page']);
    });
  });

  describe('a correctly signed webhook event', () => {
    const deliver = (body: string) =>
      http(gw.url, 'POST', '/v1/webhooks/payment-provider', {
        rawBody: body,
        headers: {
          'content-type': 'application/json',
          'provider-signature': signatureHeader([secret], Math.floor(Date.now() / 1000), Buffer.from(body)),
        },
      });

    // `created` is a safe integer, but past the documented maximum (999999999999) PostgreSQL's
    // to_timestamp overflows: the event is malformed, not an internal error.
    it.each(['1000000000000', '99999999999999', '9007199254740991'])(
      'with `created` %s (past the documented maximum) is 400 and records nothing',
      async (created) => {
        for (const type of ['charge.updated', 'charge.refunded']) {
          const id = `evt_${randomUUID()}`;
          const body =
            `{"id":"${id}","type":"${type}","created":${created},"data":{"id":"ch_${randomUUID()}",` +
            `"idempotencyKey":"${randomUUID()}","status":"succeeded","amount":1,"currency":"EUR","recipientId":"r"}}`;
          const res = await deliver(body);
          expectProblem(res, 400, 'VALIDATION_FAILED');
          expect(res.body.errors).toEqual([{ field: 'created', message: 'must be unix seconds' }]);
          expect(await prisma.paymentWebhookEvent.count({ where: { eventId: id } })).toBe(0);
        }
      },
    );

    it('with `created` at the documented maximum is recorded', async () => {
      const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'charge.refunded', created: 999999999999 });
      const res = await deliver(body);
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { outcome: 'ignored' } });
    });
  });
});

describe('an admin unlock while Redis (the lockout store) is down', () => {
  const suite = appOnPrivateRedis();

  // The lockout store's 503 must speak of the unlock, not of signing in (the admin is not signing in).
  it('is 503 SERVICE_UNAVAILABLE about the unlock, with Retry-After, and audits nothing', async () => {
    const { gw, redis } = suite;
    const admin = await createSignedInUser(gw, 'admin');
    const target = await createUser(gw);
    const prisma = gw.app.get(PrismaService);
    await redis.stop();
    const res = await http(gw.url, 'POST', `/v1/admin/users/${target.id}/unlock`, { token: admin.token });
    expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.body.detail).toBe('The lockout store is unavailable; the account was not unlocked. Retry shortly.');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await prisma.adminAudit.count({ where: { targetId: target.id } })).toBe(0);

    await redis.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 204; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await http(gw.url, 'POST', `/v1/admin/users/${target.id}/unlock`, { token: admin.token })).status;
    }
    expect(status).toBe(204);
    expect(await prisma.adminAudit.count({ where: { targetId: target.id, action: 'user.unlock' } })).toBe(1);
  });
});
