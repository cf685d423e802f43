import { configSlice } from '../../platform/config/config-slice';

export const paymentsConfig = configSlice('payments', (env) => ({
  providerUrl: env.PAYMENT_PROVIDER_URL,
  providerApiKey: env.PAYMENT_PROVIDER_API_KEY,
  currencies: env.PAYMENT_CURRENCIES,
  reconcileIntervalMs: env.PAYMENT_RECONCILE_INTERVAL_MS,
  /** Current key first, then the previous ones; empty: webhooks are off (the route answers 404). */
  webhookSecrets: env.PAYMENT_PROVIDER_WEBHOOK_SECRET
    ? [env.PAYMENT_PROVIDER_WEBHOOK_SECRET, ...env.PAYMENT_PROVIDER_WEBHOOK_SECRET_PREVIOUS]
    : [],
  webhookToleranceSeconds: env.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
}));
