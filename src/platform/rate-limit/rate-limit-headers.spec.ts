import { rateLimitHeaders } from './rate-limit-headers';

describe('rateLimitHeaders', () => {
  it('lists every applied policy in RateLimit-Policy and RateLimit, draft-ietf-httpapi-ratelimit-headers style', () => {
    const headers = rateLimitHeaders([
      { name: 'global', limit: 100, windowSeconds: 60, remaining: 97, resetSeconds: 42 },
      { name: 'auth', limit: 10, windowSeconds: 60, remaining: 7, resetSeconds: 42 },
    ]);
    expect(headers['RateLimit-Policy']).toBe('"global";q=100;w=60, "auth";q=10;w=60');
    expect(headers.RateLimit).toBe('"global";r=97;t=42, "auth";r=7;t=42');
  });

  it('reports the limit closest to running out in the X-RateLimit-* headers', () => {
    const headers = rateLimitHeaders([
      { name: 'global', limit: 100, windowSeconds: 60, remaining: 3, resetSeconds: 10 },
      { name: 'auth', limit: 10, windowSeconds: 60, remaining: 7, resetSeconds: 42 },
    ]);
    expect(headers).toMatchObject({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '3',
      'X-RateLimit-Reset': '10',
    });
  });

  it('sets nothing when no limit applied', () => {
    expect(rateLimitHeaders([])).toEqual({});
  });
});
