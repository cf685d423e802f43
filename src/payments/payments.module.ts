import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { PaymentsController } from './payments.controller';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { HttpPaymentProvider } from './provider/http-payment-provider';
import { PAYMENT_PROVIDER } from './provider/payment-provider';

/** Payments. TokensModule and UsersModule: what JwtAuthGuard needs; ResilienceModule: the provider's policies. */
@Module({
  imports: [TokensModule, UsersModule, ResilienceModule],
  controllers: [PaymentsController],
  providers: [
    PaymentsService,
    PaymentsRepository,
    AllowedCurrencyPipe,
    { provide: PAYMENT_PROVIDER, useClass: HttpPaymentProvider },
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
