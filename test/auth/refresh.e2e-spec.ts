import { PrismaService } from '../../src/platform/database/prisma.service';
import { RefreshTokenService } from '../../src/features/auth/tokens/refresh-token.service';
import { hashRefreshToken } from '../../src/features/auth/tokens/refresh-token-hash';
import { uuidTime } from '../../src/platform/database/time-ordered-id';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { createUser, login, TokenPair } from './fixtures';

const refresh = (gw: TestApp, refreshToken: string) =>
  http<TokenPair & Record<string, unknown>>(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken } });

async function familyOf(gw: TestApp, token: string, pepper = gw.env.REFRESH_TOKEN_PEPPER) {
  const prisma = gw.app.get(PrismaService);
  const row = await prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: hashRefreshToken(token, pepper) } });
  return prisma.refreshToken.findMany({ where: { familyId: row.familyId }, orderBy: { issuedAt: 'asc' } });
}

describe('refresh-token rotation and reuse detection', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp();
  });
  afterAll(() => gw.close());

  it('rotation returns a new pair and retires the old token [gate:1.2.6] [gate:1.2.9]', async () => {
    const first = await login(gw, await createUser(gw));
    const res = await refresh(gw, first.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: gw.env.JWT_ACCESS_TTL_SECONDS,
      refreshExpiresIn: expect.any(Number),
    });
    expect(res.body.refreshToken).not.toBe(first.refreshToken);
    expect(res.body.accessToken).not.toBe(first.accessToken);
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: res.body.accessToken })).status).toBe(200);

    const family = await familyOf(gw, res.body.refreshToken);
    expect(family).toHaveLength(2);
    expect(family[0]?.usedAt).not.toBeNull();
    expect(family[1]?.parentId).toBe(family[0]?.id);
    expect(family[1]?.usedAt).toBeNull();
  });

  it('keys tokens and families by time-ordered ids, made when the row was', async () => {
    const before = Date.now();
    const first = await login(gw, await createUser(gw));
    const second = (await refresh(gw, first.refreshToken)).body;
    const after = Date.now();
    const family = await familyOf(gw, second.refreshToken);
    const ids = [family[0]?.familyId, ...family.map((t) => t.id)];
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidTime(id ?? '')).toBeGreaterThanOrEqual(before);
      expect(uuidTime(id ?? '')).toBeLessThanOrEqual(after);
    }
    // The successor was made after the login's token: its id is not older.
    expect(uuidTime(family[1]?.id ?? '')).toBeGreaterThanOrEqual(uuidTime(family[0]?.id ?? ''));
  });

  it('stores only the keyed hash, never the token', async () => {
    const pair = await login(gw, await createUser(gw));
    const prisma = gw.app.get(PrismaService);
    const rows = await prisma.$queryRawUnsafe<unknown[]>(
      `SELECT * FROM refresh_tokens WHERE token_hash = $1`,
      hashRefreshToken(pair.refreshToken, gw.env.REFRESH_TOKEN_PEPPER),
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(pair.refreshToken);
  });

  it('successors inherit the family expiry (the lifetime is absolute)', async () => {
    const first = await login(gw, await createUser(gw));
    const second = (await refresh(gw, first.refreshToken)).body;
    const third = (await refresh(gw, second.refreshToken)).body;
    const family = await familyOf(gw, third.refreshToken);
    expect(new Set(family.map((t) => t.expiresAt.getTime())).size).toBe(1);
    expect(third.refreshExpiresIn).toBeLessThanOrEqual(gw.env.REFRESH_TOKEN_TTL_SECONDS);
  });

  it('answers reuse of a retired token with 401 TOKEN_REUSED and kills the newest token of the family [gate:1.2.7] [gate:1.2.10]', async () => {
    const first = await login(gw, await createUser(gw));
    const second = (await refresh(gw, first.refreshToken)).body;
    const third = (await refresh(gw, second.refreshToken)).body;

    // An attacker replays the stolen first token.
    expectProblem(await refresh(gw, first.refreshToken), 401, 'TOKEN_REUSED');
    // The legitimate holder's newest token is dead too.
    expectProblem(await refresh(gw, third.refreshToken), 401, 'TOKEN_INVALID');
    const family = await familyOf(gw, third.refreshToken);
    expect(family.every((t) => t.revokedAt !== null)).toBe(true);
    expect(family.map((t) => t.revokeReason)).toEqual(['reuse_detected', 'reuse_detected', 'reuse_detected']);
  });

  it('logs reuse as a security event with user, family and client IP, never the token', async () => {
    const user = await createUser(gw);
    const first = await login(gw, user);
    await refresh(gw, first.refreshToken);
    // A spoofed X-Forwarded-For from an untrusted peer (TRUST_PROXY unset) is not the client IP.
    await http(gw.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
      headers: { 'x-forwarded-for': '203.0.113.66' },
    });
    const event = gw.logs.find((l) => l.event === 'refresh_token_reuse' && l.userId === user.id);
    expect(event).toEqual(
      expect.objectContaining({ userId: user.id, familyId: expect.any(String), clientIp: '127.0.0.1' }),
    );
    expect(gw.rawLogs()).not.toContain(first.refreshToken);
    expect(JSON.stringify(event)).not.toContain('203.0.113.66');
  });

  it('answers an unknown token with 401 TOKEN_INVALID and a malformed one with 400', async () => {
    expectProblem(await refresh(gw, 'A'.repeat(43)), 401, 'TOKEN_INVALID');
    for (const bad of ['short', 'x'.repeat(129), 'has spaces in it and is long enough to pass the length', 42]) {
      const res = await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: bad } });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect(new Set(fields)).toEqual(new Set(['refreshToken']));
    }
    const extra = await http(gw.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: 'A'.repeat(43), userId: 'x' },
    });
    expectProblem(extra, 400, 'VALIDATION_FAILED');
  });

  it('refuses a JWT presented as a refresh token', async () => {
    const pair = await login(gw, await createUser(gw));
    const res = await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.accessToken } });
    expect([400, 401]).toContain(res.status);
  });

  it('of 50 concurrent refreshes of one token exactly one wins and the family never forks [gate:1.2.6]', async () => {
    const first = await login(gw, await createUser(gw));
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(gw, first.refreshToken)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
    const family = await familyOf(gw, first.refreshToken);
    // The presented token plus at most one successor; with the default grace of 0 the losers'
    // presentations are reuse, so the whole family ends revoked.
    expect(family).toHaveLength(2);
    expect(family.filter((t) => t.parentId === family[0]?.id)).toHaveLength(1);
    expect(family.filter((t) => t.usedAt === null && t.revokedAt === null)).toHaveLength(0);
  });

  it('logout revokes the whole family, is idempotent and answers 204 for unknown tokens too', async () => {
    const first = await login(gw, await createUser(gw));
    const second = (await refresh(gw, first.refreshToken)).body;
    const out = await http(gw.url, 'POST', '/v1/auth/logout', { body: { refreshToken: second.refreshToken } });
    expect(out.status).toBe(204);
    expect(out.text).toBe('');
    expectProblem(await refresh(gw, second.refreshToken), 401, 'TOKEN_INVALID');
    expect(
      (await http(gw.url, 'POST', '/v1/auth/logout', { body: { refreshToken: second.refreshToken } })).status,
    ).toBe(204);
    expect((await http(gw.url, 'POST', '/v1/auth/logout', { body: { refreshToken: 'B'.repeat(43) } })).status).toBe(
      204,
    );
    expectProblem(
      await http(gw.url, 'POST', '/v1/auth/logout', { body: { refreshToken: '<script>' } }),
      400,
      'VALIDATION_FAILED',
    );
    const family = await familyOf(gw, second.refreshToken);
    expect(family.every((t) => t.revokedAt !== null)).toBe(true);
  });

  it("refuses a disabled user's refresh and revokes the user's families", async () => {
    const user = await createUser(gw);
    const a = await login(gw, user);
    const b = await login(gw, user);
    await gw.app.get(PrismaService).user.update({ where: { id: user.id }, data: { disabled: true } });
    expectProblem(await refresh(gw, a.refreshToken), 401, 'TOKEN_INVALID');
    const live = await gw.app.get(PrismaService).refreshToken.count({ where: { userId: user.id, revokedAt: null } });
    expect(live).toBe(0);
    await gw.app.get(PrismaService).user.update({ where: { id: user.id }, data: { disabled: false } });
    expectProblem(await refresh(gw, b.refreshToken), 401, 'TOKEN_INVALID');
  });

  it('refuses an expired token and deletes expired families in bounded batches', async () => {
    const user = await createUser(gw);
    const pairs = await Promise.all([login(gw, user), login(gw, user), login(gw, user)]);
    const prisma = gw.app.get(PrismaService);
    // A family and its tokens share one absolute expiry.
    const expiresAt = new Date(Date.now() - 1000);
    await prisma.refreshFamily.updateMany({ where: { userId: user.id }, data: { expiresAt } });
    await prisma.refreshToken.updateMany({ where: { userId: user.id }, data: { expiresAt } });
    expectProblem(await refresh(gw, pairs[0].refreshToken), 401, 'TOKEN_INVALID');
    const tokens = gw.app.get(RefreshTokenService);
    const deleted = await tokens.deleteExpired(2, 1);
    expect(deleted).toBe(2);
    await tokens.deleteExpired();
    expect(await prisma.refreshToken.count({ where: { userId: user.id } })).toBe(0);
    // A live token is untouched by the cleanup.
    const live = await login(gw, user);
    await tokens.deleteExpired();
    expect((await refresh(gw, live.refreshToken)).status).toBe(200);
  });
});

