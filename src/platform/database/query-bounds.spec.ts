import { expectedBounds, parseObserved, startupParameters, unboundedReason } from './query-bounds';

describe('query bounds', () => {
  const expected = expectedBounds(5000);

  it('sends the timeouts as startup parameters in session mode only', () => {
    expect(startupParameters('session', 5000)).toEqual({
      statement_timeout: 5000,
      idle_in_transaction_session_timeout: 10000,
    });
    expect(startupParameters('transaction', 5000)).toEqual({});
  });

  it('accepts timeouts that are set and no longer than configured', () => {
    for (const [st, idle] of <[string, string][]>[
      ['5000', '10000'],
      ['1500', '3000'],
    ]) {
      const observed = parseObserved({ role: 'gw', statement_timeout: st, idle_timeout: idle });
      expect(unboundedReason(observed, expected, 'transaction')).toBeUndefined();
    }
  });

  it.each([
    ['0', '10000', 'statement_timeout is 0 (unbounded)'],
    ['30000', '10000', 'statement_timeout is 30000 ms, expected 1-5000 ms'],
    ['5000', '0', 'idle_in_transaction_session_timeout is 0 (unbounded)'],
    ['x', '10000', 'statement_timeout is NaN ms'],
  ])('refuses statement_timeout=%s idle=%s', (st, idle, text) => {
    const observed = parseObserved({ role: 'gw"x', statement_timeout: st, idle_timeout: idle });
    const reason = unboundedReason(observed, expected, 'transaction');
    expect(reason).toContain(text);
    expect(reason).toMatch(/ALTER ROLE "gw""x" SET/);
  });

  it('points a session-mode refusal at DB_POOL_MODE=transaction', () => {
    const observed = parseObserved({ role: 'gw', statement_timeout: '0', idle_timeout: '0' });
    expect(unboundedReason(observed, expected, 'session')).toContain('set DB_POOL_MODE=transaction');
  });
});
