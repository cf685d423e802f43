import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { SECURITY_HEADER_OPTIONS, staticSecurityHeaders } from './security-headers';

describe('staticSecurityHeaders', () => {
  let server: Server;
  let url: string;
  const middleware = helmet(SECURITY_HEADER_OPTIONS);

  beforeAll(async () => {
    server = createServer((req, res) => middleware(req, res, () => res.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is exactly the header set helmet itself sends on a real response', async () => {
    const response = await fetch(url);
    await response.arrayBuffer();
    const generic = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const sent = Object.fromEntries([...response.headers].filter(([name]) => !generic.has(name)));
    expect(staticSecurityHeaders()).toEqual(sent);
  });

  it('carries the configured CSP and HSTS, and is frozen', () => {
    const headers = staticSecurityHeaders();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("img-src 'self' data:");
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(Object.isFrozen(headers)).toBe(true);
  });
});
