import { keyPrefix } from './redis';

describe('redis key prefixes', () => {
  it('builds <scope>:<id>: and refuses parts that could match other runs', () => {
    expect(keyPrefix('gwtest', 'mabc_1234')).toBe('gwtest:mabc_1234:');
    for (const bad of ['', 'a*', 'a:b', 'a b']) expect(() => keyPrefix('gwtest', bad)).toThrow();
  });
});
