import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { waitFor } from '../../tools/harness';
import { readJsonBody, sendJson, StubServer } from './http-stub';

/** What the stand-in does with the next charge request. */
export type ProviderBehaviour =
  | {
      kind: 'succeed';
      status?: 'succeeded' | 'pending' | 'failed';
      httpStatus?: 200 | 201;
      /** Echo these instead of what was charged (a provider that lies or mixes charges up). */
      echo?: { amount?: number; currency?: string; recipientId?: string };
    }
  | { kind: 'slow'; delayMs: number; status?: 'succeeded' | 'pending' | 'failed' }
  /** Charges and answers only when the test calls `release()`: a provider busy for exactly as long as the test needs. */
  | { kind: 'held' }
  | { kind: 'hang' }
  /** `charge`: make the charge first, then fail (the caller never learns about it). */
  | { kind: 'error'; httpStatus: number; charge?: boolean }
  | { kind: 'reset' }
  | { kind: 'refuse'; httpStatus?: number };

export interface RecordedCharge {
  at: number;
  /** POST /charges, or GET /charges?idempotencyKey= (the status query). */
  method: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  idempotencyKey: string | undefined;
}

/**
 * A real HTTP payment provider for tests (node:http on a free port). Each test sets its
 * behaviour; it records every request (arrival time, headers, body) and, like the real provider,
 * charges at most once per Idempotency-Key: a repeat with a known key returns the first charge.
 * Its answers echo what was charged under the key (amount, currency, recipientId). It also answers
 * the status query, `GET /charges?idempotencyKey=` (200 with the charge, 404 when none was made),
 * under the same behaviour (errors, hangs, delays, echoes) as a charge.
 */
export class ProviderStandIn {
  readonly requests: RecordedCharge[] = [];
  /** Charges actually made, by Idempotency-Key. */
  readonly charges = new Map<string, { id: string; status: string; body: unknown }>();
  /** Most requests with one Idempotency-Key it ever had in flight at once (1 = never overlapping). */
  maxConcurrentPerKey = 0;
  private readonly inFlight = new Map<string, number>();
  private behaviour: ProviderBehaviour = { kind: 'succeed' };
  private failuresLeft = 0;
  private failure: ProviderBehaviour = { kind: 'error', httpStatus: 500 };
  /** Timers of the `slow` charges still to be made. */
  private readonly delayed = new Set<NodeJS.Timeout>();
  /** Charges of `held` requests, made on `release()`. */
  private held: (() => void)[] = [];

  private constructor(private readonly server: StubServer) {}

  static async start(): Promise<ProviderStandIn> {
    const holder: { standIn?: ProviderStandIn } = {};
    const server = await StubServer.listen((req, res) => holder.standIn!.handle(req, res));
    holder.standIn = new ProviderStandIn(server);
    return holder.standIn;
  }

  get url(): string {
    return this.server.url;
  }

  /** Behaviour for every following request. */
  behave(behaviour: ProviderBehaviour): void {
    this.behaviour = behaviour;
    this.failuresLeft = 0;
  }

  /** Fail the next `count` requests with `failure`, then behave as `then`. */
  failThen(count: number, failure: ProviderBehaviour, then: ProviderBehaviour = { kind: 'succeed' }): void {
    this.behaviour = then;
    this.failure = failure;
    this.failuresLeft = count;
  }

  /** Makes (and answers) every charge held so far; `held` requests arriving later wait for the next call. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const complete of held) complete();
  }

  /** Resolves once every `slow` charge requested so far has been made (a lost answer has landed). */
  async delayedChargesDone(): Promise<void> {
    await waitFor('the delayed charges to be made', () => this.delayed.size === 0, { intervalMs: 20 });
  }

  /**
   * Forgets everything, including charges still to be made for earlier requests (slow or held):
   * one test's late charge never lands in the next test's ledger.
   */
  reset(): void {
    this.cancelPending();
    this.requests.length = 0;
    this.charges.clear();
    this.maxConcurrentPerKey = 0;
    this.behave({ kind: 'succeed' });
  }

  get requestCount(): number {
    return this.requests.length;
  }

  /** The charge requests (POST) made with this key. */
  requestsFor(idempotencyKey: string): RecordedCharge[] {
    return this.requests.filter((r) => r.idempotencyKey === idempotencyKey && r.method === 'POST');
  }

