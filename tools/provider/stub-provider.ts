import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * A stand-in payment provider for `npm run dev`, scans and the gate: answers `POST /charges` with
 * `{id, status: 'succeeded'}` when the bearer key matches, and repeats the first answer for a
 * repeated Idempotency-Key (as the real provider promises). Listens on 127.0.0.1 only.
 */
export interface StubProvider {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 65_536;

export function startStubProvider({ port = 0, apiKey }: { port?: number; apiKey: string }): Promise<StubProvider> {
  if (apiKey.length < 16) throw new Error('the stand-in provider needs an API key of 16+ characters');
  const expected = Buffer.from(`Bearer ${apiKey}`);
  const byKey = new Map<string, { id: string; status: string }>();
  const authorized = (header: string | undefined): boolean => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/charges') return send(res, 404, { error: 'not found' });
      if (!authorized(req.headers.authorization)) return send(res, 401, { error: 'unauthorized' });
      const idem = String(req.headers['idempotency-key'] ?? '');
      const known = idem ? byKey.get(idem) : undefined;
      if (known) return send(res, 200, known);
      const charge = { id: `ch_${randomUUID()}`, status: 'succeeded' };
      if (idem) byKey.set(idem, charge);
      return send(res, 201, charge);
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
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
