import type { ConfigType } from '@nestjs/config';
import { Inject, Injectable } from '@nestjs/common';
import { paymentsConfig } from '../payments.config';
import { ProviderResilience } from '../resilience/provider-resilience';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../resilience/upstream-errors';
import {
  ChargeEcho,
  ChargeLookup,
  ChargeOutcome,
  ChargeRequest,
  PaymentProvider,
  PROVIDER_CHARGE_STATUSES,
  ProviderChargeStatus,
} from './payment-provider';

const UPSTREAM = 'payment provider';

/**
 * `POST {PAYMENT_PROVIDER_URL}/charges` through the provider policies (bulkhead, retry, breaker,
 * per-attempt timeout), and `GET {PAYMENT_PROVIDER_URL}/charges?idempotencyKey=` through the same
 * ones (one breaker for the provider). Each attempt aborts its fetch when its timeout fires.
 */
@Injectable()
export class HttpPaymentProvider implements PaymentProvider {
  private readonly chargesUrl: string;

  constructor(
    @Inject(paymentsConfig.KEY) private readonly config: ConfigType<typeof paymentsConfig>,
    private readonly resilience: ProviderResilience,
  ) {
    this.chargesUrl = `${config.providerUrl.replace(/\/+$/, '')}/charges`;
  }

  charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeOutcome> {
    const body = JSON.stringify({
      amount: request.amount,
      currency: request.currency,
      recipientId: request.recipientId,
      reference: request.reference,
    });
    return this.resilience.execute((signal) => this.attempt(body, idempotencyKey, signal));
  }

  lookup(idempotencyKey: string): Promise<ChargeLookup> {
    const url = `${this.chargesUrl}?idempotencyKey=${encodeURIComponent(idempotencyKey)}`;
    return this.resilience.execute((signal) => this.lookupAttempt(url, signal));
  }

  private async lookupAttempt(url: string, signal: AbortSignal): Promise<ChargeLookup> {
    const { response, text } = await this.send(url, { method: 'GET' }, signal);
    if (response.status === 404) return { kind: 'not-found' };
    if (response.status !== 200) {
      // 5xx/429, and any other refusal (a 401 means our key is wrong): no answer about the charge.
      throw new UpstreamUnavailableError(UPSTREAM, `HTTP ${response.status}`, response.status);
    }
    const charge = parseCharge(text);
    if (!charge) throw new UpstreamUnavailableError(UPSTREAM, 'unreadable answer', response.status);
    return { kind: 'found', ...charge };
  }

  private async send(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<{ response: Response; text: string }> {
    try {
      const response = await fetch(url, {
        method: init.method,
        headers: {
          authorization: `Bearer ${this.config.providerApiKey}`,
          accept: 'application/json',
          ...init.headers,
        },
        body: init.body,
        signal,
        redirect: 'error',
      });
      return { response, text: await response.text() };
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(UPSTREAM);
      // fetch's own message ("fetch failed") plus the socket error code; never the URL's secrets.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new UpstreamUnavailableError(UPSTREAM, `network error${typeof code === 'string' ? ` (${code})` : ''}`);
    }
  }

  private async attempt(body: string, idempotencyKey: string, signal: AbortSignal): Promise<ChargeOutcome> {
    const { response, text } = await this.send(
      this.chargesUrl,
      {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey, 'content-type': 'application/json' },
        body,
      },
      signal,
    );
    if (response.status === 429 || response.status >= 500) {
      throw new UpstreamUnavailableError(UPSTREAM, `HTTP ${response.status}`, response.status);
    }
    if (response.status >= 400) return { kind: 'refused', httpStatus: response.status };
    if (response.status !== 200 && response.status !== 201) {
      throw new UpstreamUnavailableError(UPSTREAM, `unexpected HTTP ${response.status}`, response.status);
    }
    const charge = parseCharge(text);
    if (!charge) throw new UpstreamUnavailableError(UPSTREAM, 'unreadable answer', response.status);
    return { kind: 'charged', ...charge };
  }
}

function parseCharge(text: string): { chargeId: string; status: ProviderChargeStatus; echo: ChargeEcho } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { id, status, amount, currency, recipientId } = parsed as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 255) return undefined;
  if (!PROVIDER_CHARGE_STATUSES.includes(status as ProviderChargeStatus)) return undefined;
  // Echoed fields are kept as given when well-typed; a wrongly typed echo is not an echo we can trust.
  const echo: ChargeEcho = {};
  if (amount !== undefined) {
    if (typeof amount !== 'number') return undefined;
    echo.amount = amount;
  }
  if (currency !== undefined) {
    if (typeof currency !== 'string') return undefined;
    echo.currency = currency;
  }
  if (recipientId !== undefined) {
    if (typeof recipientId !== 'string') return undefined;
    echo.recipientId = recipientId;
  }
  return { chargeId: id, status: status as ProviderChargeStatus, echo };
}
