import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../harness';
import { startStubProvider, StubProvider } from './stub-provider';

describe('stand-in payment provider', () => {
  const apiKey = randomBytes(24).toString('base64url');
  let provider: StubProvider;
  beforeAll(async () => {
    provider = await startStubProvider({ apiKey });
  });
  afterAll(() => provider.close());

  const charge = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${provider.url}/charges`, { method: 'POST', headers, body: '{"amount":1}' });

  it('charges with the right key and repeats the first answer for a repeated Idempotency-Key', async () => {
    const headers = { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'k-1' };
    const first = await charge(headers);
    expect(first.status).toBe(201);
    const body = (await first.json()) as { id: string; status: string };
    expect(body).toMatchObject({ id: expect.stringMatching(/^ch_/), status: 'succeeded' });
    const again = await charge(headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
  });

  it('answers the status query: the charge made under a key, or 404', async () => {
    const headers = { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'k-status' };
    const made = (await (await charge(headers)).json()) as { id: string };
    const found = await fetch(`${provider.url}/charges?idempotencyKey=k-status`, { headers });
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ id: made.id, status: 'succeeded' });
    expect((await fetch(`${provider.url}/charges?idempotencyKey=k-none`, { headers })).status).toBe(404);
  });

  it('refuses a wrong key and unknown routes', async () => {
    expect((await charge({ authorization: `Bearer ${apiKey}x` })).status).toBe(401);
    expect((await fetch(`${provider.url}/refunds`, { method: 'POST' })).status).toBe(404);
  });

  it('answers pending, settles later and reports it by a signed webhook', async () => {
    const received: { signature: string; body: string }[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ signature: String(req.headers['provider-signature']), body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as AddressInfo).port;
    const secret = randomBytes(32).toString('base64url');
    const pendingProvider = await startStubProvider({
      apiKey,
      pendingRatio: 1,
      settleAfterMs: 50,
      webhook: { url: `http://127.0.0.1:${sinkPort}/hook`, secrets: [secret] },
    });
    try {
      const res = await fetch(`${pendingProvider.url}/charges`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'k-pending' },
        body: '{"amount":5,"currency":"EUR","recipientId":"r"}',
      });
      expect(await res.json()).toMatchObject({ status: 'pending' });
      await waitFor('the webhook', () => received.length > 0);
      const [{ signature, body } = { signature: '', body: '' }] = received;
      const t = Number(/t=(\d+)/.exec(signature)![1]);
      const v1 = /v1=([0-9a-f]{64})/.exec(signature)![1];
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
      expect(JSON.parse(body)).toMatchObject({
        type: 'charge.updated',
        data: { status: 'succeeded', idempotencyKey: 'k-pending' },
      });
    } finally {
      await pendingProvider.close();
      sink.close();
    }
  });

  it('refuses a short API key at start', () => {
    expect(() => startStubProvider({ apiKey: 'short' })).toThrow(/16\+ characters/);
  });
});
