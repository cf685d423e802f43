import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { HttpPaymentProvider } from './provider/http-payment-provider';
import { PAYMENT_PROVIDER } from './provider/payment-provider';

@Module({
  imports: [ResilienceModule],
  providers: [
    PaymentsService,
    PaymentsRepository,
    AllowedCurrencyPipe,
    { provide: PAYMENT_PROVIDER, useClass: HttpPaymentProvider },
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
