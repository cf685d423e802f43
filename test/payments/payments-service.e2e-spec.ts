import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import type { CreatePaymentDto } from '../../src/features/payments/dto/create-payment.dto';
import { PaymentActor, PaymentsService } from '../../src/features/payments/payments.service';
import { ProblemException } from '../../src/platform/problems';
import { receiptView, type PaymentView } from '../../src/features/payments/dto/payment.view';
import { creationProblem } from '../../src/features/payments/payment-problems';
import { startApp, TestApp } from '../helpers/app';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { providerKeyFor } from '../helpers/payments';

async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

const body = (overrides: Partial<CreatePaymentDto> = {}): CreatePaymentDto => ({
  amount: 1250,
  currency: 'EUR',
  recipientId: randomUUID(),
  reference: 'invoice 42',
  ...overrides,
});
const newKey = (): string => `svc-${randomUUID()}`;

describe('PaymentsService with the real database and a real HTTP provider stand-in', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let service: PaymentsService;
  let prisma: PrismaService;
  let alice: PaymentActor;
  let bob: PaymentActor;

  async function createUser(role: 'user'): Promise<PaymentActor> {
    const user = await prisma.user.create({
      data: { email: `svc-${randomUUID()}@example.test`, passwordHash: 'not-used-here', role },
    });
    return { id: user.id, role };
  }

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_TIMEOUT_MS: '800',
      PAYMENT_PROVIDER_RETRIES: '1',
      CIRCUIT_FAILURE_THRESHOLD: '1000',
    });
    service = gw.app.get(PaymentsService);
    prisma = gw.app.get(PrismaService);
    [alice, bob] = [await createUser('user'), await createUser('user')];
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });
  beforeEach(() => provider.reset());

  /** The service's outcome as the HTTP edge answers it: {status, body}, or the problem thrown. */
  const create = async (
    actor: PaymentActor,
    key: string,
    input: CreatePaymentDto,
  ): Promise<{ status: number; body: PaymentView }> => {
    const outcome = await service.create(actor, key, input);
    if (outcome.kind === 'replayed') return { status: outcome.httpStatus, body: receiptView(outcome.receipt) };
    if (outcome.kind === 'charged') return { status: 201, body: receiptView(outcome.receipt) };
    throw creationProblem(outcome);
  };

  const rowsFor = (userId: string, key: string) => prisma.payment.count({ where: { userId, idempotencyKey: key } });

  it('creates the payment, charges the provider once with the payment id as key and answers 201 with its status', async () => {
    const key = newKey();
    const input = body();
    const created = await create(alice, key, input);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'succeeded',
      amount: 1250,
      currency: 'EUR',
      recipientId: input.recipientId,
      reference: 'invoice 42',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(provider.requestsFor(created.body.id)).toHaveLength(1);
    expect(provider.requestsFor(key)).toHaveLength(0);
    const row = await prisma.payment.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.providerChargeId).toBe(provider.charges.get(created.body.id)!.id);
    expect(row.providerKey).toBe(created.body.id);
  });

  it.each(['pending', 'failed'] as const)('records the provider status %s as the payment status', async (status) => {
    provider.behave({ kind: 'succeed', status });
    expect((await create(alice, newKey(), body())).body.status).toBe(status);
  });

  it('records a provider refusal (4xx) as a failed payment, answered 201 and replayed as such', async () => {
    provider.behave({ kind: 'refuse', httpStatus: 402 });
    const key = newKey();
    const input = body();
    const first = await create(alice, key, input);
    expect(first).toMatchObject({ status: 201, body: { status: 'failed' } });
    provider.behave({ kind: 'succeed' });
    expect(await create(alice, key, input)).toEqual(first);
    expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(1);
  });

  it('treats an absent and a null reference as the same body', async () => {
    const key = newKey();
    const input = body({ reference: undefined });
    const first = await create(alice, key, input);
    expect(await create(alice, key, { ...input, reference: null })).toEqual(first);
  });

  it('charges two users who share a key twice, each for their own amount, with no 409 (Alice and Bob)', async () => {
    // The old failure: Alice's charge is taken but her answer is lost; Bob sends the same key.
    const key = newKey();
    const alicesBody = body({ amount: 1250 });
    provider.behave({ kind: 'slow', delayMs: 1200 });
    expect((await problemOf(create(alice, key, alicesBody))).code).toBe('UPSTREAM_TIMEOUT');
    provider.behave({ kind: 'succeed' });
    const bobs = await create(bob, key, body({ amount: 99_999_999 }));
    expect(bobs.body).toMatchObject({ status: 'succeeded', amount: 99_999_999 });
    await provider.delayedChargesDone(); // Alice's lost charge completes at the provider
    const alices = await create(alice, key, alicesBody);
    expect(alices.body).toMatchObject({ status: 'succeeded', amount: 1250 });
    expect(provider.charges.size).toBe(2);
    const rows = await prisma.payment.findMany({ where: { idempotencyKey: key } });
    for (const row of rows) {
      const charge = provider.charges.get(row.providerKey)!;
      expect(row.providerChargeId).toBe(charge.id);
      expect((charge.body as { amount: number }).amount).toBe(row.amount);
    }
  });

  it('never attaches a charge the provider says is for another amount: the payment stays unknown (502)', async () => {
    const key = newKey();
    provider.behave({ kind: 'succeed', echo: { amount: 7 } });
    const problem = await problemOf(create(alice, key, body({ amount: 1250 })));
    expect({ status: problem.getStatus(), code: problem.code }).toEqual({ status: 502, code: 'UPSTREAM_FAILED' });
    const row = await prisma.payment.findFirstOrThrow({ where: { userId: alice.id, idempotencyKey: key } });
    expect(row).toMatchObject({ status: 'unknown', providerChargeId: null });
    expect(gw.logs.some((l) => /answer names another amount; left unknown/.test(String(l.msg)))).toBe(true);
  });

  it('records an unknown outcome after a timeout and charges exactly once when the request is replayed', async () => {
    // The provider completes the charge even though we stopped waiting (a lost answer).
    provider.behave({ kind: 'slow', delayMs: 1200 });
    const key = newKey();
    const input = body();
    const problem = await problemOf(create(alice, key, input));
    expect({ status: problem.getStatus(), code: problem.code }).toEqual({ status: 504, code: 'UPSTREAM_TIMEOUT' });
    const row = await prisma.payment.findFirstOrThrow({ where: { userId: alice.id, idempotencyKey: key } });
    expect(row.status).toBe('unknown');

    await provider.delayedChargesDone(); // the lost charge has landed at the provider
    provider.behave({ kind: 'succeed' });
    const replay = await create(alice, key, input);
    expect(replay).toMatchObject({ status: 201, body: { id: row.id, status: 'succeeded' } });
    expect(provider.charges.size).toBe(1);
    expect(await rowsFor(alice.id, key)).toBe(1);
  });

  it('answers 502 UPSTREAM_FAILED after the retries and keeps the payment unknown until a replay resolves it', async () => {
    provider.behave({ kind: 'error', httpStatus: 500 });
    const key = newKey();
    const input = body();
    const problem = await problemOf(create(alice, key, input));
    expect({ status: problem.getStatus(), code: problem.code }).toEqual({ status: 502, code: 'UPSTREAM_FAILED' });
    expect(provider.requestsFor(await providerKeyFor(prisma, key))).toHaveLength(2);
    provider.behave({ kind: 'succeed' });
    expect((await create(alice, key, input)).body.status).toBe('succeeded');
    expect(await rowsFor(alice.id, key)).toBe(1);
  });
});
