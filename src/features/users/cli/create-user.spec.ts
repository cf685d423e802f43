import { parseArguments } from './create-user';

describe('user:create arguments', () => {
  it('takes the email in its normal form: trimmed, NFC, lower case (one account per address)', () => {
    const composed = 'ren\u00E9@example.test';
    expect(parseArguments(['--email', ' RENE\u0301@Example.TEST ', '--role', 'user'])).toEqual({
      email: composed,
      role: 'user',
    });
    expect(parseArguments([`--email=${composed}`, '--role=admin'])).toEqual({ email: composed, role: 'admin' });
  });

  it('refuses what is not an email', () => {
    expect(() => parseArguments(['--email', 'nope', '--role', 'user'])).toThrow(/not a valid email/);
  });
});
