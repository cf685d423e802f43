import { Prisma } from '../../generated/prisma/client';

/**
 * True if `error` is Prisma's unique-constraint violation (P2002), whichever client raised it
 * (the Nest PrismaService, an interactive transaction, or the CLI's own PrismaClient).
 */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
