import type { Payment } from '../../generated/prisma/client';
import { chargeMismatch } from './charge-match';
import type { ChargeEcho, ProviderChargeStatus } from './provider/payment-provider';

/** Why the gateway settled a payment `failed` on its own reading of the provider's answers. */
export type FailureReason = 'refused' | 'never_charged';

/**
 * Something the provider said about the charge behind one payment's provider key: its answer to
 * POST /charges or to the status query, or a webhook event.
 */
export type ProviderReport =
  /** A charge exists under the key, in this state. */
  | { kind: 'charge'; chargeId: string; status: ProviderChargeStatus; echo: ChargeEcho }
  /** The provider refused to charge (4xx on POST): nothing was charged. */
  | { kind: 'refused' }
  /** The status query found no charge under the key (404). */
  | { kind: 'never-charged' };

/** What a report does to a payment. */
export type PaymentTransition =
  | { kind: 'apply'; status: Payment['status']; providerChargeId: string | null; failureReason: FailureReason | null }
  /** Already so, or older news (a `pending` report about a payment that has since settled). */
  | { kind: 'unchanged' }
  /** The report contradicts the payment: it is not believed, and an operator looks at it. */
  | { kind: 'conflict'; why: string };

const TERMINAL: readonly Payment['status'][] = ['succeeded', 'failed'];

export function isTerminal(status: Payment['status']): boolean {
  return TERMINAL.includes(status);
}

/**
 * The one rule for every settlement path (POST, replay, reconciler, webhook):
 * - the charge must be this payment's (amount, currency, recipient; the charge id, once known);
 * - `unknown` may become anything, `pending` only `succeeded` or `failed`;
 * - terminal payments (`succeeded`, `failed`) never change: a report of the same status, or a
 *   `pending` one (delivery has no order, so it is older news), leaves them as they are; any other
 *   report about them is a conflict.
 */
export function transitionFor(
  payment: Pick<Payment, 'status' | 'amount' | 'currency' | 'recipientId' | 'providerChargeId'>,
  report: ProviderReport,
): PaymentTransition {
  if (report.kind === 'refused') {
    if (payment.status === 'unknown') {
      return { kind: 'apply', status: 'failed', providerChargeId: null, failureReason: 'refused' };
    }
    return payment.status === 'failed' ? { kind: 'unchanged' } : { kind: 'conflict', why: 'refused after a charge' };
  }
  if (report.kind === 'never-charged') {
    if (payment.status === 'unknown') {
      return { kind: 'apply', status: 'failed', providerChargeId: null, failureReason: 'never_charged' };
    }
    if (payment.status === 'failed' && payment.providerChargeId === null) return { kind: 'unchanged' };
    return { kind: 'conflict', why: `the provider has no charge for a ${payment.status} payment` };
  }
  const mismatch = chargeMismatch(payment, report.echo);
  if (mismatch) return { kind: 'conflict', why: `the provider's answer names another ${mismatch}` };
  if (payment.providerChargeId !== null && payment.providerChargeId !== report.chargeId) {
    return { kind: 'conflict', why: 'the charge is not the one attached to the payment' };
  }
  if (isTerminal(payment.status)) {
    if (report.status === payment.status || report.status === 'pending') return { kind: 'unchanged' };
    return { kind: 'conflict', why: `a ${payment.status} payment reported ${report.status}` };
  }
  if (payment.status === report.status && payment.providerChargeId === report.chargeId) return { kind: 'unchanged' };
  return { kind: 'apply', status: report.status, providerChargeId: report.chargeId, failureReason: null };
}
