import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { signatureHeader } from '../../src/features/payments/webhooks/webhook-signature';
import { createSignedInUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import type { WebhookCharge } from '../../tools/provider/webhook-sender';

const WEBHOOK = '/v1/webhooks/payment-provider';
const now = (): number => Math.floor(Date.now() / 1000);

/** Posts `body` exactly as given (the signature covers these bytes) with `signature` as the header. */
async function deliver(url: string, body: string, signature?: string): Promise<HttpResult> {
  const res = await fetch(`${url}${WEBHOOK}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'provider-signature': signature } : {}) },
    body,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, text } as unknown as HttpResult;
}

describe('provider webhooks (POST /v1/webhooks/payment-provider, real database, HTTP)', () => {
  const secret = randomSecret();
  const previous = randomSecret();
  let provider: ProviderStandIn;
  let gw: TestApp;
  let user: SignedInUser;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: secret,
      PAYMENT_PROVIDER_WEBHOOK_SECRET_PREVIOUS: previous,
      LOG_LEVEL: 'info',
    });
    user = await createSignedInUser(gw);
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });
  beforeEach(() => provider.reset());

  /** A payment the provider answered `pending` for, and its charge as the provider reports it. */
  async function pendingPayment(): Promise<WebhookCharge> {
    provider.behave({ kind: 'succeed', status: 'pending' });
    const res = await http(gw.url, 'POST', '/v1/payments', {
      token: user.token,
      headers: { 'idempotency-key': `wh-${randomUUID()}` },
      body: { amount: 4200, currency: 'EUR', recipientId: randomUUID() },
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending');
    const id = res.body.id as string;
    const charge = provider.charges.get(id)!;
    return {
      id: charge.id,
      idempotencyKey: id,
      status: 'pending',
      amount: 4200,
      currency: 'EUR',
      recipientId: res.body.recipientId as string,
    };
  }
  const event = (charge: WebhookCharge, id = `evt_${randomUUID()}`): string =>
    JSON.stringify({ id, type: 'charge.updated', created: now(), data: charge });
  const signed = (body: string, keys: string[] = [secret], t = now()): string =>
    signatureHeader(keys, t, Buffer.from(body));
  const statusOf = async (paymentId: string): Promise<string> =>
    (await gw.app.get(PrismaService).payment.findUniqueOrThrow({ where: { id: paymentId } })).status;
  const errorLines = (): Record<string, unknown>[] => gw.logs.filter((l) => Number(l.level) >= 50);

  it('settles a pending payment on a signed event, once: a redelivery is acknowledged with no second effect', async () => {
    const charge = await pendingPayment();
    const body = event({ ...charge, status: 'succeeded' });
    const first = await deliver(gw.url, body, signed(body));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ outcome: 'applied' });
    expect(await statusOf(charge.idempotencyKey)).toBe('succeeded');
    const again = await deliver(gw.url, body, signed(body));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ outcome: 'duplicate' });
    const rows = await gw.app.get(PrismaService).paymentWebhookEvent.findMany({
      where: { paymentId: charge.idempotencyKey },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'applied', chargeId: charge.id, chargeStatus: 'succeeded' });
    const read = await http(gw.url, 'GET', `/v1/payments/${charge.idempotencyKey}`, { token: user.token });
    expect(read.body.status).toBe('succeeded');
  });

  it('accepts the previous key during a rotation, and any one valid v1 of several', async () => {
    const a = await pendingPayment();
    const bodyA = event({ ...a, status: 'succeeded' });
    expect((await deliver(gw.url, bodyA, signed(bodyA, [previous]))).status).toBe(200);
    const b = await pendingPayment();
    const bodyB = event({ ...b, status: 'failed' });
    expect((await deliver(gw.url, bodyB, signed(bodyB, [randomSecret(), secret]))).status).toBe(200);
    expect([await statusOf(a.idempotencyKey), await statusOf(b.idempotencyKey)]).toEqual(['succeeded', 'failed']);
  });

  it('answers 401 to unsigned, forged, tampered, stale and future-dated events and 400 to malformed ones; nothing changes, nothing is logged as an error', async () => {
    const charge = await pendingPayment();
    const body = event({ ...charge, status: 'succeeded' });
    const before = errorLines().length;
    const refused = [
      await deliver(gw.url, body),
      await deliver(gw.url, body, signed(body, [randomSecret()])),
      await deliver(gw.url, body.replace('"succeeded"', '"failed"'), signed(body)),
      await deliver(gw.url, body, signed(body, [secret], now() - 400)),
      await deliver(gw.url, body, signed(body, [secret], now() + 400)),
      await deliver(gw.url, body, `t=${now()},v1=${'0'.repeat(64)}`),
      await deliver(gw.url, body, 'garbage'),
    ];
    for (const res of refused) expectProblem(res, 401, 'UNAUTHORIZED');
    const malformed = ['{"id":', '[]', JSON.stringify({ id: 'evt_x', type: 'charge.updated', created: now() })];
    for (const text of malformed) expectProblem(await deliver(gw.url, text, signed(text)), 400, 'VALIDATION_FAILED');
    expect(await statusOf(charge.idempotencyKey)).toBe('pending');
    expect(await gw.app.get(PrismaService).paymentWebhookEvent.count({ where: { chargeId: charge.id } })).toBe(0);
    expect(errorLines().slice(before)).toEqual([]);
    expect(gw.rawLogs()).not.toContain(secret);
  });

  it('records a charge that contradicts the payment as a conflict (error log) and changes nothing', async () => {
    const charge = await pendingPayment();
    const body = event({ ...charge, status: 'succeeded', amount: 1 });
    const res = await deliver(gw.url, body, signed(body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'conflict' });
    expect(await statusOf(charge.idempotencyKey)).toBe('pending');
    expect(errorLines().some((l) => /names another amount/.test(String(l.msg)))).toBe(true);
  });

  it('never changes a terminal payment: a disagreeing event is a conflict, a late pending one is ignored', async () => {
    const charge = await pendingPayment();
    const done = event({ ...charge, status: 'succeeded' });
    expect((await deliver(gw.url, done, signed(done))).body).toEqual({ outcome: 'applied' });
    const late = event({ ...charge, status: 'pending' });
    expect((await deliver(gw.url, late, signed(late))).body).toEqual({ outcome: 'ignored' });
    const contrary = event({ ...charge, status: 'failed' });
    expect((await deliver(gw.url, contrary, signed(contrary))).body).toEqual({ outcome: 'conflict' });
    expect(await statusOf(charge.idempotencyKey)).toBe('succeeded');
  });

  it('acknowledges an event about a charge with no payment (orphan, warn) and counts every outcome', async () => {
    const body = event({
      id: `ch_${randomUUID()}`,
      idempotencyKey: randomUUID(),
      status: 'succeeded',
      amount: 100,
      currency: 'EUR',
      recipientId: randomUUID(),
    });
    const res = await deliver(gw.url, body, signed(body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'orphan' });
    expect(gw.logs.some((l) => Number(l.level) === 40 && /orphan/.test(String(l.msg)))).toBe(true);
    const { body: exposition } = await gw.app.get(MetricsService).exposition();
    for (const outcome of ['applied', 'duplicate', 'conflict', 'orphan', 'bad_signature', 'stale', 'malformed']) {
      expect(exposition).toMatch(new RegExp(`gateway_webhook_events_total\\{outcome="${outcome}"\\} [1-9]`));
    }
  });
});

describe('provider webhooks with no secret configured', () => {
  it('answers 404: the route does not exist', async () => {
    const gw = await startApp({});
    try {
      const body = JSON.stringify({ id: 'evt_1', type: 'charge.updated', created: now(), data: {} });
      expectProblem(
        await deliver(gw.url, body, signatureHeader([randomSecret()], now(), Buffer.from(body))),
        404,
        'NOT_FOUND',
      );
    } finally {
      await gw.close();
    }
  });
});
