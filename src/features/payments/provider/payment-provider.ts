/** What we ask the provider to charge (the body of POST /charges). */
export interface ChargeRequest {
  amount: number;
  currency: string;
  recipientId: string;
  reference: string | null;
}

export const PROVIDER_CHARGE_STATUSES = ['succeeded', 'pending', 'failed'] as const;
export type ProviderChargeStatus = (typeof PROVIDER_CHARGE_STATUSES)[number];

/**
 * A definitive answer from the provider. `refused` is its 4xx: the charge was not made and
 * repeating it will not help. Transient trouble is thrown (see resilience/upstream-errors).
 */
export type ChargeOutcome =
  | { kind: 'charged'; chargeId: string; status: ProviderChargeStatus; echo: ChargeEcho }
  | { kind: 'refused'; httpStatus: number };

/**
 * What the provider's answer says was charged, for the fields it echoes (absent = not echoed).
 * The gateway checks these against the payment before attaching the charge to it.
 */
export interface ChargeEcho {
  amount?: number;
  currency?: string;
  recipientId?: string;
}

/** The provider's answer to the status query: the charge made under a key, or none (404). */
export type ChargeLookup =
  { kind: 'found'; chargeId: string; status: ProviderChargeStatus; echo: ChargeEcho } | { kind: 'not-found' };

/** The one interface the payments service talks to; the HTTP client is its implementation. */
export interface PaymentProvider {
  /**
   * Charges once per `idempotencyKey` (the payment's provider key, never a client's key; see
   * CONTRACT "The payment provider"): the provider dedupes by key, so repeating a call after an
   * unknown outcome is safe. Throws UpstreamTimeoutError, UpstreamUnavailableError, or the
   * resilience policies' own BrokenCircuitError / BulkheadRejectedError.
   */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeOutcome>;

  /**
   * `GET /charges?idempotencyKey=`: what the provider made under this key, without charging. Same
   * policies and errors as `charge`.
   */
  lookup(idempotencyKey: string): Promise<ChargeLookup>;
}

export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');
