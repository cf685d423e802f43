import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createSignedInUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { ProviderStandIn } from '../helpers/provider-stand-in';

interface Page {
  items: { id: string; status: string; createdAt: string }[];
  nextCursor: string | null;
}

describe('GET /v1/payments (own payments, newest first, cursor pages)', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let prisma: PrismaService;
  let alice: SignedInUser;
  let bob: SignedInUser;
  let admin: SignedInUser;
  let many: SignedInUser;
  const aliceIds: string[] = []; // in creation order

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({ PAYMENT_PROVIDER_URL: provider.url });
    prisma = gw.app.get(PrismaService);
    [alice, bob, admin, many] = await Promise.all([
      createSignedInUser(gw),
      createSignedInUser(gw),
      createSignedInUser(gw, 'admin'),
      createSignedInUser(gw),
    ]);
    // Alice: five payments through the real route, two of them failed (provider refusal).
    for (const status of ['succeeded', 'failed', 'succeeded', 'failed', 'succeeded']) {
      provider.behave(status === 'failed' ? { kind: 'refuse' } : { kind: 'succeed' });
      const res = await pay(alice.token);
      expect(res.status).toBe(201);
      aliceIds.push(String(res.body.id));
    }
    provider.behave({ kind: 'succeed' });
    expect((await pay(bob.token)).status).toBe(201);
    // "many": 105 payments written directly, all with one created_at (the id must break the tie).
    const createdAt = new Date();
    await prisma.payment.createMany({
      data: Array.from({ length: 105 }, (_, i) => {
        const id = randomUUID();
        return {
          id,
          providerKey: id,
          userId: many.id,
          amount: 100 + i,
          currency: 'EUR',
          recipientId: randomUUID(),
          idempotencyKey: `list-${i}-${randomUUID().slice(0, 8)}`,
          status: 'succeeded' as const,
          createdAt,
        };
      }),
    });
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });

  function pay(token: string): Promise<HttpResult> {
    return http(gw.url, 'POST', '/v1/payments', {
      token,
      headers: { 'idempotency-key': `list-${randomUUID()}` },
      body: { amount: 990, currency: 'EUR', recipientId: randomUUID() },
    });
  }
  const list = (token: string, query = ''): Promise<HttpResult<Page & Record<string, unknown>>> =>
    http<Page & Record<string, unknown>>(gw.url, 'GET', `/v1/payments${query}`, { token });

  /** Follows nextCursor to the end; returns every page. */
  async function walk(token: string, params: string): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?${params}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await list(token, query);
      expect(res.status).toBe(200);
      pages.push(res.body);
      cursor = res.body.nextCursor;
      expect(pages.length).toBeLessThan(50);
    } while (cursor);
    return pages;
  }

  it("answers the caller's own payments, newest first, as payment views, with nextCursor null on the last page", async () => {
    const res = await list(alice.token);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((p) => p.id)).toEqual([...aliceIds].reverse());
    const one = await http(gw.url, 'GET', `/v1/payments/${aliceIds[0]}`, { token: alice.token });
    expect(res.body.items[4]).toEqual(one.body);
    expect((await list(bob.token)).body.items).toHaveLength(1);
  });

  it('pages with limit and cursor without skipping or repeating, even among equal timestamps', async () => {
    const pages = await walk(alice.token, 'limit=2');
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual([...aliceIds].reverse());

    const manyPages = await walk(many.token, 'limit=10');
    const ids = manyPages.flatMap((p) => p.items.map((i) => i.id));
    expect(ids).toHaveLength(105);
    expect(new Set(ids).size).toBe(105);
  });

  it('defaults to 20 items and allows at most 100', async () => {
    const first = await list(many.token);
    expect(first.body.items).toHaveLength(20);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const max = await list(many.token, '?limit=100');
    expect(max.body.items).toHaveLength(100);
    const rest = await list(many.token, `?limit=100&cursor=${max.body.nextCursor}`);
    expect(rest.body).toMatchObject({ nextCursor: null });
    expect(rest.body.items).toHaveLength(5);
  });

  it('filters by status', async () => {
    const failed = await walk(alice.token, 'status=failed&limit=1');
    expect(failed.flatMap((p) => p.items.map((i) => i.id))).toEqual([aliceIds[3], aliceIds[1]]);
    expect((await list(alice.token, '?status=unknown')).body).toEqual({ items: [], nextCursor: null });
  });

  it("lets admins list another user's payments with userId, and refuses that to users (403)", async () => {
    const asAdmin = await list(admin.token, `?userId=${alice.id}`);
    expect(asAdmin.body.items.map((p) => p.id)).toEqual([...aliceIds].reverse());
    expect((await list(admin.token)).body.items).toEqual([]); // the admin's own (none)
    expectProblem(await list(bob.token, `?userId=${alice.id}`), 403, 'FORBIDDEN');
    expect((await list(alice.token, `?userId=${alice.id}`)).body.items).toHaveLength(5);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['status=done', 'status'],
    ['status=', 'status'],
    ['cursor=not%20base64!', 'cursor'],
    ['cursor=abc', 'cursor'],
    [`cursor=${Buffer.from('1.x').toString('base64url')}`, 'cursor'],
    ['userId=42', 'userId'],
    ['page=2', 'page'],
    ['sort=amount', 'sort'],
  ])('answers 400 naming the parameter for ?%s', async (query, field) => {
    const res = await list(alice.token, `?${query}`);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('answers 401 without a token', async () => {
    expectProblem(await http(gw.url, 'GET', '/v1/payments'), 401, 'UNAUTHORIZED');
  });
});
