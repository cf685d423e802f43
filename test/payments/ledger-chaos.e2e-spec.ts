import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomEmail, randomPassword } from '../auth/fixtures';
import { http } from '../helpers/app';
import { ChaosProvider, seededRandom } from '../helpers/chaos-provider';
import { createScratchDatabase, ScratchDatabase } from '../helpers/database';
import { testVariables } from '../helpers/env';
import { BuiltServer, ROOT, startBuiltServer } from '../helpers/processes';
import { must } from '../helpers/must';

/**
 * Issue 11, point 5: the ledger check under chaos. A provider that keeps its own ledger misbehaves
 * at random; many clients (two users sharing their keys) pay with retries; the built gateway is
 * SIGKILLed mid-call and restarted; then the provider heals and no client does anything more.
 * Once reconciliation has settled everything, the provider's ledger and GET /v1/payments must
 * agree. PAYMENTS_CHAOS_ROUNDS (default 1) = kill/restart rounds; PAYMENTS_CHAOS_SEED replays a run.
 */
const ROUNDS = Math.max(1, Number(process.env.PAYMENTS_CHAOS_ROUNDS ?? 1));
const SEED = Number(process.env.PAYMENTS_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRAFFIC_MS_PER_ROUND = 5_000;
const CLIENTS = 8;
const INTERVAL_MS = 500;
const SETTLE_WITHIN_MS = 60_000;

jest.setTimeout(90_000 + ROUNDS * 40_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const report = (line: string): void => void process.stdout.write(`${line}\n`);

interface User {
  id: string;
  token: string;
}
interface Intent {
  user: User;
  key: string;
  body: { amount: number; currency: string; recipientId: string };
}
interface PaymentView {
  id: string;
  status: string;
  amount: number;
  currency: string;
  recipientId: string;
}

function createAdmin(databaseUrl: string, email: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'dist/features/users/cli/create-user.js'), '--email', email, '--role', 'admin'],
      {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`user:create failed: ${stderr}`))));
    child.stdin.end(`${password}\n`);
  });
}

