import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createSignedInUser, randomEmail, randomPassword, SignedInUser } from '../auth/fixtures';
import { ProbeModule } from '../foundation/probe.module';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { dbSnapshot } from '../helpers/db-snapshot';

/**
 * Issue 12, items 1-4: the reproductions of an outside review, each a regression test asserting
 * the status, the problem+json shape, and that the database did not change.
 */
const PROTOTYPE_NAMES = [
  'hasOwnProperty',
  'toString',
  'valueOf',
  'constructor',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
];

const nestedArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const errorsOf = (res: HttpResult): { field: string; message: string }[] =>
  (res.body.errors as { field: string; message: string }[] | undefined) ?? [];

describe('hostile request bodies (issue 12, items 1-4)', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let alice: SignedInUser;
  let admin: SignedInUser;
  let ids: string[];

  beforeAll(async () => {
    gw = await startApp({ PAYMENT_CURRENCIES: 'EUR,USD,GBP' }, { imports: [ProbeModule] });
    prisma = gw.app.get(PrismaService);
    [alice, admin] = await Promise.all([createSignedInUser(gw), createSignedInUser(gw, 'admin')]);
    ids = [alice.id, admin.id];
  });
  afterAll(() => gw.close());

  const raw = (method: string, path: string, body: string, token?: string, headers: Record<string, string> = {}) =>
    http(gw.url, method, path, {
      rawBody: body,
      token,
      headers: { 'content-type': 'application/json', 'idempotency-key': `hostile-${randomUUID()}`, ...headers },
    });

  /** Runs `act` and asserts it left the database exactly as it was (for this suite's users and `emails`). */
  async function unchanged<T>(act: () => Promise<T>, emails: string[] = []): Promise<T> {
    const before = await dbSnapshot(prisma, ids, emails);
    const result = await act();
    expect(await dbSnapshot(prisma, ids, emails)).toEqual(before);
    return result;
  }

  const validPayment = () => ({ amount: 1250, currency: 'EUR', recipientId: randomUUID(), reference: 'inv 1' });

  describe('1. nesting depth, array length and keys per object are bounded before anything recursive', () => {
    it.each([
      ['/v1/auth/login', false],
      ['/v1/payments', true],
      ['/v1/admin/users', true],
    ])('2,000 nested arrays (4 KB) to %s answer 400, not 500', async (path, authenticated) => {
      const body = nestedArrays(2000);
      expect(body.length).toBe(4000);
      const res = await unchanged(() => raw('POST', path, body, authenticated ? admin.token : undefined));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: 'body', message: 'is nested deeper than 32 levels' }]);
    });

    it('2,000 nested objects, and nesting inside a field, answer 400 too', async () => {
      for (const body of [nestedObjects(2000), `{"email":${nestedArrays(1500)},"password":"x"}`]) {
        const res = await unchanged(() => raw('POST', '/v1/auth/login', body));
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(errorsOf(res)[0]?.message).toBe('is nested deeper than 32 levels');
      }
    });

    it('the bound is exactly 32 levels: 32 reach the DTO checks, 33 do not', async () => {
      const at32 = await raw('POST', '/v1/auth/login', `{"email":${nestedArrays(31)},"password":"x"}`);
      expectProblem(at32, 400, 'VALIDATION_FAILED');
      expect(errorsOf(at32)).toEqual([{ field: 'email', message: 'email must be a string' }]);
      const at33 = await raw('POST', '/v1/auth/login', `{"email":${nestedArrays(32)},"password":"x"}`);
      expect(errorsOf(at33)).toEqual([{ field: 'body', message: 'is nested deeper than 32 levels' }]);
    });

    it('an array of more than 100 elements and an object of more than 64 keys answer 400', async () => {
      const longArray = `{"email":[${Array(101).fill('1').join(',')}],"password":"x"}`;
      const res = await unchanged(() => raw('POST', '/v1/payments', longArray, alice.token));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: 'body', message: 'has an array longer than 100 elements' }]);

      const manyKeys = JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])));
      const res2 = await unchanged(() => raw('POST', '/v1/payments', manyKeys, alice.token));
      expectProblem(res2, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res2)).toEqual([{ field: 'body', message: 'has an object with more than 64 keys' }]);
      // 100 elements is still a well-formed body (refused by the DTO, not by the bound).
      const at100 = await raw('POST', '/v1/payments', `{"amount":[${Array(100).fill('1').join(',')}]}`, alice.token);
      expect(errorsOf(at100).map((e) => e.field)).toContain('amount');
    });
  });

  describe('2. fields named like Object.prototype members are unknown fields, for every DTO and at every level', () => {
    it.each(PROTOTYPE_NAMES)('login with valid credentials plus `%s` is 400, and no session starts', async (name) => {
      const res = await unchanged(() =>
        http(gw.url, 'POST', '/v1/auth/login', { body: { email: alice.email, password: alice.password, [name]: 1 } }),
      );
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: name, message: 'is not an allowed field' }]);
    });

    it.each(PROTOTYPE_NAMES)('a valid payment plus `%s` is 400 and creates nothing', async (name) => {
      const res = await unchanged(() =>
        raw('POST', '/v1/payments', JSON.stringify({ ...validPayment(), [name]: 'x' }), alice.token),
      );
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: name, message: 'is not an allowed field' }]);
    });

    it.each(PROTOTYPE_NAMES)('admin create-user and patch with `%s` are 400 and change nothing', async (name) => {
      const email = randomEmail();
      const created = await unchanged(
        () =>
          http(gw.url, 'POST', '/v1/admin/users', {
            token: admin.token,
            body: { email, password: randomPassword(), role: 'user', [name]: true },
          }),
        [email],
      );
      expectProblem(created, 400, 'VALIDATION_FAILED');
      expect(errorsOf(created)).toEqual([{ field: name, message: 'is not an allowed field' }]);
      const patched = await unchanged(() =>
        http(gw.url, 'PATCH', `/v1/admin/users/${alice.id}`, {
          token: admin.token,
          body: { role: 'admin', [name]: 1 },
        }),
      );
      expectProblem(patched, 400, 'VALIDATION_FAILED');
      expect(errorsOf(patched)).toEqual([{ field: name, message: 'is not an allowed field' }]);
    });

    it.each(PROTOTYPE_NAMES)('refresh and logout with `%s` are 400', async (name) => {
      for (const path of ['/v1/auth/refresh', '/v1/auth/logout']) {
        const res = await unchanged(() =>
          http(gw.url, 'POST', path, { body: { refreshToken: 'r'.repeat(43), [name]: 1 } }),
        );
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(errorsOf(res)).toEqual([{ field: name, message: 'is not an allowed field' }]);
      }
    });

    it.each(PROTOTYPE_NAMES)('query strings with `%s` are 400', async (name) => {
      for (const path of ['/v1/admin/users', '/v1/admin/audit']) {
        const res = await http(gw.url, 'GET', `${path}?${name}=1`, { token: admin.token });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(errorsOf(res)).toEqual([{ field: name, message: 'is not an allowed field' }]);
      }
    });

    it.each(PROTOTYPE_NAMES)('a nested `%s` is an unknown field at its path', async (name) => {
      const res = await http(gw.url, 'POST', '/v1/probe', { body: { amount: 5, address: { line1: 'x', [name]: 1 } } });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: `address.${name}`, message: 'is not an allowed field' }]);
    });
  });

  describe('3. error answers stay small whatever was sent', () => {
    it('a 13 KB body of unknown fields answers at most 20 errors plus truncated: true, in under 4 KB', async () => {
      const body = JSON.stringify(
        Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x${i}${'y'.repeat(200)}`, i])),
      );
      expect(body.length).toBeGreaterThan(12_000);
      const res = await unchanged(() => raw('POST', '/v1/payments', body, alice.token));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toHaveLength(20);
      expect(res.body.truncated).toBe(true);
      expect(Buffer.byteLength(res.text)).toBeLessThan(4096);
      // A field name is echoed at most 64 characters long.
      expect(errorsOf(res).every((e) => e.field.length <= 65)).toBe(true);
    });

    it('a single 15 KB field name is not echoed back in full', async () => {
      const res = await unchanged(() => raw('POST', '/v1/auth/login', JSON.stringify({ ['k'.repeat(15_000)]: 1 })));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(Buffer.byteLength(res.text)).toBeLessThan(2048);
      expect(res.body.truncated).toBeUndefined();
    });
  });

  describe('4. one clear message per field', () => {
    it('amount "100" answers one message that names the expected type', async () => {
      const res = await unchanged(() =>
        raw('POST', '/v1/payments', JSON.stringify({ ...validPayment(), amount: '100' }), alice.token),
      );
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: 'amount', message: 'must be an integer number of minor units' }]);
    });

    it.each([
      [{ email: 42, password: 'x' }, 'email', 'email must be a string'],
      [{ email: 'a@example.test', password: ['x'] }, 'password', 'password must be a string'],
      [
        { email: 'a@example.test', password: 'x'.repeat(200) },
        'password',
        'password must be shorter than or equal to 128 characters',
      ],
    ])('login %j: one message for %s', async (body, field, message) => {
      const res = await unchanged(() => http(gw.url, 'POST', '/v1/auth/login', { body }));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field, message }]);
    });

    it('a missing payment body lists each field once', async () => {
      const res = await unchanged(() => raw('POST', '/v1/payments', '{}', alice.token));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      const fields = errorsOf(res).map((e) => e.field);
      expect(fields.sort()).toEqual(['amount', 'currency', 'recipientId']);
    });

    it.each([
      '{"__proto__":{"role":"admin"},"email":"a@example.test","password":"x"}',
      '{"email":"a@example.test","password":"x","__proto__":null}',
      '{"email":"a@example.test","password":"x","\\u005f_proto__":{}}',
    ])('a `__proto__` key answers "forbidden key `__proto__`": %s', async (body) => {
      const res = await unchanged(() => raw('POST', '/v1/auth/login', body));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: '__proto__', message: 'forbidden key `__proto__`' }]);
      expect(({} as Record<string, unknown>).role).toBeUndefined();
    });

    it('a nested `__proto__` is forbidden too', async () => {
      const res = await unchanged(() =>
        raw('POST', '/v1/probe', '{"amount":5,"address":{"line1":"x","__proto__":{"a":1}}}'),
      );
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorsOf(res)).toEqual([{ field: '__proto__', message: 'forbidden key `__proto__`' }]);
    });
  });
});
