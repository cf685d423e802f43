import type { Payment } from '../../generated/prisma/client';

/**
 * What a payment's client is told about it: the answer POST /v1/payments gives, stored with the
 * Idempotency-Key so a replay repeats it. A domain value (the repository stores it, the HTTP edge
 * turns it into a PaymentView); it carries no provider key, charge id or failure reason.
 */
export interface PaymentReceipt {
  id: string;
  status: string;
  amount: number;
  currency: string;
  recipientId: string;
  reference: string | null;
  createdAt: string;
}

export function receiptOf(payment: Payment): PaymentReceipt {
  return {
    id: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    recipientId: payment.recipientId,
    reference: payment.reference,
    createdAt: payment.createdAt.toISOString(),
  };
}
