import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ResilienceModule } from './resilience/resilience.module';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { PaymentSettlement } from './payment-settlement';
import { PaymentsController } from './payments.controller';
import { PaymentsMetrics } from './payments.metrics';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { HttpPaymentProvider } from './provider/http-payment-provider';
import { PAYMENT_PROVIDER } from './provider/payment-provider';
import { PaymentBacklogDetail, PaymentBacklogMonitor } from './reconciliation/payment-backlog';
import { PaymentReconciler } from './reconciliation/payment-reconciler';
import { ReconciliationRepository } from './reconciliation/reconciliation.repository';
import { PaymentWebhooks } from './webhooks/payment-webhooks.service';
import { PaymentWebhooksController } from './webhooks/payment-webhooks.controller';
import { WebhookEventsRepository } from './webhooks/webhook-events.repository';

/** Payments. ResilienceModule: the provider's policies; TerminusModule: the backlog's readiness detail. */
@Module({
  imports: [ResilienceModule, TerminusModule],
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
    PaymentBacklogDetail,
    PaymentWebhooks,
    WebhookEventsRepository,
  ],
  exports: [PaymentsService, PaymentBacklogMonitor, PaymentBacklogDetail],
})
export class PaymentsModule {}