  /** The status queries (GET) about this key. */
  lookupsFor(idempotencyKey: string): RecordedCharge[] {
    return this.requests.filter((r) => r.idempotencyKey === idempotencyKey && r.method === 'GET');
  }

  /** The provider settles a charge on its side (a pending charge succeeds or fails later). */
  settleCharge(idempotencyKey: string, status: 'succeeded' | 'failed'): void {
    const charge = this.charges.get(idempotencyKey);
    if (!charge) throw new Error(`no charge under ${idempotencyKey}`);
    charge.status = status;
  }

  close(): Promise<void> {
    this.cancelPending();
    return this.server.close();
  }

  private cancelPending(): void {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.held = [];
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    readJsonBody(req, (body) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const rawKey = req.method === 'GET' ? url.searchParams.get('idempotencyKey') : req.headers['idempotency-key'];
      const idempotencyKey = typeof rawKey === 'string' ? rawKey : undefined;
      this.requests.push({ at: Date.now(), method: req.method ?? '', headers: req.headers, body, idempotencyKey });
      if (idempotencyKey) {
        const now = (this.inFlight.get(idempotencyKey) ?? 0) + 1;
        this.inFlight.set(idempotencyKey, now);
        this.maxConcurrentPerKey = Math.max(this.maxConcurrentPerKey, now);
        res.on('close', () => this.inFlight.set(idempotencyKey, (this.inFlight.get(idempotencyKey) ?? 1) - 1));
      }
      let behaviour = this.behaviour;
      if (this.failuresLeft > 0) {
        this.failuresLeft -= 1;
        behaviour = this.failure;
      }
      this.respond(behaviour, req, res, body, idempotencyKey);
    });
  }

  private respond(
    behaviour: ProviderBehaviour,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    key: string | undefined,
  ): void {
    const lookup = req.method === 'GET' && req.url?.startsWith('/charges?');
    if (!lookup && (req.method !== 'POST' || req.url !== '/charges')) {
      return sendJson(res, 404, { error: 'not found' });
    }
    const answer = (status: string, httpStatus: number, echo?: Record<string, unknown>): void =>
      lookup ? this.lookup(res, key, echo) : this.charge(res, body, key, status, httpStatus, echo);
    switch (behaviour.kind) {
      case 'hang':
        return; // never answers; the client must give up on its own
      case 'reset':
        req.socket.destroy();
        return;
      case 'error':
        if (behaviour.charge && !lookup) this.chargeOnly(body, key, 'succeeded');
        return sendJson(res, behaviour.httpStatus, { error: 'provider trouble' });
      case 'refuse':
        return sendJson(res, behaviour.httpStatus ?? 422, { error: 'charge refused' });
      case 'slow': {
        // Like a real provider, it completes the charge even if the caller gave up waiting.
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          answer(behaviour.status ?? 'succeeded', 201);
        }, behaviour.delayMs);
        this.delayed.add(timer);
        return;
      }
      case 'held':
        this.held.push(() => answer('succeeded', 201));
        return;
      case 'succeed':
        return answer(behaviour.status ?? 'succeeded', behaviour.httpStatus ?? 201, behaviour.echo);
    }
  }

  /** The status query: the charge under `key` (200), or 404. */
  private lookup(res: ServerResponse, key: string | undefined, echo: Record<string, unknown> = {}): void {
    const charge = key ? this.charges.get(key) : undefined;
    if (!charge) return sendJson(res, 404, { error: 'no charge under this key' });
    const { amount, currency, recipientId } = (charge.body ?? {}) as Record<string, unknown>;
    sendJson(res, 200, { id: charge.id, status: charge.status, amount, currency, recipientId, ...echo });
  }

  private chargeOnly(body: unknown, key: string | undefined, status: string): void {
    if (key && !this.charges.has(key)) this.charges.set(key, { id: `ch_${randomUUID()}`, status, body });
  }

  private charge(
    res: ServerResponse,
    body: unknown,
    key: string | undefined,
    status: string,
    httpStatus: number,
    echo: Record<string, unknown> = {},
  ): void {
    const existing = key ? this.charges.get(key) : undefined;
    const charge = existing ?? { id: `ch_${randomUUID()}`, status, body };
    if (key && !existing) this.charges.set(key, charge);
    const { amount, currency, recipientId } = (charge.body ?? {}) as Record<string, unknown>;
    sendJson(res, existing ? 200 : httpStatus, {
      id: charge.id,
      status: charge.status,
      amount,
      currency,
      recipientId,
      ...echo,
    });
  }
}
