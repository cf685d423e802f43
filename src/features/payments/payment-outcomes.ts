import type { Payment } from '../../generated/prisma/client';
import type { PaymentReceipt } from './payment-receipt';

import type { ProviderTrouble } from './resilience/upstream-errors';

export type { ProviderTrouble };

/** How one attempt to settle a payment with the provider ended (POST /charges or the status query). */
export type SettlementOutcome =
  /** A definitive answer, recorded (or the payment had already moved on): this is the payment now. */
  | { kind: 'settled'; payment: Payment }
  /** The provider is still working on the charge (status query: `pending`, unchanged). */
  | { kind: 'still-pending'; payment: Payment }
  /** No usable answer: the payment stays as it was (lease released) and will be asked again. */
  | { kind: 'unsettled'; trouble: ProviderTrouble }
  /** The provider answered about another charge, or contradicted the payment: left for an operator. */
  | { kind: 'contradicted'; why: string }
  /** The provider was never called for a payment created by this very request: it was removed. */
  | { kind: 'abandoned'; trouble: 'circuit-open' | 'busy' };

/** What POST /v1/payments ends with, in payment terms; the HTTP edge maps it to an answer. */
export type PaymentCreation =
  /** A new (or resumed) payment with the provider's definitive answer. */
  | { kind: 'charged'; receipt: PaymentReceipt }
  /** The key's first request finished: its answer again. */
  | { kind: 'replayed'; httpStatus: number; receipt: PaymentReceipt }
  | { kind: 'key-reused-with-another-body' }
  | { kind: 'key-in-progress' }
  /** The charge's outcome is not known (or it never started); `retryAfterSeconds` while the breaker is open. */
  | { kind: 'provider-trouble'; trouble: ProviderTrouble | 'contradicted'; retryAfterSeconds?: number };

/** What the reconciler decided about one payment, for logs and tests. */
export type ReconciliationDecision =
  | { kind: 'settled'; status: Payment['status'] }
  | { kind: 'backed-off'; attempts: number; nextAttemptInMs: number; why: string }
  /** Our own breaker or bulkhead refused: not the payment's fault, not counted. */
  | { kind: 'skipped' };
