/**
 * The payments feature's only door: its module, its readiness detail and configuration
 * slices for the root module, and the webhook signature format for the bench.
 */
export { paymentsConfig } from './payments.config';
export { PaymentsModule } from './payments.module';
export { ProviderBreakerDetail } from './resilience/provider-breaker.detail';
export { resilienceConfig } from './resilience/resilience.config';
export { ResilienceModule } from './resilience/resilience.module';
export { signatureHeader } from './webhooks/webhook-signature';
