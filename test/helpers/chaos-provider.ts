import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookFaults, WebhookSender } from '../../tools/provider/webhook-sender';
import { readJsonBody, sendJson, StubServer } from './http-stub';

/** What the chaos provider does with one request. */
export type ChaosMove = 'answer' | 'fail' | 'hang' | 'charge-then-hang' | 'charge-then-fail' | 'charge-then-drop';
export const CHAOS_MOVES: readonly ChaosMove[] = [
  'answer',
  'fail',
  'hang',
  'charge-then-hang',
  'charge-then-fail',
  'charge-then-drop',
];

export interface LedgerCharge {
  id: string;
  key: string;
  /** `pending` until the charge settles (then `succeeded` or `failed`, final). */
  status: 'pending' | 'succeeded' | 'failed';
  amount: number;
  currency: string;
  recipientId: string;
}

/** What the chaos provider adds to its answers beyond the fault moves (all optional). */
export interface ChaosOptions {
  /** Share of new charges that start `pending` and settle later (0..1, default 0). */
  pendingShare?: number;
  /** A pending charge settles after a random time up to this (default 1500 ms). */
  settleWithinMs?: number;
  /** Share of settling pending charges that fail (default 0.25). */
  failShare?: number;
  /**
   * Signed webhooks (`charge.updated`) for every change of a charge: created (succeeded or
   * pending) and settled; with the sender's fault modes. `forgeNoCharge`: share of requests that
   * charge nothing (a 5xx or a hang) after which a forged `succeeded` event about that key is sent.
   */
  webhooks?: {
    url: string;
    secret: string;
    faults: WebhookFaults;
    forgeNoCharge?: number;
    retryBaseMs?: number;
    retryCapMs?: number;
    maxAttempts?: number;
  };
}

/** A small seeded PRNG (mulberry32): the same seed replays the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A payment provider that keeps its own ledger (at most one charge per Idempotency-Key, like a
 * real one) and, until healed, misbehaves at random: it answers, fails with 5xx, hangs, or charges
 * and then hangs, fails or drops the socket (so the caller never learns about the charge). With
 * options, a share of charges start `pending` and settle later, and every change of a charge is
 * reported by a signed webhook (delivered at least once, with the sender's fault modes, and
 * forged events mixed in). Healing ends the fault moves only: pending charges still settle on
 * their own time and webhooks keep their faults.
 */