describe('payments ledger under provider chaos and a SIGKILLed gateway (built server)', () => {
  let db: ScratchDatabase;
  let provider: ChaosProvider;
  let server: BuiltServer | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('run `npm run build` first');
    report(`ledger chaos: seed ${SEED} (PAYMENTS_CHAOS_SEED=${SEED} replays it), ${ROUNDS} round(s)`);
    db = await createScratchDatabase();
    provider = await ChaosProvider.start(seededRandom(SEED));
    env = testVariables({
      DATABASE_URL: db.url,
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_TIMEOUT_MS: '400',
      PAYMENT_PROVIDER_RETRIES: '1',
      CIRCUIT_FAILURE_THRESHOLD: '5',
      CIRCUIT_HALF_OPEN_AFTER_MS: '1000',
      PAYMENT_RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await server?.kill();
    await provider?.close();
    await db?.drop();
  });

  it('keeps the provider ledger and the payments in agreement: one charge = one succeeded payment, nothing unknown, no 500 [gate:1.7.4] [gate:1.7.5] [gate:1.7.7]', async () => {
    try {
      await chaosRun();
    } catch (error) {
      (error as Error).message = `[ledger chaos seed ${SEED}] ${(error as Error).message}`;
      throw error;
    }
  });

  async function chaosRun(): Promise<void> {
    const random = seededRandom(SEED ^ 0x5eed);
    server = await startBuiltServer(env, 30_000);
    let url = server.url;

    // Users: an admin from the CLI, then six users through the admin API.
    const adminEmail = randomEmail();
    const adminPassword = randomPassword();
    await createAdmin(db.url, adminEmail, adminPassword);
    const loginAs = async (email: string, password: string): Promise<string> => {
      const res = await http<{ accessToken: string }>(url, 'POST', '/v1/auth/login', { body: { email, password } });
      expect(res.status).toBe(200);
      return res.body.accessToken;
    };
    const adminToken = await loginAs(adminEmail, adminPassword);
    const users: User[] = [];
    for (let i = 0; i < 6; i++) {
      const email = randomEmail();
      const password = randomPassword();
      const created = await http<{ id: string }>(url, 'POST', '/v1/admin/users', {
        token: adminToken,
        body: { email, password, role: 'user' },
      });
      expect(created.status).toBe(201);
      users.push({ id: created.body.id, token: await loginAs(email, password) });
    }

    // Everything any client was ever told.
    const intents: Intent[] = [];
    const statuses = new Map<number, number>();
    const toldSucceeded: { intent: Intent; payment: PaymentView }[] = [];
    const violations: string[] = [];
    let stopClients = false;

    async function send(intent: Intent): Promise<'done' | 'retry'> {
      let res;
      try {
        res = await http<PaymentView & { code?: string }>(url, 'POST', '/v1/payments', {
          token: intent.user.token,
          headers: { 'idempotency-key': intent.key },
          body: intent.body,
        });
      } catch {
        return 'retry'; // the gateway is down (killed) or the connection broke
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 && ![502, 503, 504].includes(res.status)) {
        violations.push(`HTTP ${res.status} for ${intent.key}: ${res.text.slice(0, 200)}`);
      }
      if (res.status === 201) {
        if (res.body.status === 'succeeded') toldSucceeded.push({ intent, payment: res.body });
        return 'done';
      }
      if ([502, 503, 504].includes(res.status) || (res.status === 409 && /in progress/.test(res.text))) return 'retry';
      violations.push(`unexpected HTTP ${res.status} for ${intent.key}: ${res.text.slice(0, 200)}`);
      return 'done';
    }

    /** One client: new payments one after another, each retried with its key until answered or stopped. */
    async function client(n: number): Promise<void> {
      let seq = 0;
      while (!stopClients) {
        seq += 1;
        // Clients 0 and 1 are two users who pick the very same keys.
        const user = must(n < 2 ? users[n] : users[2 + Math.floor(random() * 4)], 'a client user');
        const key = n < 2 ? `shared-key-${seq}` : `c${n}-${seq}-${randomUUID().slice(0, 8)}`;
        const intent: Intent = {
          user,
          key,
          body: {
            amount: 1 + Math.floor(random() * 99_999),
            currency: random() < 0.5 ? 'EUR' : 'USD',
            recipientId: randomUUID(),
          },
        };
        intents.push(intent);
        while (!stopClients && (await send(intent)) === 'retry') await sleep(50 + Math.floor(random() * 250));
      }
    }

    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    let restartedAt = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await sleep(TRAFFIC_MS_PER_ROUND * (0.3 + 0.3 * random()));
      // SIGKILL while the provider is working on at least one of the gateway's calls (bounded wait).
      const deadline = Date.now() + 3_000;
      while (provider.pending === 0 && Date.now() < deadline) await sleep(10);
      const midCall = provider.pending > 0;
      await server.kill();
      report(`ledger chaos: round ${round}: gateway SIGKILLed (${midCall ? 'mid-call' : 'no call in flight'})`);
      server = await startBuiltServer(env, 30_000);
      url = server.url;
      restartedAt = Date.now();
      await sleep(TRAFFIC_MS_PER_ROUND * 0.5);
    }
    stopClients = true;
    await Promise.all(clients);

    // The provider heals; from here on no client does anything.
    const healedAt = Date.now();
    provider.heal();
    const listAll = async (userId: string, query = ''): Promise<PaymentView[]> => {
      const items: PaymentView[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: PaymentView[]; nextCursor: string | null } } = await http<{
          items: PaymentView[];
          nextCursor: string | null;
        }>(url, 'GET', `/v1/payments?userId=${userId}&limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`, {
          token: adminToken,
        });
        expect(res.status).toBe(200);
        items.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      return items;
    };
    let breakerClosedAt = 0;
    let settledAt = 0;
    const settleDeadline = Date.now() + SETTLE_WITHIN_MS;
    while (!settledAt || !breakerClosedAt) {
      if (Date.now() > settleDeadline) break;
      if (!breakerClosedAt) {
        const ready = await http(url, 'GET', '/health/ready');
        const state = (ready.body.details as Record<string, Record<string, unknown> | undefined>).paymentProvider
          ?.state;
        if (state === 'closed') breakerClosedAt = Date.now();
      }
      if (!settledAt) {
        const unknown = (await Promise.all(users.map((u) => listAll(u.id, '&status=unknown')))).flat();
        if (unknown.length === 0) settledAt = Date.now();
      }
      await sleep(200);
    }

    // Invariants: the provider's ledger against GET /v1/payments.
    const owned = new Map<string, { owner: User; payment: PaymentView }>();
    for (const user of users)
      for (const payment of await listAll(user.id)) owned.set(payment.id, { owner: user, payment });
    const intentByRecipient = new Map(intents.map((i) => [i.body.recipientId, i]));
    const unknown = [...owned.values()].filter((o) => o.payment.status === 'unknown');
    const ledger = [...provider.ledger.values()];

    expect(violations).toEqual([]); // no 500, nothing unexpected
    expect(unknown.map((o) => o.payment.id)).toEqual([]); // nothing left unknown
    const recipients = ledger.map((c) => c.recipientId);
    expect(new Set(recipients).size).toBe(recipients.length); // no recipient charged twice
    for (const charge of ledger) {
      // Exactly one succeeded payment (its provider key is its id), of the user who asked, same money.
      const found = owned.get(charge.key);
      expect(found).toBeDefined();
      const intent = intentByRecipient.get(charge.recipientId)!;
      expect({
        status: found!.payment.status,
        owner: found!.owner.id,
        amount: found!.payment.amount,
        currency: found!.payment.currency,
        recipientId: found!.payment.recipientId,
      }).toEqual({
        status: 'succeeded',
        owner: intent.user.id,
        amount: charge.amount,
        currency: charge.currency,
        recipientId: charge.recipientId,
      });
      expect({ amount: intent.body.amount, currency: intent.body.currency }).toEqual({
        amount: charge.amount,
        currency: charge.currency,
      });
    }
    const succeeded = [...owned.values()].filter((o) => o.payment.status === 'succeeded');
    expect(succeeded.length).toBe(ledger.length); // and no succeeded payment without a charge
    for (const told of toldSucceeded) expect(provider.ledger.has(told.payment.id)).toBe(true); // never a false "succeeded"
    const sharedCharges = ledger.filter((c) => intentByRecipient.get(c.recipientId)!.key.startsWith('shared-key-'));

    report(
      `ledger chaos: ${intents.length} payments asked by ${CLIENTS} clients, ${ledger.length} charged ` +
        `(${sharedCharges.length} under keys two users shared), ${provider.requests} provider requests; ` +
        `answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    report(
      `ledger chaos: provider healed -> breaker closed ${breakerClosedAt - healedAt} ms; ` +
        `provider healed -> all unknown settled ${settledAt - healedAt} ms; ` +
        `last restart -> all unknown settled ${settledAt - restartedAt} ms ` +
        `(lease ${2 * 400 + 2000 + 10_000} ms + 2 x ${INTERVAL_MS} ms interval)`,
    );
    expect(breakerClosedAt).toBeGreaterThan(0);
    expect(settledAt).toBeGreaterThan(0);
    // The run exercised what it claims to: charges, and payments of both users sharing keys.
    expect(ledger.length).toBeGreaterThan(0);
    expect(intents.filter((i) => i.key.startsWith('shared-key-')).length).toBeGreaterThanOrEqual(2);
    expect(server.output()).not.toContain(env.PAYMENT_PROVIDER_API_KEY);
  }
});
