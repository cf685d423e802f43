import { ApiProperty } from '@nestjs/swagger';
import type { Payment } from '../../generated/prisma/client';

/** What the API answers for a payment (POST 201, GET 200). */
export class PaymentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['unknown', 'pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ type: 'integer' }) amount!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ format: 'uuid' }) recipientId!: string;
  @ApiProperty({ type: String, nullable: true }) reference!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export function toPaymentView(payment: Payment): PaymentView {
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
