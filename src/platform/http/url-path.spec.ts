import { withoutQuery } from './url-path';

describe('withoutQuery', () => {
  it('keeps everything before the first ?', () => {
    expect(withoutQuery('/v1/auth/me')).toBe('/v1/auth/me');
    expect(withoutQuery('/v1/payments?cursor=a?b')).toBe('/v1/payments');
    expect(withoutQuery('/?')).toBe('/');
    expect(withoutQuery('?x=1')).toBe('');
  });
});
