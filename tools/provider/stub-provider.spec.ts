import { randomBytes } from 'node:crypto';
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

  it('refuses a wrong key and unknown routes', async () => {
    expect((await charge({ authorization: `Bearer ${apiKey}x` })).status).toBe(401);
    expect((await fetch(`${provider.url}/refunds`, { method: 'POST' })).status).toBe(404);
  });

  it('refuses a short API key at start', () => {
    expect(() => startStubProvider({ apiKey: 'short' })).toThrow(/16\+ characters/);
  });
});
