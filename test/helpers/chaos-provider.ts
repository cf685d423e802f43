import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  amount: number;
  currency: string;
  recipientId: string;
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
 * and then hangs, fails or drops the socket (so the caller never learns about the charge).
 */
export class ChaosProvider {
  readonly ledger = new Map<string, LedgerCharge>();
  requests = 0;
  private healed = false;
  private inFlight = 0;

  private constructor(
    private readonly server: StubServer,
    private readonly random: () => number,
  ) {}

  static async start(random: () => number): Promise<ChaosProvider> {
    const holder: { provider?: ChaosProvider } = {};
    const server = await StubServer.listen((req, res) => holder.provider!.handle(req, res));
    holder.provider = new ChaosProvider(server, random);
    return holder.provider;
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
      if (move === 'fail') return sendJson(res, 503, { error: 'provider trouble' });
      if (move === 'hang') return;
      const charge = this.charge(key, body);
      switch (move) {
        case 'answer':
          return sendJson(res, 201, {
            id: charge.id,
            status: 'succeeded',
            amount: charge.amount,
            currency: charge.currency,
            recipientId: charge.recipientId,
          });
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
    return sendJson(res, 200, {
      id: charge.id,
      status: 'succeeded',
      amount: charge.amount,
      currency: charge.currency,
      recipientId: charge.recipientId,
    });
  }

  /** Answers 40 % of the time; each kind of trouble 12 %. */
  private pick(): ChaosMove {
    const r = this.random();
    if (r < 0.4) return 'answer';
    return CHAOS_MOVES[1 + Math.min(4, Math.floor((r - 0.4) / 0.12))];
  }

  private charge(key: string, body: Record<string, unknown>): LedgerCharge {
    const existing = this.ledger.get(key);
    if (existing) return existing;
    const charge: LedgerCharge = {
      id: `ch_${randomUUID()}`,
      key,
      amount: Number(body.amount),
      currency: String(body.currency),
      recipientId: String(body.recipientId),
    };
    this.ledger.set(key, charge);
    return charge;
  }
}
