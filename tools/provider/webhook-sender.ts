import { createHmac, randomUUID } from 'node:crypto';

/** The charge a webhook reports (CONTRACT "Provider webhooks and status"). */
export interface WebhookCharge {
  id: string;
  idempotencyKey: string;
  status: 'pending' | 'succeeded' | 'failed';
  amount: number;
  currency: string;
  recipientId: string;
}

/**
 * Fault modes, each a probability per event (0..1) unless said otherwise:
 * - `duplicate`: the same event (same id) is delivered twice;
 * - `reorder`: an older `pending` event about the charge is delivered after this one;
 * - `delayMs`: each delivery waits a random time up to this many ms (late events);
 * - `tamper`: a copy with a changed body (status flipped) but the original signature is delivered too;
 * - `forge`: a copy signed with a key the gateway does not know is delivered too: a `succeeded`
 *   event with marker ids (event `evt_forged_...`, charge `ch_forged_...`) that must never be
 *   recorded or attached anywhere.
 */
export interface WebhookFaults {
  duplicate?: number;
  reorder?: number;
  delayMs?: number;
  tamper?: number;
  forge?: number;
}

export interface WebhookStats {
  /** Events handed to the sender (one per charge change). */
  events: number;
  /** HTTP deliveries attempted, answered 2xx, and refused (4xx: expected for tampered/forged copies). */
  attempts: number;
  acknowledged: number;
  refused: number;
  /** Tampered or forged copies that were acknowledged: a gateway bug. */
  forgedAccepted: number;
  /** Genuine deliveries answered 4xx (a genuine event must never be refused). */
  genuineRefused: number;
  /** Attempts that got no HTTP answer at all (gateway down or killed mid-request). */
  unanswered: number;
  /** Genuine events given up after the last attempt without a 2xx (at-least-once broken). */
  gaveUp: number;
  /** Events not acknowledged yet (still retrying). */
  inFlight: number;
  /** HTTP requests to the gateway under way right now (genuine, tampered and forged). */
  posting: number;
  /** The gateway's `{outcome}` answers to genuine deliveries, counted. */
  outcomes: Record<string, number>;
}

/** Attempts per event unless `maxAttempts` says otherwise. */
const MAX_ATTEMPTS = 12;
/** The prefixes of forged events' ids and charge ids. */
export const FORGED_EVENT_PREFIX = 'evt_forged_';
export const FORGED_CHARGE_PREFIX = 'ch_forged_';

/**
 * Delivers signed webhooks the way card processors promise: at least once (retried with backoff
 * until a 2xx, up to 12 attempts), in no particular order, possibly late, and, with faults on,
 * duplicated, reordered, tampered with or forged. Signs `"<t>.<raw body>"` with HMAC-SHA256.
 */
export class WebhookSender {
  readonly stats: WebhookStats = {
    events: 0,
    attempts: 0,
    acknowledged: 0,
    refused: 0,
    forgedAccepted: 0,
    genuineRefused: 0,
    unanswered: 0,
    gaveUp: 0,
    inFlight: 0,
    posting: 0,
    outcomes: {},
  };
  /** Ids of the genuine events sent (the older `pending` events of reordering included). */
  readonly eventIds = new Set<string>();
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private settledWaiters: (() => void)[] = [];

  constructor(
    private readonly options: {
      url: string;
      /** Signs with each key (several v1 entries, as during a rotation). */
      secrets: string[];
      faults?: WebhookFaults;
      random?: () => number;
      /** First retry delay (doubling, capped at `retryCapMs`, default 5 s). */
      retryBaseMs?: number;
      retryCapMs?: number;
      /** Attempts per genuine event before giving up (default 12). */
      maxAttempts?: number;
    },
  ) {}

  /** Reports the charge's current state (a new event id). */
  send(charge: WebhookCharge): void {
    const faults = this.options.faults ?? {};
    const random = this.options.random ?? Math.random;
    const event = { id: `evt_${randomUUID()}`, type: 'charge.updated', created: Math.floor(Date.now() / 1000) };
    const body = JSON.stringify({ ...event, data: charge });
    this.stats.events += 1;
    this.eventIds.add(event.id);
    this.deliver(body, this.sign(body), 'genuine', this.delay());
    if (random() < (faults.duplicate ?? 0)) this.deliver(body, this.sign(body), 'genuine', this.delay());
    if (charge.status !== 'pending' && random() < (faults.reorder ?? 0)) {
      // An older event about the same charge, arriving after the newer one.
      const oldId = `evt_${randomUUID()}`;
      this.eventIds.add(oldId);
      const old = JSON.stringify({ ...event, id: oldId, data: { ...charge, status: 'pending' } });
      this.deliver(old, this.sign(old), 'genuine', this.delay() + 50);
    }
    if (random() < (faults.tamper ?? 0)) {
      const flipped = charge.status === 'succeeded' ? 'failed' : 'succeeded';
      const tampered = body.replace(`"status":"${charge.status}"`, `"status":"${flipped}"`);
      this.deliver(tampered, this.sign(body), 'forged', this.delay());
    }
    if (random() < (faults.forge ?? 0)) this.forge(charge);
  }

