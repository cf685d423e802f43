import type { PrismaService } from '../../src/platform/database/prisma.service';

/**
 * The provider Idempotency-Key the gateway used for the payment made with this client key: the
 * payment's own id (never the client's key). Test keys are random, so the client key alone finds it.
 */
export async function providerKeyFor(prisma: PrismaService, clientKey: string): Promise<string> {
  const payment = await prisma.payment.findFirstOrThrow({ where: { idempotencyKey: clientKey } });
  return payment.id;
}
