import type { Payment } from '../../generated/prisma/client';
import type { ChargeEcho } from './provider/payment-provider';

/**
 * The first field in which the provider's answer contradicts this payment, or undefined when it
 * matches (fields the provider does not echo cannot contradict). A mismatch means the charge the
 * provider found under this payment's key is not this payment: it is never attached to it.
 */
export function chargeMismatch(
  payment: Pick<Payment, 'amount' | 'currency' | 'recipientId'>,
  echo: ChargeEcho,
): 'amount' | 'currency' | 'recipientId' | undefined {
  if (echo.amount !== undefined && echo.amount !== payment.amount) return 'amount';
  if (echo.currency !== undefined && echo.currency !== payment.currency) return 'currency';
  if (echo.recipientId !== undefined && echo.recipientId.toLowerCase() !== payment.recipientId.toLowerCase()) {
    return 'recipientId';
  }
  return undefined;
}
