import { Controller, Get, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as jsonwebtoken from 'jsonwebtoken';
import { AuthenticatedUser, CurrentUser } from '../../src/features/auth/current-user.decorator';
import { Roles } from '../../src/features/auth/roles.decorator';
import { keyIdOf } from '../../src/platform/secrets/signing-key-ring';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { createUser, handSignedToken, login } from './fixtures';

/**
 * A feature module that says nothing about authentication and imports nothing for it: the global
 * guards protect its routes, and @Roles() narrows one.
 */
@Controller('guard-probe')
class GuardProbeController {
  @Get('any')
  @Roles('user', 'admin')
  any(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }

  @Get('admin')
  @Roles('admin')
  admin(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }
}

@Module({ controllers: [GuardProbeController] })
class GuardProbeModule {}

describe('global JwtAuthGuard and RolesGuard in a feature module', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({}, { imports: [GuardProbeModule] });
  });
  afterAll(() => gw.close());

  it('lets a user reach a user route and gives the handler the caller', async () => {
    const user = await createUser(gw);
    const { accessToken } = await login(gw, user);
    const res = await http(gw.url, 'GET', '/v1/guard-probe/any', { token: accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: user.id, email: user.email, role: 'user' });
  });

  it('answers 403 FORBIDDEN to a user on an admin route, 200 to an admin', async () => {
    const { accessToken: userToken } = await login(gw, await createUser(gw));
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/admin', { token: userToken }), 403, 'FORBIDDEN');
    const { accessToken: adminToken } = await login(gw, await createUser(gw, 'admin'));
    expect((await http(gw.url, 'GET', '/v1/guard-probe/admin', { token: adminToken })).status).toBe(200);
  });

  it('answers 401 UNAUTHORIZED without a token (before any role check)', async () => {
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/admin'), 401, 'UNAUTHORIZED');
  });

  it('refuses a token claiming admin when it is forged with another key', async () => {
    const user = await createUser(gw);
    const now = Math.floor(Date.now() / 1000);
    const forged = handSignedToken(gw, user.id, { role: 'admin', iat: now, exp: now + 60 }, randomSecret());
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/admin', { token: forged }), 401, 'TOKEN_INVALID');
  });

  it('refuses an unsigned (alg none) token', async () => {
    const user = await createUser(gw);
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      sub: user.id,
      role: 'admin',
      jti: randomUUID(),
      iat: now,
      exp: now + 60,
      iss: gw.env.JWT_ISSUER,
      aud: gw.env.JWT_AUDIENCE,
    })}.`;
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/any', { token }), 401, 'TOKEN_INVALID');
  });

  it('refuses an expired token signed with the right key', async () => {
    const user = await createUser(gw);
    const now = Math.floor(Date.now() / 1000);
    const expired = handSignedToken(gw, user.id, { role: 'user', iat: now - 120, exp: now - 60 });
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/any', { token: expired }), 401, 'TOKEN_INVALID');
  });

  it('refuses a token it has already accepted once it expires, and every altered copy meanwhile', async () => {
    const user = await createUser(gw);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = handSignedToken(gw, user.id, { role: 'user', iat: exp - 60, exp });
    const probe = (t: string) => http(gw.url, 'GET', '/v1/guard-probe/any', { token: t });
    // Accepted, so this instance now remembers it as verified.
    expect((await probe(token)).status).toBe(200);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    expectProblem(await probe(`${token.slice(0, -2)}${last}${token.at(-1)}`), 401, 'TOKEN_INVALID');
    expectProblem(
      await probe(`${token.slice(0, token.indexOf('.'))}.${token.slice(token.indexOf('.') + 2)}`),
      401,
      'TOKEN_INVALID',
    );
    // Wait for the expiry second on this clock (the gateway runs on the same one), then ask again.
    while (Date.now() < exp * 1000) await new Promise((resolve) => setTimeout(resolve, 100));
    expectProblem(await probe(token), 401, 'TOKEN_INVALID');
  });

  it('uses the role from the database, not the token: a demoted admin loses admin at once', async () => {
    const admin = await createUser(gw, 'admin');
    const { accessToken } = await login(gw, admin);
    // Through the admin route (it invalidates the cached identity on every instance).
    const other = await login(gw, await createUser(gw, 'admin'));
    const demoted = await http(gw.url, 'PATCH', `/v1/admin/users/${admin.id}`, {
      token: other.accessToken,
      body: { role: 'user' },
    });
    expect(demoted.status).toBe(200);
    expectProblem(await http(gw.url, 'GET', '/v1/guard-probe/admin', { token: accessToken }), 403, 'FORBIDDEN');
  });
});

describe('guard order', () => {
  it('spends the rate limit before authenticating: over budget, a caller without a token gets 429, not 401', async () => {
    const gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '3' });
    try {
      for (let i = 0; i < 3; i++) expectProblem(await http(gw.url, 'GET', '/v1/auth/me'), 401, 'UNAUTHORIZED');
      // Were authentication first, refused callers would never reach the limiter and stay at 401.
      expectProblem(await http(gw.url, 'GET', '/v1/auth/me'), 429, 'RATE_LIMITED');
      expectProblem(await http(gw.url, 'GET', '/v1/payments'), 429, 'RATE_LIMITED');
    } finally {
      await gw.close();
    }
  });
});

describe('JWT secret rotation', () => {
  it('accepts a token from an app with secret S1 in an app with S2 and previous S1 [gate:1.5.4]', async () => {
    const s1 = randomSecret();
    const a = await startApp({ JWT_ACCESS_SECRET: s1 });
    let token: string;
    try {
      token = (await login(a, await createUser(a))).accessToken;
    } finally {
      await a.close();
    }
    const b = await startApp({ JWT_ACCESS_SECRET: randomSecret(), JWT_ACCESS_PREVIOUS_SECRETS: s1 });
    try {
      expect((await http(b.url, 'GET', '/v1/auth/me', { token })).status).toBe(200);
      const fresh = (await login(b, await createUser(b))).accessToken;
      expect(jsonwebtoken.decode(fresh, { complete: true })!.header.kid).toBe(keyIdOf(b.env.JWT_ACCESS_SECRET));
    } finally {
      await b.close();
    }
    const c = await startApp({ JWT_ACCESS_SECRET: randomSecret() });
    try {
      expectProblem(await http(c.url, 'GET', '/v1/auth/me', { token }), 401, 'TOKEN_INVALID');
    } finally {
      await c.close();
    }
  });
});
