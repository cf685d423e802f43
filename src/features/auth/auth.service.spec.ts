import { Test } from '@nestjs/testing';
import { FakeUsersDb } from '../../../test/helpers/fake-users';
import { loadEnvironment } from '../../platform/config/environment';
import { validVariables } from '../../platform/config/environment.fixture';
import { PrismaService } from '../../platform/database/prisma.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { HashingBusyError, PasswordHasher } from './credentials/password-hasher';
import { LockoutService, type AttemptStart } from './lockout/lockout.service';
import { AccessTokenService } from './tokens/access-token.service';
import { RefreshTokenService, type Rotation } from './tokens/refresh-token.service';
import { tokensConfig } from './tokens/tokens.config';

const THRESHOLD = 3;

/** LockoutService's decisions over an in-memory counter per identifier (Redis proves the atomicity). */
class FakeLockout {
  readonly counts = new Map<string, number>();
  readonly refunded: string[] = [];

  beginAttempt(id: string): Promise<AttemptStart> {
    const count = this.counts.get(id) ?? 0;
    if (count >= THRESHOLD) return Promise.resolve({ kind: 'locked', retryAfterSeconds: 900 });
    this.counts.set(id, count + 1);
    return Promise.resolve({ kind: 'counted', locksOnFailure: count + 1 >= THRESHOLD });
  }

  refund(id: string): Promise<void> {
    this.refunded.push(id);
    this.counts.set(id, Math.max(0, (this.counts.get(id) ?? 0) - 1));
    return Promise.resolve();
  }

  clear(id: string): Promise<void> {
    this.counts.delete(id);
    return Promise.resolve();
  }
}

describe('AuthService (in-memory users and lockout, fake hasher and refresh tokens)', () => {
  let db: FakeUsersDb;
  let lockout: FakeLockout;
  let auth: AuthService;
  const hasher = {
    warmUp: jest.fn(),
    verify: jest.fn((hash: string | undefined, password: string) => Promise.resolve(hash === `hash:${password}`)),
  };
  const refreshTokens = { issue: jest.fn(), rotate: jest.fn(), revokeAllForUser: jest.fn(), revokeFamilyOf: jest.fn() };
  const metrics = { loginAttempt: jest.fn(), accountLocked: jest.fn() };

  beforeEach(async () => {
    jest.clearAllMocks();
    db = new FakeUsersDb();
    lockout = new FakeLockout();
    refreshTokens.issue.mockImplementation((userId: string) =>
      Promise.resolve({ token: 'refresh-1', familyId: 'f1', userId, expiresIn: 1209600 }),
    );
    const env = loadEnvironment(validVariables());
    const moduleRef = await Test.createTestingModule({
      providers: [
        AuthService,
        UsersService,
        AccessTokenService,
        { provide: tokensConfig.KEY, useValue: tokensConfig.select(env) },
        { provide: PrismaService, useValue: db },
        { provide: PasswordHasher, useValue: hasher },
        { provide: LockoutService, useValue: lockout },
        { provide: RefreshTokenService, useValue: refreshTokens },
        { provide: MetricsService, useValue: metrics },
      ],
    }).compile();
    auth = moduleRef.get(AuthService);
  });

  const user = (overrides: { disabled?: boolean } = {}) =>
    db.add({ email: 'ann@example.test', passwordHash: 'hash:right password', ...overrides });

  describe('login', () => {
    it('answers ok with a token pair for the right password, forgets the failures, and counts a success', async () => {
      const ann = user();
      await auth.login('ANN@example.test', 'wrong');
      const result = await auth.login(' Ann@Example.test ', 'right password');
      expect(result).toMatchObject({
        kind: 'ok',
        tokens: { refreshToken: 'refresh-1', tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 1209600 },
      });
      expect(refreshTokens.issue).toHaveBeenCalledWith(ann.id);
      expect(lockout.counts.has('ann@example.test')).toBe(false);
      expect(metrics.loginAttempt).toHaveBeenLastCalledWith('success');
    });

    it.each([
      ['a wrong password', () => user(), 'wrong'],
      ['an unknown email', () => undefined, 'right password'],
      ['a disabled user with the right password', () => user({ disabled: true }), 'right password'],
    ])(
      'answers invalid-credentials for %s, counted as a failure, after one verification',
      async (_what, arrange, password) => {
        arrange();
        await expect(auth.login('ann@example.test', password)).resolves.toEqual({ kind: 'invalid-credentials' });
        expect(hasher.verify).toHaveBeenCalledTimes(1);
        expect(lockout.counts.get('ann@example.test')).toBe(1);
        expect(metrics.loginAttempt).toHaveBeenCalledWith('invalid_credentials');
        expect(refreshTokens.issue).not.toHaveBeenCalled();
      },
    );

    it('locks after the threshold: locked with the wait, without verifying the password, even when it is right', async () => {
      user();
      for (let i = 0; i < THRESHOLD; i++) await auth.login('ann@example.test', 'wrong');
      expect(metrics.accountLocked).toHaveBeenCalledTimes(1);
      hasher.verify.mockClear();
      await expect(auth.login('ann@example.test', 'right password')).resolves.toEqual({
        kind: 'locked',
        retryAfterSeconds: 900,
      });
      expect(hasher.verify).not.toHaveBeenCalled();
      expect(metrics.loginAttempt).toHaveBeenLastCalledWith('locked');
    });

    it('refunds an attempt that was never judged (hashing busy) and lets the error through as unavailable', async () => {
      user();
      hasher.verify.mockRejectedValueOnce(new HashingBusyError());
      await expect(auth.login('ann@example.test', 'right password')).rejects.toBeInstanceOf(HashingBusyError);
      expect(lockout.refunded).toEqual(['ann@example.test']);
      expect(lockout.counts.get('ann@example.test')).toBe(0);
      expect(metrics.loginAttempt).toHaveBeenCalledWith('unavailable');
    });
  });

  describe('refresh', () => {
    const rotated = (overrides: object = {}): Rotation => ({
      kind: 'rotated',
      token: { token: 'refresh-2', familyId: 'f1', userId: 'u1', expiresIn: 600, ...overrides },
    });

    it('passes a refusal through, with its reason', async () => {
      refreshTokens.rotate.mockResolvedValue({ kind: 'refused', why: 'reused' });
      await expect(auth.refresh('t', {})).resolves.toEqual({ kind: 'refused', why: 'reused' });
    });

    it('answers the new pair from what the rotation read, without reading the user again', async () => {
      refreshTokens.rotate.mockResolvedValue(rotated({ role: 'admin', sessionVersion: 2 }));
      const findUnique = jest.spyOn(db.user, 'findUnique');
      await expect(auth.refresh('t', { clientIp: '10.0.0.1' })).resolves.toMatchObject({
        kind: 'ok',
        tokens: { refreshToken: 'refresh-2', refreshExpiresIn: 600 },
      });
      expect(refreshTokens.rotate).toHaveBeenCalledWith('t', { clientIp: '10.0.0.1' });
      expect(findUnique).not.toHaveBeenCalled();
    });

    it('ends every session and refuses when the user was disabled after the rotation', async () => {
      const ann = user({ disabled: true });
      refreshTokens.rotate.mockResolvedValue(rotated({ userId: ann.id }));
      await expect(auth.refresh('t', {})).resolves.toEqual({ kind: 'refused', why: 'invalid' });
      expect(refreshTokens.revokeAllForUser).toHaveBeenCalledWith(ann.id, 'user_disabled');
    });
  });
});
