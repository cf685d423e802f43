import { setTimeout as sleep } from 'node:timers/promises';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { RefreshTokenService } from '../../src/features/auth/tokens/refresh-token.service';
import { ProblemException } from '../../src/platform/problems';
import { startApp, TestApp } from '../helpers/app';
import { createUser, rotateOrThrow } from './fixtures';

/**
 * Rotation racing revocation, at the service level so that both calls really overlap in the
 * database. Each trial starts the two calls with a small, varying stagger (0-3 ms, either one
 * first) so that every interleaving is hit: revoke before, during and after the rotation's
 * statement. Afterwards nothing the revocation was meant to end may still work.
 */
const TRIALS = 60;

/** Runs `a` and `b` concurrently, `b` (or `a`) delayed by a stagger that varies with the trial. */
async function race<A, B>(trial: number, a: () => Promise<A>, b: () => Promise<B>) {
  const stagger = trial % 4;
  const delayed = async <T>(fn: () => Promise<T>, ms: number): Promise<T> => {
    if (ms > 0) await sleep(ms);
    return fn();
  };
  const bFirst = trial % 2 === 1;
  return Promise.allSettled([delayed(a, bFirst ? stagger : 0), delayed(b, bFirst ? 0 : stagger)] as const);
}

function problemCode(reason: unknown): string | undefined {
  return reason instanceof ProblemException ? reason.code : undefined;
}

describe('refresh-token rotation racing revocation', () => {
  let gw: TestApp;
  let tokens: RefreshTokenService;
  let prisma: PrismaService;
  beforeAll(async () => {
    gw = await startApp({ DB_POOL_MAX: '10' });
    tokens = gw.app.get(RefreshTokenService);
    prisma = gw.app.get(PrismaService);
  });
  afterAll(() => gw.close());

  const liveTokensOfUser = (userId: string) =>
    prisma.refreshToken.count({ where: { userId, revokedAt: null, usedAt: null } });
  const liveTokensOfFamily = (familyId: string) =>
    prisma.refreshToken.count({ where: { familyId, revokedAt: null, usedAt: null } });

  /** True if `token` can still be rotated (it must not, after a revocation). */
  async function stillWorks(token: string): Promise<boolean> {
    try {
      await rotateOrThrow(tokens, token);
      return true;
    } catch {
      return false;
    }
  }

  it('revoke-sessions during a rotation leaves no live token for the user (the successor dies too)', async () => {
    const user = await createUser(gw);
    let leaked = 0;
    let rotationsWon = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const issued = await tokens.issue(user.id);
      const [rotated] = await race(
        trial,
        () => rotateOrThrow(tokens, issued.token),
        () => tokens.revokeAllForUser(user.id, 'sessions_revoked'),
      );
      if (rotated.status === 'fulfilled') rotationsWon += 1;
      const live = await liveTokensOfUser(user.id);
      const successorWorks = rotated.status === 'fulfilled' && (await stillWorks(rotated.value.token));
      if (live > 0 || successorWorks) leaked += 1;
      // Whatever the outcome of this trial, start the next one from a clean slate.
      await tokens.revokeAllForUser(user.id, 'sessions_revoked');
    }
    expect({ leaked, trials: TRIALS }).toEqual({ leaked: 0, trials: TRIALS });
    // Sanity: the race is real, the rotation sometimes wins it.
    expect(rotationsWon).toBeGreaterThan(0);
  });

  it('reuse of a retired token while the thief rotates the newest one: whatever the thief got is dead', async () => {
    const user = await createUser(gw);
    let leaked = 0;
    let thiefRotations = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const t1 = await tokens.issue(user.id);
      const t2 = await rotateOrThrow(tokens, t1.token);
      const [reuse, thief] = await race(
        trial,
        () => rotateOrThrow(tokens, t1.token),
        () => rotateOrThrow(tokens, t2.token),
      );
      expect(reuse.status === 'rejected' && problemCode(reuse.reason)).toBe('TOKEN_REUSED');
      if (thief.status === 'fulfilled') {
        thiefRotations += 1;
        if (await stillWorks(thief.value.token)) leaked += 1;
      }
      if ((await liveTokensOfFamily(t1.familyId)) > 0) leaked += 1;
    }
    expect({ leaked, trials: TRIALS }).toEqual({ leaked: 0, trials: TRIALS });
    expect(thiefRotations).toBeGreaterThan(0);
  });

  it('logout during a rotation of the same token leaves no live token in the family', async () => {
    const user = await createUser(gw);
    let leaked = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const issued = await tokens.issue(user.id);
      const [rotated] = await race(
        trial,
        () => rotateOrThrow(tokens, issued.token),
        () => tokens.revokeFamilyOf(issued.token),
      );
      const successorWorks = rotated.status === 'fulfilled' && (await stillWorks(rotated.value.token));
      if ((await liveTokensOfFamily(issued.familyId)) > 0 || successorWorks) leaked += 1;
    }
    expect({ leaked, trials: TRIALS }).toEqual({ leaked: 0, trials: TRIALS });
  });
});
