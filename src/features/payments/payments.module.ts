import { Module } from '@nestjs/common';
import { ResilienceModule } from './resilience/resilience.module';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { PaymentSettlement } from './payment-settlement';
import { PaymentsController } from './payments.controller';
import { PaymentsMetrics } from './payments.metrics';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { HttpPaymentProvider } from './provider/http-payment-provider';
import { PAYMENT_PROVIDER } from './provider/payment-provider';
import { PaymentBacklogMonitor } from './reconciliation/payment-backlog';
import { PaymentReconciler } from './reconciliation/payment-reconciler';
import { ReconciliationRepository } from './reconciliation/reconciliation.repository';
import { PaymentWebhooks } from './webhooks/payment-webhooks.service';
import { PaymentWebhooksController } from './webhooks/payment-webhooks.controller';
import { WebhookEventsRepository } from './webhooks/webhook-events.repository';

/** Payments. ResilienceModule: the provider's policies. */
@Module({
  imports: [ResilienceModule],
  controllers: [PaymentsController, PaymentWebhooksController],
  providers: [
    PaymentsService,
    PaymentSettlement,
    PaymentsRepository,
    PaymentsMetrics,
    AllowedCurrencyPipe,
    { provide: PAYMENT_PROVIDER, useClass: HttpPaymentProvider },
    ReconciliationRepository,
    PaymentReconciler,
    PaymentBacklogMonitor,
    PaymentWebhooks,
    WebhookEventsRepository,
  ],
  exports: [PaymentsService, PaymentBacklogMonitor],
})
export class PaymentsModule {}
