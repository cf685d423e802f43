import { Injectable } from '@nestjs/common';
import type { Payment } from '../../../generated/prisma/client';
import { PrismaService } from '../../../platform/database/prisma.service';
import { isUniqueViolation } from '../../../platform/database/unique-violation';
import { transitionFor, type PaymentTransition } from '../payment-transitions';
import { applyTransition, PAYMENT_COLUMNS } from '../payments.repository';
import type { ProviderEvent } from './provider-event';

/** What recording an event did. `duplicate`: its id was already recorded, nothing else happened. */
export type RecordedEvent =
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; payment?: Payment }
  | { outcome: 'orphan' }
  | { outcome: 'applied'; payment: Payment }
  | { outcome: 'conflict'; payment?: Payment; why: string };

/**
 * Webhook events, recorded once and durably before they are acknowledged: the insert of the
 * event id (primary key) and the payment change it causes commit in one transaction, so a crash
 * leaves either both or neither, and a redelivery finds the id and changes nothing.
 */
@Injectable()
export class WebhookEventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(event: ProviderEvent): Promise<RecordedEvent> {
    try {
      return await this.recordOnce(event);
    } catch (error) {
      // A charge attached to another payment under our feet: the next try sees it and reports a conflict.
      if (!isUniqueViolation(error)) throw error;
      return this.recordOnce(event);
    }
  }

  private recordOnce(event: ProviderEvent): Promise<RecordedEvent> {
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO payment_webhook_events
          (event_id, type, outcome, charge_id, charge_status, event_created_at)
        VALUES (${event.id}, ${event.type}, 'ignored', ${event.charge?.id ?? null}, ${event.charge?.status ?? null},
                to_timestamp(${event.created}::double precision))
        ON CONFLICT (event_id) DO NOTHING`;
      if (inserted === 0) return { outcome: 'duplicate' } as const;
      const charge = event.charge;
      if (!charge) return { outcome: 'ignored' } as const;

      // Legacy provider keys may repeat across payments: prefer the one the charge already backs.
      const candidates = await tx.$queryRawUnsafe<Payment[]>(
        `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider_key = $1
          ORDER BY (provider_charge_id = $2) DESC NULLS LAST, created_at LIMIT 2 FOR UPDATE`,
        charge.idempotencyKey,
        charge.id,
      );
      let result: RecordedEvent;
      let paymentId: string | null = null;
      const [payment] = candidates;
      if (payment === undefined) {
        result = { outcome: 'orphan' };
      } else if (candidates.length > 1 && payment.providerChargeId !== charge.id) {
        paymentId = payment.id;
        result = { outcome: 'conflict', why: 'several payments carry this provider key' };
      } else {
        paymentId = payment.id;
        const transition: PaymentTransition = transitionFor(payment, {
          kind: 'charge',
          chargeId: charge.id,
          status: charge.status,
          echo: { amount: charge.amount, currency: charge.currency, recipientId: charge.recipientId },
        });
        // The lease belongs to whoever holds it (a client's request, the reconciler): not ended here.
        const recorded = await applyTransition(tx, payment, transition, false);
        const applied = recorded.transition;
        result =
          applied.kind === 'apply'
            ? { outcome: 'applied', payment: recorded.payment }
            : applied.kind === 'conflict'
              ? { outcome: 'conflict', payment, why: applied.why }
              : { outcome: 'ignored', payment };
      }
      await tx.$executeRaw`
        UPDATE payment_webhook_events SET outcome = ${result.outcome}, payment_id = ${paymentId}::uuid
        WHERE event_id = ${event.id}`;
      return result;
    });
  }
}