  /**
   * Delivers a forged `succeeded` event about the charge's provider key (signed with a key the
   * gateway does not know, marker event and charge ids), as an attacker would for a payment that
   * was never charged or whose charge failed.
   */
  forge(charge: Omit<WebhookCharge, 'id' | 'status'>): void {
    const forged = JSON.stringify({
      id: `${FORGED_EVENT_PREFIX}${randomUUID()}`,
      type: 'charge.updated',
      created: Math.floor(Date.now() / 1000),
      data: { ...charge, id: `${FORGED_CHARGE_PREFIX}${randomUUID()}`, status: 'succeeded' },
    });
    this.deliver(forged, this.sign(forged, [randomUUID() + randomUUID()]), 'forged', this.delay());
  }

  /** Resolves once no genuine delivery is still being retried. */
  async drained(): Promise<void> {
    if (this.stats.inFlight === 0) return;
    await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private sign(body: string, secrets = this.options.secrets): string {
    const t = Math.floor(Date.now() / 1000);
    const v1 = secrets.map((s) => `v1=${createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`);
    return [`t=${t}`, ...v1].join(',');
  }

  private delay(): number {
    const max = this.options.faults?.delayMs ?? 0;
    return max > 0 ? Math.floor((this.options.random ?? Math.random)() * max) : 0;
  }

  private deliver(body: string, signature: string, kind: 'genuine' | 'forged', delayMs: number, attempt = 1): void {
    if (this.closed) return;
    if (kind === 'genuine' && attempt === 1) this.stats.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.post(body, signature).then(({ status, outcome }) => {
        if (kind === 'forged') {
          if (status >= 200 && status < 300) this.stats.forgedAccepted += 1;
          else if (status > 0) this.stats.refused += 1;
          // An attacker tries again until the gateway answers at all.
          else if (attempt < (this.options.maxAttempts ?? MAX_ATTEMPTS) && !this.closed) {
            this.deliver(body, signature, kind, Math.min(this.options.retryCapMs ?? 5_000, 100 * attempt), attempt + 1);
          }
          return;
        }
        if (status >= 200 && status < 300) {
          this.stats.acknowledged += 1;
          const seen = outcome ?? 'unreadable';
          this.stats.outcomes[seen] = (this.stats.outcomes[seen] ?? 0) + 1;
          return this.finished();
        }
        if (status >= 400 && status < 500) this.stats.genuineRefused += 1;
        if (attempt >= (this.options.maxAttempts ?? MAX_ATTEMPTS) || this.closed) {
          if (!this.closed) this.stats.gaveUp += 1;
          return this.finished();
        }
        const base = this.options.retryBaseMs ?? 200;
        const cap = this.options.retryCapMs ?? 5_000;
        // Re-signed on each attempt, as providers do (the timestamp is the attempt's).
        this.deliver(body, this.sign(body), kind, Math.min(cap, base * 2 ** (attempt - 1)), attempt + 1);
      });
    }, delayMs);
    this.timers.add(timer);
  }

  private finished(): void {
    this.stats.inFlight -= 1;
    if (this.stats.inFlight === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** The HTTP status (0 when no answer came) and the `{outcome}` of a 2xx answer. */
  private async post(body: string, signature: string): Promise<{ status: number; outcome?: string }> {
    this.stats.attempts += 1;
    this.stats.posting += 1;
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'provider-signature': signature },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      let outcome: string | undefined;
      try {
        outcome = (JSON.parse(text) as { outcome?: unknown }).outcome as string | undefined;
      } catch {
        outcome = undefined;
      }
      return { status: res.status, outcome: typeof outcome === 'string' ? outcome : undefined };
    } catch {
      this.stats.unanswered += 1;
      return { status: 0 };
    } finally {
      this.stats.posting -= 1;
    }
  }
}
