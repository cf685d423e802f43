import { randomBytes, randomUUID } from 'node:crypto';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import type { TokenPairDto } from './dto/token-pair.dto';
import { HashingBusyError } from '../users';
import { LockoutUnavailableError } from './lockout/lockout.service';

const pair: TokenPairDto = {
  accessToken: 'a.b.c',
  refreshToken: 'r'.repeat(43),
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshExpiresIn: 1209600,
};
const credentials = { email: 'ann@example.test', password: 'correct horse battery staple' };
const refreshToken = randomBytes(32).toString('base64url');

describe('AuthController (fake service)', () => {
  const auth = { login: jest.fn(), refresh: jest.fn(), logout: jest.fn(), clientStanding: jest.fn() };
  let api: ControllerApp;

  beforeAll(async () => {
    api = await controllerApp({ controllers: [AuthController], providers: [{ provide: AuthService, useValue: auth }] });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    jest.resetAllMocks();
    auth.clientStanding.mockResolvedValue({ kind: 'allowed' });
  });

  const login = (body: unknown = credentials) => api.request({ method: 'POST', url: '/v1/auth/login', body });
  const refresh = () => api.request({ method: 'POST', url: '/v1/auth/refresh', body: { refreshToken } });

  describe('POST /v1/auth/login', () => {
    it('is public and answers 200 with the token pair', async () => {
      auth.login.mockResolvedValue({ kind: 'signed-in', tokens: pair });
      const res = await login();
      expect(res).toMatchObject({ status: 200, body: pair });
      expect(auth.login).toHaveBeenCalledWith(credentials.email, credentials.password, expect.any(String));
    });

    it('maps refused (invalid-credentials) to 401 INVALID_CREDENTIALS with the catalog detail', async () => {
      auth.login.mockResolvedValue({ kind: 'refused', reason: 'invalid-credentials' });
      const res = await login();
      expect(res.status).toBe(401);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.body).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: 'The email or password is incorrect.' });
    });

    it.each(['locked', 'closed_to_unknown_client'])(
      'maps account-locked (%s) to 423 ACCOUNT_LOCKED with Retry-After',
      async (refusal) => {
        auth.login.mockResolvedValue({ kind: 'account-locked', refusal, retryAfterSeconds: 42 });
        const res = await login();
        expect(res.status).toBe(423);
        expect(res.headers['retry-after']).toBe('42');
        expect(res.body).toMatchObject({
          code: 'ACCOUNT_LOCKED',
          detail: 'Too many failed sign-in attempts. Try again later.',
        });
      },
    );

    it('maps client-throttled to 429 RATE_LIMITED with Retry-After and the seconds in the detail', async () => {
      auth.login.mockResolvedValue({ kind: 'client-throttled', retryAfterSeconds: 77 });
      const res = await login();
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('77');
      expect(res.body).toMatchObject({
        code: 'RATE_LIMITED',
        detail: 'Too many failed sign-in attempts from this client. Retry after 77 seconds.',
      });
    });

    it.each([
      ['lockout-unavailable', 5, 'Sign-in is temporarily unavailable. Retry shortly.'],
      ['hashing-busy', 1, 'Too many sign-ins are being processed. Retry shortly.'],
    ])('maps %s to 503 SERVICE_UNAVAILABLE with Retry-After', async (kind, retryAfterSeconds, detail) => {
      auth.login.mockResolvedValue({ kind, retryAfterSeconds });
      const res = await login();
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe(String(retryAfterSeconds));
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail });
    });

    it.each([
      [new HashingBusyError(), '1', 'Too many sign-ins are being processed. Retry shortly.'],
      [new LockoutUnavailableError(), '5', 'Sign-in is temporarily unavailable. Retry shortly.'],
    ])(
      'answers a thrown %s with 503 SERVICE_UNAVAILABLE and Retry-After (the filter maps it)',
      async (error, retryAfter, detail) => {
        auth.login.mockRejectedValue(error);
        const res = await login();
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe(retryAfter);
        expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail });
      },
    );

    it('refuses a body without a valid email or password before the service (400 naming the fields)', async () => {
      const res = await login({ email: 'not an email', password: 7 });
      expect(res.status).toBe(400);
      const fields = (res.body?.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
      expect(auth.login).not.toHaveBeenCalled();
    });
  });

  describe('POST /v1/auth/refresh', () => {
    it('is public and answers 200 with the new pair, passing the client address', async () => {
      auth.refresh.mockResolvedValue({ kind: 'ok', tokens: pair });
      const res = await refresh();
      expect(res).toMatchObject({ status: 200, body: pair });
      expect(auth.refresh).toHaveBeenCalledWith(refreshToken, { clientIp: expect.any(String) });
    });

    it.each([
      ['invalid', 'TOKEN_INVALID', 'The refresh token is invalid, expired or revoked.'],
      ['already-rotated', 'TOKEN_INVALID', 'This refresh token was already rotated. Use the newest one.'],
      ['reused', 'TOKEN_REUSED', 'This refresh token was already used. All sessions of this login have been ended.'],
    ])('maps a %s token to 401 %s', async (why, code, detail) => {
      auth.refresh.mockResolvedValue({ kind: 'refused', why });
      const res = await refresh();
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code, detail });
    });

    it('answers 429 RATE_LIMITED with Retry-After to a throttled client, before the service', async () => {
      auth.clientStanding.mockResolvedValue({ kind: 'client-throttled', retryAfterSeconds: 30 });
      const res = await refresh();
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body).toMatchObject({
        code: 'RATE_LIMITED',
        detail: 'Too many failed sign-in attempts from this client. Retry after 30 seconds.',
      });
      expect(auth.refresh).not.toHaveBeenCalled();
    });

    it('refuses a malformed token before the service (400 naming refreshToken)', async () => {
      const res = await api.request({ method: 'POST', url: '/v1/auth/refresh', body: { refreshToken: 'short' } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [expect.objectContaining({ field: 'refreshToken' })] });
      expect(auth.refresh).not.toHaveBeenCalled();
    });
  });

  it('POST /v1/auth/logout answers 429 RATE_LIMITED to a throttled client and revokes nothing', async () => {
    auth.clientStanding.mockResolvedValue({ kind: 'client-throttled', retryAfterSeconds: 30 });
    const res = await api.request({ method: 'POST', url: '/v1/auth/logout', body: { refreshToken } });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(auth.logout).not.toHaveBeenCalled();
  });

  it('POST /v1/auth/logout is public and answers 204 with no body', async () => {
    auth.logout.mockResolvedValue(undefined);
    const res = await api.request({ method: 'POST', url: '/v1/auth/logout', body: { refreshToken } });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(auth.logout).toHaveBeenCalledWith(refreshToken);
  });

  describe('GET /v1/auth/me', () => {
    it('is an authenticated route: 401 UNAUTHORIZED without a token, TOKEN_INVALID for a malformed one', async () => {
      expect((await api.request({ method: 'GET', url: '/v1/auth/me' })).body).toMatchObject({ code: 'UNAUTHORIZED' });
      const malformed = await api.request({ method: 'GET', url: '/v1/auth/me', token: 'not-a-jwt' });
      expect(malformed.status).toBe(401);
      expect(malformed.body).toMatchObject({ code: 'TOKEN_INVALID' });
      expect(malformed.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('answers the current identity (id, email, role), not what the token was issued with', async () => {
      const id = randomUUID();
      const token = await api.tokenFor({
        id,
        email: 'old@example.test',
        role: 'user',
        disabled: false,
        sessionVersion: 0,
      });
      api.identities.add({ id, email: 'new@example.test', role: 'admin', disabled: false, sessionVersion: 0 });
      const res = await api.request({ method: 'GET', url: '/v1/auth/me', token });
      expect(res).toMatchObject({ status: 200, body: { id, email: 'new@example.test', role: 'admin' } });
    });

    it('refuses a token issued before the sessions were revoked (session version moved on)', async () => {
      const id = randomUUID();
      const token = await api.tokenFor({
        id,
        email: 'x@example.test',
        role: 'user',
        disabled: false,
        sessionVersion: 0,
      });
      api.identities.add({ id, email: 'x@example.test', role: 'user', disabled: false, sessionVersion: 1 });
      expect((await api.request({ method: 'GET', url: '/v1/auth/me', token })).body).toMatchObject({
        code: 'TOKEN_INVALID',
      });
    });
  });
});
