import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { paymentsConfig } from '../payments.config';
import { parseProviderEvent } from './provider-event';
import { checkSignature } from './webhook-signature';
import { WebhookEventsRepository } from './webhook-events.repository';

/** What became of one delivery, in payment terms; the controller maps it to an HTTP answer. */
export type WebhookDelivery =
  /** No webhook secret is configured: the route does not exist. */
  | { kind: 'disabled' }
  /** Unsigned, forged, or signed too far from now: nothing changed. */
  | { kind: 'refused'; outcome: 'bad_signature' | 'stale' }
  /** Signed, but not an event we can read: nothing changed. */
  | { kind: 'malformed'; field: string; message: string }
  /** Recorded (or recorded before): acknowledge it. */
  | { kind: 'acknowledged'; outcome: 'applied' | 'ignored' | 'duplicate' | 'orphan' | 'conflict' };

/**
 * Receives the provider's signed webhooks: verifies the signature over the raw bytes (current or
 * previous key) and the timestamp, then records the event once, with the payment change it causes,
 * before acknowledging. Delivery is at least once and in any order: a redelivered id changes
 * nothing, and the transition rule (payment-transitions.ts) keeps terminal payments as they are.
 */
@Injectable()
export class PaymentWebhooks {
  private readonly logger = new Logger('PaymentWebhooks');

  constructor(
    @Inject(paymentsConfig.KEY) private readonly config: ConfigType<typeof paymentsConfig>,
    private readonly events: WebhookEventsRepository,
    private readonly metrics: MetricsService,
  ) {}

  get enabled(): boolean {
    return this.config.webhookSecrets.length > 0;
  }

  async receive(
    rawBody: Buffer,
    signature: string | string[] | undefined,
    nowMs = Date.now(),
  ): Promise<WebhookDelivery> {
    if (!this.enabled) return { kind: 'disabled' };
    const check = checkSignature({
      header: signature,
      rawBody,
      secrets: this.config.webhookSecrets,
      nowSeconds: Math.floor(nowMs / 1000),
      toleranceSeconds: this.config.webhookToleranceSeconds,
    });
    if (check !== 'valid') {
      this.metrics.webhookEvent(check);
      // Warn, never error: a forged or stale request is the sender's problem, and it changed nothing.
      this.logger.warn(`Webhook refused: ${check === 'stale' ? 'timestamp outside the tolerance' : 'bad signature'}`);
      return { kind: 'refused', outcome: check };
    }
    const parsed = parseProviderEvent(rawBody);
    if (parsed.kind === 'malformed') {
      this.metrics.webhookEvent('malformed');
      this.logger.warn(`Webhook refused: signed but malformed (${parsed.field} ${parsed.message})`);
      return parsed;
    }
    const event = parsed.event;
    const recorded = await this.events.record(event);
    this.metrics.webhookEvent(recorded.outcome);
    switch (recorded.outcome) {
      case 'applied':
        this.logger.log(`Webhook ${event.id}: payment ${recorded.payment.id} is ${recorded.payment.status}`);
        break;
      case 'orphan':
        this.logger.warn(`Webhook ${event.id}: no payment carries the charge's provider key (orphan)`);
        break;
      case 'conflict':
        this.logger.error(
          `Webhook ${event.id}: ${recorded.why}; payment ${recorded.payment?.id ?? '(several)'} left ` +
            `${recorded.payment?.status ?? 'as it is'} for an operator`,
        );
        break;
      default:
        this.logger.debug(`Webhook ${event.id}: ${recorded.outcome}`);
    }
    return { kind: 'acknowledged', outcome: recorded.outcome };
  }
}
