import { Test } from '@nestjs/testing';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { HashingBusyError, PasswordHasher, UsersService } from '../users';
import { AuthService, type LoginResult } from './auth.service';
import {
  type AttemptStart,
  type LoginAttempt,
  LockoutService,
  LockoutUnavailableError,
} from './lockout/lockout.service';
import type { AttemptKeys } from './lockout/lockout-keys';
import { AccessTokenService } from './tokens/access-token.service';
import { RefreshTokenService } from './tokens/refresh-token.service';

interface FakeUser {
  id: string;
  email: string;
  passwordHash: string;
  role: 'user' | 'admin';
  disabled: boolean;
  sessionVersion: number;
}

const CLIENT = '203.0.113.9';
/** A stand-in for the attempt's derived keys: which account and client they were derived for. */
const keysOf = (email: string, client: string): AttemptKeys =>
  ({ pair: `${email}|${client}` }) as unknown as AttemptKeys;
const attempt = { keys: {}, pairCount: 1, allCount: 1, clientCount: 1, knownClient: false } as unknown as LoginAttempt;

describe('AuthService.login (in-memory users, fake lockout, hasher and tokens)', () => {
  const users = new Map<string, FakeUser>();
  const usersService = { findByEmail: jest.fn((email: string) => Promise.resolve(users.get(email) ?? null)) };
  const hasher = {
    warmUp: jest.fn(),
    assertCapacity: jest.fn(),
    hasRoom: jest.fn((_lane: string) => true),
    verify: jest.fn((hash: string | undefined, password: string, _lane?: string) =>
      Promise.resolve(hash === `hash:${password}`),
    ),
  };
  const lockout = {
    keys: { attempt: jest.fn(keysOf) },
    beginAttempt: jest.fn<Promise<AttemptStart>, [AttemptKeys]>(),
    isKnownClient: jest.fn<Promise<boolean>, [AttemptKeys]>(),
    failed: jest.fn(),
    succeeded: jest.fn(),
    refund: jest.fn(),
    clientStanding: jest.fn(),
  };
  const accessTokens = { issue: jest.fn(() => Promise.resolve({ token: 'a.b.c', expiresIn: 900 })) };
  const refreshTokens = { issue: jest.fn(() => Promise.resolve({ token: 'refresh', expiresIn: 1209600 })) };
  const metrics = { loginAttempt: jest.fn(), rateLimited: jest.fn() };
  let auth: AuthService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        AuthService,
        { provide: UsersService, useValue: usersService },
        { provide: PasswordHasher, useValue: hasher },
        { provide: AccessTokenService, useValue: accessTokens },
        { provide: RefreshTokenService, useValue: refreshTokens },
        { provide: LockoutService, useValue: lockout },
        { provide: MetricsService, useValue: metrics },
      ],
    }).compile();
    auth = moduleRef.get(AuthService);
  });

  beforeEach(() => {
    jest.clearAllMocks();
    hasher.assertCapacity.mockImplementation(() => undefined);
    hasher.hasRoom.mockImplementation(() => true);
    lockout.beginAttempt.mockResolvedValue({ kind: 'counted', attempt });
    users.clear();
    users.set('ann@example.test', {
      id: 'u-ann',
      email: 'ann@example.test',
      passwordHash: 'hash:right',
      role: 'user',
      disabled: false,
      sessionVersion: 0,
    });
  });

  const login = (email: string, password: string): Promise<LoginResult> => auth.login(email, password, CLIENT);

  it('warms the login path before readiness: the hashing threads and user lookups, which may fail', async () => {
    await auth.onModuleInit();
    expect(hasher.warmUp).toHaveBeenCalledTimes(1);
    expect(usersService.findByEmail.mock.calls.length).toBeGreaterThanOrEqual(2);
    for (const [email] of usersService.findByEmail.mock.calls) expect(email).toMatch(/@[a-z.-]+\.invalid$/);
    usersService.findByEmail.mockRejectedValueOnce(new Error('database not reachable'));
    await expect(auth.onModuleInit()).resolves.toBeUndefined();
  });

  it('signs in with the right password: a token pair, the attempt given back, counted as success', async () => {
    const result = await login(' Ann@Example.TEST ', 'right');
    expect(result).toEqual({
      kind: 'signed-in',
      tokens: {
        accessToken: 'a.b.c',
        refreshToken: 'refresh',
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 1209600,
      },
    });
    expect(lockout.beginAttempt).toHaveBeenCalledWith(keysOf('ann@example.test', CLIENT));
    expect(lockout.succeeded).toHaveBeenCalledWith(attempt);
    expect(lockout.failed).not.toHaveBeenCalled();
    expect(metrics.loginAttempt).toHaveBeenCalledWith('success');
  });

  it.each([
    ['a wrong password', 'ann@example.test', 'wrong'],
    ['an unknown account (one dummy verification all the same)', 'nobody@example.test', 'right'],
  ])('refuses %s as invalid-credentials and keeps the failure counted', async (_what, email, password) => {
    const result = await login(email, password);
    expect(result).toEqual({ kind: 'refused', reason: 'invalid-credentials' });
    expect(hasher.verify).toHaveBeenCalledTimes(1);
    expect(lockout.failed).toHaveBeenCalledWith(attempt);
    expect(lockout.succeeded).not.toHaveBeenCalled();
    expect(metrics.loginAttempt).toHaveBeenCalledWith('invalid_credentials');
  });

  it('refuses a disabled account with the right password exactly like a wrong one', async () => {
    users.set('ann@example.test', { ...users.get('ann@example.test')!, disabled: true });
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'refused', reason: 'invalid-credentials' });
    expect(lockout.failed).toHaveBeenCalledWith(attempt);
    expect(refreshTokens.issue).not.toHaveBeenCalled();
  });

  it.each(['locked', 'closed_to_unknown_client'] as const)(
    'answers account-locked (%s) without looking the user up or checking a password',
    async (refusal) => {
      lockout.beginAttempt.mockResolvedValue({ kind: 'account-locked', refusal, retryAfterSeconds: 42 });
      expect(await login('ann@example.test', 'right')).toEqual({
        kind: 'account-locked',
        refusal,
        retryAfterSeconds: 42,
      });
      expect(usersService.findByEmail).not.toHaveBeenCalled();
      expect(hasher.verify).not.toHaveBeenCalled();
      expect(metrics.loginAttempt).toHaveBeenCalledWith(refusal);
      expect(metrics.rateLimited).not.toHaveBeenCalled();
    },
  );

  it('answers client-throttled without a password check, counted as client_limited and a rate limit', async () => {
    lockout.beginAttempt.mockResolvedValue({ kind: 'client-throttled', retryAfterSeconds: 77 });
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'client-throttled', retryAfterSeconds: 77 });
    expect(hasher.verify).not.toHaveBeenCalled();
    expect(metrics.loginAttempt).toHaveBeenCalledWith('client_limited');
    expect(metrics.rateLimited).toHaveBeenCalledWith('login_failures');
  });

  it('answers hashing-busy before counting anything when the bulkhead is full', async () => {
    hasher.assertCapacity.mockImplementation(() => {
      throw new HashingBusyError();
    });
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'hashing-busy', retryAfterSeconds: 1 });
    expect(lockout.beginAttempt).not.toHaveBeenCalled();
    expect(metrics.loginAttempt).toHaveBeenCalledWith('unavailable');
  });

  it('checks the lanes for a known client first: with no place even there, refuses before any other work', async () => {
    hasher.assertCapacity.mockImplementation(() => {
      throw new HashingBusyError();
    });
    await login('ann@example.test', 'right');
    expect(hasher.assertCapacity).toHaveBeenCalledWith('known');
    expect(lockout.isKnownClient).not.toHaveBeenCalled();
  });

  it('with only the places kept for known clients left, refuses a client the account does not know, counting nothing', async () => {
    hasher.hasRoom.mockImplementation((lane) => lane === 'known');
    lockout.isKnownClient.mockResolvedValue(false);
    expect(await login(' Ann@Example.TEST ', 'right')).toEqual({ kind: 'hashing-busy', retryAfterSeconds: 1 });
    expect(lockout.isKnownClient).toHaveBeenCalledWith(keysOf('ann@example.test', CLIENT));
    expect(lockout.beginAttempt).not.toHaveBeenCalled();
    expect(hasher.verify).not.toHaveBeenCalled();
    expect(metrics.loginAttempt).toHaveBeenCalledWith('unavailable');
  });

  it('with only the kept places left, lets a known client in, verified in the known lane', async () => {
    hasher.hasRoom.mockImplementation((lane) => lane === 'known');
    lockout.isKnownClient.mockResolvedValue(true);
    lockout.beginAttempt.mockResolvedValue({ kind: 'counted', attempt: { ...attempt, knownClient: true } });
    expect((await login('ann@example.test', 'right')).kind).toBe('signed-in');
    expect(hasher.verify).toHaveBeenCalledWith('hash:right', 'right', 'known');
    // The read and the count use the keys derived once for the attempt.
    expect(lockout.keys.attempt).toHaveBeenCalledTimes(1);
    expect(lockout.isKnownClient).toHaveBeenCalledWith(keysOf('ann@example.test', CLIENT));
    expect(lockout.beginAttempt).toHaveBeenCalledWith(keysOf('ann@example.test', CLIENT));
  });

  it('verifies a known client in the known lane and any other in the shared lane, without the extra read while there is room', async () => {
    lockout.beginAttempt.mockResolvedValueOnce({ kind: 'counted', attempt: { ...attempt, knownClient: true } });
    await login('ann@example.test', 'right');
    await login('ann@example.test', 'right');
    expect(hasher.verify.mock.calls.map((call) => call[2])).toEqual(['known', 'shared']);
    expect(lockout.isKnownClient).not.toHaveBeenCalled();
  });

  it('answers lockout-unavailable when the known-client read fails', async () => {
    hasher.hasRoom.mockImplementation((lane) => lane === 'known');
    lockout.isKnownClient.mockRejectedValueOnce(new LockoutUnavailableError());
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'lockout-unavailable', retryAfterSeconds: 5 });
    expect(lockout.beginAttempt).not.toHaveBeenCalled();
  });

  it('answers hashing-busy and refunds the attempt when the bulkhead refuses the verification', async () => {
    hasher.verify.mockRejectedValueOnce(new HashingBusyError());
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'hashing-busy', retryAfterSeconds: 1 });
    expect(lockout.refund).toHaveBeenCalledWith(attempt);
    expect(lockout.failed).not.toHaveBeenCalled();
  });

  it('answers lockout-unavailable (Retry-After 5) when the lockout store fails, before or after the check', async () => {
    lockout.beginAttempt.mockRejectedValueOnce(new LockoutUnavailableError());
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'lockout-unavailable', retryAfterSeconds: 5 });
    expect(hasher.verify).not.toHaveBeenCalled();
    lockout.succeeded.mockRejectedValueOnce(new LockoutUnavailableError());
    expect(await login('ann@example.test', 'right')).toEqual({ kind: 'lockout-unavailable', retryAfterSeconds: 5 });
    expect(metrics.loginAttempt.mock.calls).toEqual([['unavailable'], ['unavailable']]);
  });

  it('rethrows any other failure (database down) after refunding, counted as unavailable', async () => {
    const down = new Error('database down');
    usersService.findByEmail.mockRejectedValueOnce(down);
    await expect(login('ann@example.test', 'right')).rejects.toBe(down);
    expect(lockout.refund).toHaveBeenCalledWith(attempt);
    expect(metrics.loginAttempt).toHaveBeenCalledWith('unavailable');
  });

  it('clientStanding counts a throttled client as a rate limit and passes the standing on', async () => {
    lockout.clientStanding.mockResolvedValueOnce({ kind: 'client-throttled', retryAfterSeconds: 30 });
    expect(await auth.clientStanding(CLIENT)).toEqual({ kind: 'client-throttled', retryAfterSeconds: 30 });
    expect(metrics.rateLimited).toHaveBeenCalledWith('login_failures');
    lockout.clientStanding.mockResolvedValueOnce({ kind: 'allowed' });
    expect(await auth.clientStanding(CLIENT)).toEqual({ kind: 'allowed' });
    expect(metrics.rateLimited).toHaveBeenCalledTimes(1);
  });
});
