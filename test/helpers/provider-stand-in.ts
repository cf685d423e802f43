import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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
  | { kind: 'hang' }
  | { kind: 'error'; httpStatus: number }
  | { kind: 'reset' }
  | { kind: 'refuse'; httpStatus?: number };

export interface RecordedCharge {
  at: number;
  headers: IncomingMessage['headers'];
  body: unknown;
  idempotencyKey: string | undefined;
}

/**
 * A real HTTP payment provider for tests (node:http on a free port). Each test sets its
 * behaviour; it records every request (arrival time, headers, body) and, like the real provider,
 * charges at most once per Idempotency-Key: a repeat with a known key returns the first charge.
 * Its answers echo what was charged under the key (amount, currency, recipientId).
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
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ProviderStandIn> {
    const holder: { standIn?: ProviderStandIn } = {};
    const server = createServer((req, res) => holder.standIn!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const standIn = new ProviderStandIn(server, `http://127.0.0.1:${port}`);
    holder.standIn = standIn;
    server.on('connection', (socket) => {
      standIn.sockets.add(socket);
      socket.on('close', () => standIn.sockets.delete(socket));
    });
    return standIn;
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

  reset(): void {
    this.requests.length = 0;
    this.charges.clear();
    this.maxConcurrentPerKey = 0;
    this.behave({ kind: 'succeed' });
  }

  get requestCount(): number {
    return this.requests.length;
  }

  requestsFor(idempotencyKey: string): RecordedCharge[] {
    return this.requests.filter((r) => r.idempotencyKey === idempotencyKey);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const rawKey = req.headers['idempotency-key'];
      const idempotencyKey = typeof rawKey === 'string' ? rawKey : undefined;
      this.requests.push({ at: Date.now(), headers: req.headers, body, idempotencyKey });
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
    if (req.method !== 'POST' || req.url !== '/charges') return this.json(res, 404, { error: 'not found' });
    switch (behaviour.kind) {
      case 'hang':
        return; // never answers; the client must give up on its own
      case 'reset':
        req.socket.destroy();
        return;
      case 'error':
        return this.json(res, behaviour.httpStatus, { error: 'provider trouble' });
      case 'refuse':
        return this.json(res, behaviour.httpStatus ?? 422, { error: 'charge refused' });
      case 'slow': {
        // Like a real provider, it completes the charge even if the caller gave up waiting.
        setTimeout(() => this.charge(res, body, key, behaviour.status ?? 'succeeded', 201), behaviour.delayMs);
        return;
      }
      case 'succeed':
        return this.charge(
          res,
          body,
          key,
          behaviour.status ?? 'succeeded',
          behaviour.httpStatus ?? 201,
          behaviour.echo,
        );
    }
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
    this.json(res, existing ? 200 : httpStatus, {
      id: charge.id,
      status: charge.status,
      amount,
      currency,
      recipientId,
      ...echo,
    });
  }

  private json(res: ServerResponse, status: number, payload: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }
}
