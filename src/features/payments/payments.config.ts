import { configSlice } from '../../platform/config/config-slice';

export const paymentsConfig = configSlice('payments', (env) => ({
  providerUrl: env.PAYMENT_PROVIDER_URL,
  providerApiKey: env.PAYMENT_PROVIDER_API_KEY,
  currencies: env.PAYMENT_CURRENCIES,
  reconcileIntervalMs: env.PAYMENT_RECONCILE_INTERVAL_MS,
}));
