import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { WebhookCharge, WebhookFaults, WebhookSender, WebhookStats } from './webhook-sender';

/**
 * A stand-in payment provider for `npm run dev`, scans, the gate and the bench. With the right
 * bearer key it answers:
 * - `POST /charges`: charges once per Idempotency-Key (a repeat returns the first answer);
 *   `{id, status, amount, currency, recipientId}`, `succeeded`, or `pending` for a share of charges
 *   (`pendingRatio`), which settle `settleAfterMs` later and are reported by a signed webhook;
 * - `GET /charges?idempotencyKey=`: the charge made under that key, or 404 (the status query);
 * and, given `webhook`, delivers signed `charge.updated` events to it (with fault modes).
 * Listens on 127.0.0.1 only.
 */
export interface StubProvider {
  readonly url: string;
  readonly port: number;
  /** Charges by Idempotency-Key (the provider's ledger). */
  readonly charges: ReadonlyMap<string, WebhookCharge>;
  /** When each pending charge settled at the provider (epoch ms, by Idempotency-Key). */
  readonly settledAt: ReadonlyMap<string, number>;
  readonly webhookStats?: WebhookStats;
  close(): Promise<void>;
}

export interface StubProviderOptions {
  port?: number;
  apiKey: string;
  /** Share of new charges answered `pending` (0..1, default 0). */
  pendingRatio?: number;
  /** How long a pending charge takes to settle (default 2000 ms); it then succeeds. */
  settleAfterMs?: number;
  webhook?: { url: string; secrets: string[]; faults?: WebhookFaults };
}

const MAX_BODY_BYTES = 65_536;

export function startStubProvider(options: StubProviderOptions): Promise<StubProvider> {
  const { port = 0, apiKey } = options;
  if (apiKey.length < 16) throw new Error('the stand-in provider needs an API key of 16+ characters');
  const expected = Buffer.from(`Bearer ${apiKey}`);
  const byKey = new Map<string, WebhookCharge>();
  const settledAt = new Map<string, number>();
  const sender = options.webhook ? new WebhookSender(options.webhook) : undefined;
  const timers = new Set<NodeJS.Timeout>();
  const authorized = (header: string | undefined): boolean => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const answer = (charge: WebhookCharge): Omit<WebhookCharge, 'idempotencyKey'> => ({
    id: charge.id,
    status: charge.status,
    amount: charge.amount,
    currency: charge.currency,
    recipientId: charge.recipientId,
  });
  const settleLater = (charge: WebhookCharge): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      charge.status = 'succeeded';
      settledAt.set(charge.idempotencyKey, Date.now());
      sender?.send({ ...charge });
    }, options.settleAfterMs ?? 2000);
    timers.add(timer);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      if (url.pathname !== '/charges' || (req.method !== 'POST' && req.method !== 'GET')) {
        return send(res, 404, { error: 'not found' });
      }
      if (!authorized(req.headers.authorization)) return send(res, 401, { error: 'unauthorized' });
      if (req.method === 'GET') {
        const known = byKey.get(url.searchParams.get('idempotencyKey') ?? '');
        return known ? send(res, 200, answer(known)) : send(res, 404, { error: 'no charge under this key' });
      }
      const idem = String(req.headers['idempotency-key'] ?? '');
      const known = idem ? byKey.get(idem) : undefined;
      if (known) return send(res, 200, answer(known));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return send(res, 400, { error: 'bad request' });
      }
      const pending = Math.random() < (options.pendingRatio ?? 0);
      const charge: WebhookCharge = {
        id: `ch_${randomUUID()}`,
        idempotencyKey: idem,
        status: pending ? 'pending' : 'succeeded',
        amount: Number(body.amount),
        currency: String(body.currency),
        recipientId: String(body.recipientId),
      };
      if (idem) byKey.set(idem, charge);
      if (pending && idem) settleLater(charge);
      return send(res, 201, answer(charge));
    });
  };
  const server: Server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://127.0.0.1:${bound}`,
        port: bound,
        charges: byKey,
        settledAt,
        webhookStats: sender?.stats,
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer);
            sender?.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
