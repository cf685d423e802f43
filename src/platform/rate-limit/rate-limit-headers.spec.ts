import { countedLimits, rateLimitHeaders } from './rate-limit-headers';

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

describe('countedLimits', () => {
  const global = { name: 'global', limit: 10, ttl: 60_000, blockDuration: 60_000 };
  const auth = { name: 'auth', limit: 5, ttl: 60_000, blockDuration: 60_000 };
  const record = (totalHits: number, isBlocked = false) => ({
    totalHits,
    timeToExpire: 30,
    isBlocked,
    timeToBlockExpire: isBlocked ? 42 : 0,
  });

  it('gives a state per limit counted and no refusal when none refused', () => {
    const { states, refusal } = countedLimits([global, auth], [record(1), record(1)]);
    expect(states.map((s) => s.name)).toEqual(['global', 'auth']);
    expect(refusal).toBeUndefined();
  });

  it('stops at the first refusal: the limits after it were not counted', () => {
    const { states, refusal } = countedLimits([global, auth], [record(11, true)]);
    expect(states.map((s) => s.name)).toEqual(['global']);
    expect(refusal).toEqual({ name: 'global', timeToBlockExpire: 42 });
  });

  it('treats no record, or more records than limits, as a storage fault', () => {
    expect(() => countedLimits([global], [])).toThrow('answered 0 records for 1 limits');
    expect(() => countedLimits([global], [record(1), record(1)])).toThrow('answered 2 records for 1 limits');
  });
});
