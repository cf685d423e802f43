import type { PrismaService } from '../../src/platform/database/prisma.service';

/**
 * Every row the database holds about `userIds` (their user rows, payments, idempotency keys,
 * refresh families and tokens, admin-audit records naming them as actor or target), plus how
 * many users carry any of `emails`. Scoped on purpose: other suites write to the same database in
 * parallel, so "nothing changed" is asserted on what a request could have touched.
 */
export async function dbSnapshot(
  prisma: PrismaService,
  userIds: string[],
  emails: string[] = [],
): Promise<Record<string, unknown>> {
  const ids = { in: userIds };
  const [users, payments, idempotencyKeys, families, tokens, audit, byEmail] = await Promise.all([
    prisma.user.findMany({ where: { id: ids }, orderBy: { id: 'asc' } }),
    prisma.payment.findMany({ where: { userId: ids }, orderBy: { id: 'asc' } }),
    prisma.idempotencyKey.findMany({ where: { userId: ids }, orderBy: [{ userId: 'asc' }, { key: 'asc' }] }),
    prisma.refreshFamily.findMany({ where: { userId: ids }, orderBy: { id: 'asc' } }),
    prisma.refreshToken.findMany({ where: { userId: ids }, orderBy: { id: 'asc' } }),
    prisma.adminAudit.findMany({
      where: { OR: [{ actorId: ids }, { targetId: ids }] },
      orderBy: { id: 'asc' },
    }),
    prisma.user.count({ where: { email: { in: emails.map((e) => e.toLowerCase()) } } }),
  ]);
  return {
    users,
    payments,
    idempotencyKeys,
    families,
    tokens,
    audit: audit.map((row) => ({ ...row, id: row.id.toString() })),
    usersWithGivenEmails: byEmail,
  };
}
