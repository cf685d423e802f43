import { createHash } from 'node:crypto';

/** The request as it is charged: fixed field order, absent reference = null, UUID in lower case. */
export interface CanonicalPaymentRequest {
  amount: number;
  currency: string;
  recipientId: string;
  reference: string | null;
}

/** A payment as a client asks for it (validated at the edge). */
export interface PaymentRequest {
  amount: number;
  currency: string;
  recipientId: string;
  reference?: string | null;
}

export function canonicalRequest(body: PaymentRequest): CanonicalPaymentRequest {
  return {
    amount: body.amount,
    currency: body.currency,
    recipientId: body.recipientId.toLowerCase(),
    reference: body.reference ?? null,
  };
}

/** SHA-256 (hex) of the canonical request: what "the same body" means for a repeated key. */
export function requestHash(request: CanonicalPaymentRequest): string {
  const canonical = JSON.stringify([request.amount, request.currency, request.recipientId, request.reference]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
