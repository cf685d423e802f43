import { assertDatabaseName, databaseUrlFor } from './postgres';

describe('postgres URL helpers', () => {
  it('swaps the database and keeps credentials, host and query', () => {
    expect(databaseUrlFor('postgresql://gw:p%40ss@db.internal:6432/postgres?sslmode=require', 'gw_test_1')).toBe(
      'postgresql://gw:p%40ss@db.internal:6432/gw_test_1?sslmode=require',
    );
  });

  it('refuses database names that would need quoting (they are never user input)', () => {
    for (const name of ['', 'Upper', 'a-b', 'x"; DROP DATABASE y; --', 'a'.repeat(64), '1abc']) {
      expect(() => assertDatabaseName(name)).toThrow(/not a safe database name/);
    }
    expect(assertDatabaseName('gw_test_abc123')).toBe('gw_test_abc123');
  });
});
