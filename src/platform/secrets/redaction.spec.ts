import { randomBytes } from 'node:crypto';
import { REDACTED, secretValueRedactor } from './redaction';

describe('secretValueRedactor [gate:1.5.6]', () => {
  const jwt = randomBytes(32).toString('base64url');
  const dbPassword = 'p@ss/' + randomBytes(8).toString('hex');
  const env = {
    JWT_ACCESS_SECRET: jwt,
    DATABASE_URL: `postgresql://gw:${encodeURIComponent(dbPassword)}@db:5432/gw`,
    JWT_ACCESS_PREVIOUS_SECRETS: [randomBytes(32).toString('hex')],
    PORT: 3000,
  };
  const redact = secretValueRedactor(env);

  it('masks a configured secret wherever it appears in a line', () => {
    const line = JSON.stringify({ msg: `signing with ${jwt} now`, nested: { k: jwt } });
    expect(redact(line)).not.toContain(jwt);
    expect(redact(line)).toContain(REDACTED);
  });

  it('masks URL passwords in raw and percent-encoded form, and list secrets', () => {
    const line = `failed ${env.DATABASE_URL} ${dbPassword} ${env.JWT_ACCESS_PREVIOUS_SECRETS[0]}`;
    const out = redact(line);
    expect(out).not.toContain(dbPassword);
    expect(out).not.toContain(encodeURIComponent(dbPassword));
    expect(out).not.toContain(env.JWT_ACCESS_PREVIOUS_SECRETS[0]);
  });

  it('masks a secret in its JSON-escaped form', () => {
    const quoted = 'ab"cd\\ef' + randomBytes(8).toString('hex');
    const out = secretValueRedactor({ PAYMENT_PROVIDER_API_KEY: quoted })(JSON.stringify({ msg: quoted }));
    expect(out).not.toContain(JSON.stringify(quoted).slice(1, -1));
  });

  it('leaves lines without secrets untouched', () => {
    expect(redact('{"msg":"hello"}')).toBe('{"msg":"hello"}');
  });
});
