import { ApiProperty } from '../../../platform/openapi/decorators';
import type { Payment } from '../../../generated/prisma/client';
import { PaymentReceipt, receiptOf } from '../payment-receipt';
import { MAX_REFERENCE_LENGTH, PRINTABLE_PATTERN } from './create-payment.dto';

/** What the API answers for a payment (POST 201, GET 200). */
export class PaymentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['unknown', 'pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 100000000 }) amount!: number;
  @ApiProperty({ pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3 }) currency!: string;
  @ApiProperty({ format: 'uuid' }) recipientId!: string;
  @ApiProperty({ type: String, nullable: true, maxLength: MAX_REFERENCE_LENGTH, pattern: PRINTABLE_PATTERN })
  reference!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

/** A receipt (stored with an Idempotency-Key) as the API answers it. */
export function receiptView(receipt: PaymentReceipt): PaymentView {
  return {
    id: receipt.id,
    status: receipt.status,
    amount: receipt.amount,
    currency: receipt.currency,
    recipientId: receipt.recipientId,
    reference: receipt.reference,
    createdAt: receipt.createdAt,
  };
}

export function toPaymentView(payment: Payment): PaymentView {
  return receiptView(receiptOf(payment));
}
