import { createHash } from 'node:crypto';
import { BUDGET_KEYS_CACHED, budgetKey } from './client-identity';

const digestKey = (address: string): string => `rl:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;

describe('budgetKey', () => {
  it('is the address’s SHA-256 pseudonym, the same whether kept or computed again', () => {
    expect(budgetKey('127.0.0.1')).toBe('rl:12ca17b49af2289436f303e0166030a2');
    expect(budgetKey('127.0.0.1')).toBe(digestKey('127.0.0.1'));
    // More addresses than are kept: every key stays right as the oldest are evicted and recomputed.
    const addresses = Array.from(
      { length: BUDGET_KEYS_CACHED * 2 + 7 },
      (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    );
    for (let pass = 0; pass < 2; pass++) {
      for (const address of addresses) expect(budgetKey(address)).toBe(digestKey(address));
    }
    expect(budgetKey('2001:db8::')).toBe(digestKey('2001:db8::'));
    expect(budgetKey('127.0.0.1')).not.toBe(budgetKey('127.0.0.2'));
  });
});
