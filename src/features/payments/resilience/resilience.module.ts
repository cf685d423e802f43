import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ProviderBreakerDetail } from './provider-breaker.detail';
import { ProviderResilience } from './provider-resilience';

/** One ProviderResilience per process: the breaker's state is shared by every call. */
@Module({
  imports: [TerminusModule],
  providers: [ProviderResilience, ProviderBreakerDetail],
  exports: [ProviderResilience, ProviderBreakerDetail],
})
export class ResilienceModule {}