export class ChaosProvider {
  readonly ledger = new Map<string, LedgerCharge>();
  requests = 0;
  /** Keys for which a forged event was sent while the provider had no charge under them. */
  readonly forgedNoCharge = new Set<string>();
  readonly webhooks?: WebhookSender;
  private healed = false;
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: StubServer,
    private readonly random: () => number,
    private readonly options: ChaosOptions,
  ) {
    const hooks = options.webhooks;
    if (hooks) {
      this.webhooks = new WebhookSender({
        url: hooks.url,
        secrets: [hooks.secret],
        faults: hooks.faults,
        random,
        retryBaseMs: hooks.retryBaseMs,
        retryCapMs: hooks.retryCapMs,
        maxAttempts: hooks.maxAttempts,
      });
    }
  }

  static async start(random: () => number, options: ChaosOptions = {}): Promise<ChaosProvider> {
    const holder: { provider?: ChaosProvider } = {};
    const server = await StubServer.listen((req, res) => holder.provider!.handle(req, res));
    holder.provider = new ChaosProvider(server, random, options);
    return holder.provider;
  }

  /** Charges still `pending` at the provider. */
  get pendingCharges(): number {
    let n = 0;
    for (const charge of this.ledger.values()) if (charge.status === 'pending') n += 1;
    return n;
  }

  get url(): string {
    return this.server.url;
  }

  /** From now on every request is answered (and hanging ones are let go). */
  heal(): void {
    this.healed = true;
  }

  /** Requests received and not answered or closed yet. */
  get pending(): number {
    return this.inFlight;
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.webhooks?.close();
    return this.server.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    readJsonBody(req, (parsed) => {
      this.requests += 1;
      this.inFlight += 1;
      res.on('close', () => (this.inFlight -= 1));
      if (req.method === 'GET' && req.url?.startsWith('/charges?')) return this.lookup(req, res);
      const key = req.headers['idempotency-key'];
      const body = parsed as Record<string, unknown> | undefined;
      if (req.method !== 'POST' || req.url !== '/charges' || typeof key !== 'string' || !body) {
        return sendJson(res, 400, { error: 'bad request' });
      }
      const move = this.healed ? 'answer' : this.pick();
      if (move === 'fail' || move === 'hang') this.maybeForge(key, body);
      if (move === 'fail') return sendJson(res, 503, { error: 'provider trouble' });
      if (move === 'hang') return;
      const charge = this.charge(key, body);
      switch (move) {
        case 'answer':
          return sendJson(res, 201, view(charge));
        case 'charge-then-hang':
          return;
        case 'charge-then-fail':
          return sendJson(res, 500, { error: 'provider trouble' });
        case 'charge-then-drop':
          req.socket.destroy();
          return;
      }
    });
  }

  /**
   * The status query: the charge under the key (200) or 404, with the same trouble as charges until
   * healed (a 5xx or a hang; the charge-then-* moves are plain answers here, nothing is charged).
   */
  private lookup(req: IncomingMessage, res: ServerResponse): void {
    const move = this.healed ? 'answer' : this.pick();
    if (move === 'fail') return sendJson(res, 503, { error: 'provider trouble' });
    if (move === 'hang') return;
    const key = new URL(req.url ?? '/', 'http://chaos').searchParams.get('idempotencyKey') ?? '';
    const charge = this.ledger.get(key);
    if (!charge) return sendJson(res, 404, { error: 'no charge under this key' });
    return sendJson(res, 200, view(charge));
  }

  /** Answers 40 % of the time; each kind of trouble 12 %. */
  private pick(): ChaosMove {
    const r = this.random();
    if (r < 0.4) return 'answer';
    return CHAOS_MOVES[1 + Math.min(4, Math.floor((r - 0.4) / 0.12))] ?? 'answer';
  }

  private charge(key: string, body: Record<string, unknown>): LedgerCharge {
    const existing = this.ledger.get(key);
    if (existing) return existing;
    const pending = this.random() < (this.options.pendingShare ?? 0);
    const charge: LedgerCharge = {
      id: `ch_${randomUUID()}`,
      key,
      status: pending ? 'pending' : 'succeeded',
      amount: Number(body.amount),
      currency: String(body.currency),
      recipientId: String(body.recipientId),
    };
    this.ledger.set(key, charge);
    this.report(charge);
    if (pending) {
      const final = this.random() < (this.options.failShare ?? 0.25) ? 'failed' : 'succeeded';
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          charge.status = final;
          this.report(charge);
        },
        Math.floor(this.random() * (this.options.settleWithinMs ?? 1500)),
      );
      this.timers.add(timer);
    }
    return charge;
  }

  /** A webhook about the charge's current state. */
  private report(charge: LedgerCharge): void {
    this.webhooks?.send({ ...view(charge), idempotencyKey: charge.key });
  }

  /** Sometimes, after charging nothing: a forged `succeeded` event about the key (an attacker's). */
  private maybeForge(key: string, body: Record<string, unknown>): void {
    const share = this.options.webhooks?.forgeNoCharge ?? 0;
    if (!this.webhooks || this.ledger.has(key) || !(this.random() < share)) return;
    this.forgedNoCharge.add(key);
    this.webhooks.forge({
      idempotencyKey: key,
      amount: Number(body.amount),
      currency: String(body.currency),
      recipientId: String(body.recipientId),
    });
  }
}

function view(charge: LedgerCharge): Omit<LedgerCharge, 'key'> {
  return {
    id: charge.id,
    status: charge.status,
    amount: charge.amount,
    currency: charge.currency,
    recipientId: charge.recipientId,
  };
}
