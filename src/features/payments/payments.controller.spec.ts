import { randomUUID } from 'node:crypto';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import type { PaymentView } from './dto/payment.view';
import { paymentsConfig } from './payments.config';
import { PaymentsController } from './payments.controller';
import { PaymentsService } from './payments.service';

const view = (overrides: Partial<PaymentView> = {}): PaymentView => ({
  id: randomUUID(),
  status: 'succeeded',
  amount: 1250,
  currency: 'EUR',
  recipientId: randomUUID(),
  reference: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});

describe('PaymentsController (fake service)', () => {
  const payments = { create: jest.fn(), list: jest.fn(), findOne: jest.fn() };
  let api: ControllerApp;
  let token: string;
  const userId = randomUUID();
  const body = { amount: 1250, currency: 'EUR', recipientId: randomUUID(), reference: 'invoice 7' };
  const key = { 'idempotency-key': 'order-0001' };

  beforeAll(async () => {
    api = await controllerApp({
      controllers: [PaymentsController],
      providers: [
        { provide: PaymentsService, useValue: payments },
        { provide: paymentsConfig.KEY, useValue: { currencies: ['EUR', 'USD', 'GBP'] } },
      ],
    });
    token = await api.tokenFor({
      id: userId,
      email: 'payer@example.test',
      role: 'user',
      disabled: false,
      sessionVersion: 0,
    });
  });
  afterAll(() => api.close());
  beforeEach(() => jest.resetAllMocks());

  it.each([
    ['POST', '/v1/payments'],
    ['GET', '/v1/payments'],
    ['GET', `/v1/payments/${randomUUID()}`],
  ] as const)('%s %s is an authenticated route (401 UNAUTHORIZED without a token)', async (method, url) => {
    const res = await api.request({ method, url, headers: key, body: method === 'POST' ? body : undefined });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(payments.create).not.toHaveBeenCalled();
  });

  it('answers POST with the status and Location the service decided, passing the caller and the key', async () => {
    const payment = view();
    payments.create.mockResolvedValue({ kind: 'charged', receipt: payment });
    const res = await api.request({ method: 'POST', url: '/v1/payments', token, headers: key, body });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/payments/${payment.id}`);
    expect(res.body).toEqual(payment);
    expect(payments.create).toHaveBeenCalledWith(
      { id: userId, email: 'payer@example.test', role: 'user' },
      'order-0001',
      expect.objectContaining(body),
    );
  });

  it.each([
    ['no Idempotency-Key', {}, body, 'Idempotency-Key'],
    ['a currency outside the allow-list', key, { ...body, currency: 'JPY' }, 'currency'],
    ['a lower-case currency', key, { ...body, currency: 'eur' }, 'currency'],
    ['an amount of 0', key, { ...body, amount: 0 }, 'amount'],
    ['a recipientId that is not a UUID', key, { ...body, recipientId: 'bob' }, 'recipientId'],
    ['a recipientId in braces', key, { ...body, recipientId: `{${body.recipientId}}` }, 'recipientId'],
  ])('refuses %s with 400 naming the field, before the service', async (_what, headers, sent, field) => {
    const res = await api.request({ method: 'POST', url: '/v1/payments', token, headers, body: sent });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field })] });
    expect(payments.create).not.toHaveBeenCalled();
  });

  it('maps the outcome the service returns to its problem (another body: 409 IDEMPOTENCY_CONFLICT)', async () => {
    payments.create.mockResolvedValue({ kind: 'key-reused-with-another-body' });
    const res = await api.request({ method: 'POST', url: '/v1/payments', token, headers: key, body });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', status: 409, instance: '/v1/payments' });
  });

  it('GET /v1/payments/:id refuses a non-UUID id with 400 naming id, and answers the payment', async () => {
    const bad = await api.request({ method: 'GET', url: '/v1/payments/123', token });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'id' }] });
    const payment = view();
    payments.findOne.mockResolvedValue({ ...payment, createdAt: new Date(payment.createdAt) });
    const found = await api.request({ method: 'GET', url: `/v1/payments/${payment.id}`, token });
    expect(found.status).toBe(200);
    expect(found.body).toEqual(payment);
    expect(payments.findOne).toHaveBeenCalledWith(expect.objectContaining({ id: userId }), payment.id);
  });

  it('lower-cases ids at the edge: :id, a userId filter and recipientId reach the service in one form', async () => {
    const payment = view();
    payments.findOne.mockResolvedValue(null);
    expect((await api.request({ method: 'GET', url: `/v1/payments/${payment.id.toUpperCase()}`, token })).status).toBe(
      404,
    );
    expect(payments.findOne).toHaveBeenCalledWith(expect.objectContaining({ id: userId }), payment.id);

    payments.list.mockResolvedValue({ items: [], more: false });
    const own = await api.request({ method: 'GET', url: `/v1/payments?userId=${userId.toUpperCase()}`, token });
    expect(own.status).toBe(200); // its own id in upper case is still the caller's own id, not "another user"
    expect(payments.list).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ userId }));

    payments.create.mockResolvedValue({ kind: 'charged', receipt: payment });
    const sent = { ...body, recipientId: body.recipientId.toUpperCase() };
    expect((await api.request({ method: 'POST', url: '/v1/payments', token, headers: key, body: sent })).status).toBe(
      201,
    );
    expect(payments.create).toHaveBeenCalledWith(
      expect.anything(),
      'order-0001',
      expect.objectContaining({ recipientId: body.recipientId }),
    );
  });

  it.each([
    ['braces', `%7B${userId}%7D`],
    ['a urn:uuid: prefix', `urn:uuid:${userId}`],
    ['surrounding whitespace', `%20${userId}`],
    ['fullwidth digits', encodeURIComponent(userId.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d))))],
  ])('refuses an id with %s as :id and as userId (400 naming the field)', async (_what, spelled) => {
    const byId = await api.request({ method: 'GET', url: `/v1/payments/${spelled}`, token });
    expect(byId.status).toBe(400);
    expect(byId.body).toMatchObject({ errors: [{ field: 'id', message: 'must be a UUID' }] });
    const byUser = await api.request({ method: 'GET', url: `/v1/payments?userId=${spelled}`, token });
    expect(byUser.status).toBe(400);
    expect(byUser.body).toMatchObject({ errors: [{ field: 'userId', message: 'userId must be a UUID' }] });
    expect(payments.findOne).not.toHaveBeenCalled();
    expect(payments.list).not.toHaveBeenCalled();
  });

  it('GET /v1/payments passes the validated query and refuses a limit above 100', async () => {
    payments.list.mockResolvedValue({ items: [], more: false });
    const res = await api.request({ method: 'GET', url: '/v1/payments?limit=5&status=pending', token });
    expect(res.status).toBe(200);
    expect(payments.list).toHaveBeenCalledWith(
      expect.objectContaining({ id: userId }),
      expect.objectContaining({ limit: 5, status: 'pending' }),
    );
    const tooMany = await api.request({ method: 'GET', url: '/v1/payments?limit=101', token });
    expect(tooMany.status).toBe(400);
  });
});