describe('refresh reuse grace window (REFRESH_REUSE_GRACE_SECONDS > 0)', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ REFRESH_REUSE_GRACE_SECONDS: '30' });
  });
  afterAll(() => gw.close());

  it('treats a retry of a just-rotated token as benign: 401 TOKEN_INVALID, nothing issued, family kept', async () => {
    const first = await login(gw, await createUser(gw));
    const second = (await refresh(gw, first.refreshToken)).body;
    const retry = await refresh(gw, first.refreshToken);
    expectProblem(retry, 401, 'TOKEN_INVALID');
    expect(retry.body.detail).toMatch(/already rotated/);
    // The newest token still works.
    expect((await refresh(gw, second.refreshToken)).status).toBe(200);
    expect(await familyOf(gw, first.refreshToken)).toHaveLength(3);
  });

  it('with 50 concurrent refreshes: exactly one 200 and exactly one live token in the family', async () => {
    const first = await login(gw, await createUser(gw));
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(gw, first.refreshToken)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(49);
    const family = await familyOf(gw, first.refreshToken);
    expect(family.filter((t) => t.usedAt === null && t.revokedAt === null)).toHaveLength(1);
    expect(family).toHaveLength(2);
  });

  it('still treats a retired token presented after the window as reuse [gate:1.2.10]', async () => {
    const first = await login(gw, await createUser(gw));
    await refresh(gw, first.refreshToken);
    const prisma = gw.app.get(PrismaService);
    await prisma.refreshToken.update({
      where: { tokenHash: hashRefreshToken(first.refreshToken, gw.env.REFRESH_TOKEN_PEPPER) },
      data: { usedAt: new Date(Date.now() - 31_000) },
    });
    expectProblem(await refresh(gw, first.refreshToken), 401, 'TOKEN_REUSED');
  });
});

describe('refresh-token pepper rotation', () => {
  /** Logs a new user in on an app with a fresh pepper, then stops that app. */
  async function loginUnderPepper(): Promise<{ pepper: string; pair: TokenPair }> {
    const pepper = randomSecret();
    const app = await startApp({ REFRESH_TOKEN_PEPPER: pepper });
    try {
      return { pepper, pair: await login(app, await createUser(app)) };
    } finally {
      await app.close();
    }
  }

  it('still refreshes a token issued under the old pepper after rotating it [gate:1.5.4]', async () => {
    const { pepper: p1, pair } = await loginUnderPepper();
    const b = await startApp({ REFRESH_TOKEN_PEPPER: randomSecret(), REFRESH_TOKEN_PEPPER_PREVIOUS: p1 });
    try {
      const res = await refresh(b, pair.refreshToken);
      expect(res.status).toBe(200);
      // The successor is stored under the new pepper.
      const family = await familyOf(b, res.body.refreshToken);
      expect(family[1]?.tokenHash).toBe(hashRefreshToken(res.body.refreshToken, b.env.REFRESH_TOKEN_PEPPER));
      // Reuse detection works across peppers too.
      expectProblem(await refresh(b, pair.refreshToken), 401, 'TOKEN_REUSED');
    } finally {
      await b.close();
    }
  });

  it('does not match an old-pepper token once the old pepper is dropped', async () => {
    const { pair } = await loginUnderPepper();
    const b = await startApp({ REFRESH_TOKEN_PEPPER: randomSecret() });
    try {
      expectProblem(await refresh(b, pair.refreshToken), 401, 'TOKEN_INVALID');
    } finally {
      await b.close();
    }
  });
});
