import { SECRET_VARIABLES } from '../../src/platform/secrets/secret-inventory';
import { randomSecret, testVariables } from '../helpers/env';
import { freePort, PrivateRedis, runBuiltServer } from '../helpers/processes';

const REQUIRED = [
  'DATABASE_URL',
  'REDIS_URL',
  'JWT_ACCESS_SECRET',
  'REFRESH_TOKEN_PEPPER',
  'PAYMENT_PROVIDER_URL',
  'PAYMENT_PROVIDER_API_KEY',
];

async function validVariables(): Promise<Record<string, string>> {
  return testVariables({ PORT: String(await freePort()), LOG_LEVEL: 'info' });
}

function secretValuesOf(vars: Record<string, string>): string[] {
  return SECRET_VARIABLES.map((s) => vars[s.name]).filter(
    (v): v is string =>
      typeof v === 'string' && v.length >= 8 && !v.startsWith('redis://127') && !v.startsWith('postgresql://postgres@'),
  );
}

describe('the built server refuses to boot on bad configuration', () => {
  it('boots with a complete, valid configuration', async () => {
    const run = await runBuiltServer(await validVariables(), { untilOutput: /successfully started/ });
    expect(run.stopped).toBe(true);
    expect(run.output).toContain('successfully started');
  });

  it.each(REQUIRED)('refuses to start without %s, naming it and printing no secret [gate:1.5.7]', async (name) => {
    const vars = await validVariables();
    delete vars[name];
    const run = await runBuiltServer(vars);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(name);
    expect(run.output).toContain('Refusing to start');
    for (const value of secretValuesOf(vars)) expect(run.output).not.toContain(value);
  });

  it('names every offending variable in one message when several are missing or empty', async () => {
    const vars = await validVariables();
    delete vars.JWT_ACCESS_SECRET;
    vars.REFRESH_TOKEN_PEPPER = '';
    vars.PAYMENT_PROVIDER_API_KEY = '   ';
    const run = await runBuiltServer(vars);
    expect(run.code).not.toBe(0);
    const lines = run.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const name of ['JWT_ACCESS_SECRET', 'REFRESH_TOKEN_PEPPER', 'PAYMENT_PROVIDER_API_KEY'])
      expect(run.output).toContain(name);
  });

  it.each([
    ['JWT_ACCESS_SECRET', 'too short', 'a'.repeat(5) + randomSecret(8).slice(0, 10)],
    ['JWT_ACCESS_SECRET', 'a placeholder', 'replace-me-with-a-long-random-secret-value-0123456789'],
    ['JWT_ACCESS_SECRET', 'low entropy', 'x'.repeat(48)],
    ['REFRESH_TOKEN_PEPPER', 'too short', randomSecret(8)],
    ['REFRESH_TOKEN_PEPPER', 'a placeholder', 'changeme-changeme-changeme-changeme-1234'],
    ['PAYMENT_PROVIDER_API_KEY', 'a placeholder', 'your-api-key-goes-here-please'],
    ['JWT_ACCESS_PREVIOUS_SECRETS', 'too short', 'short-old-key'],
    ['REFRESH_TOKEN_PEPPER_PREVIOUS', 'a placeholder', 'example-pepper-example-pepper-example-pepper'],
  ])('refuses %s when it is %s, without echoing the value', async (name, _why, value) => {
    const vars = await validVariables();
    vars[name] = value;
    const run = await runBuiltServer(vars);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(name);
    expect(run.output).not.toContain(value);
    for (const secret of secretValuesOf(vars)) expect(run.output).not.toContain(secret);
  });

  it('refuses a Redis URL without credentials in production [gate:1.1.3]', async () => {
    const vars = await validVariables();
    vars.NODE_ENV = 'production';
    const run = await runBuiltServer(vars);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/REDIS_URL: must carry credentials/);
  });

  describe('Redis with a password (private redis-server --requirepass)', () => {
    const password = randomSecret(18);
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await PrivateRedis.start({ password });
    });
    afterAll(() => redis.destroy());

    it('boots with the right password [gate:1.1.3]', async () => {
      const vars = await validVariables();
      vars.REDIS_URL = redis.url();
      const run = await runBuiltServer(vars, { untilOutput: /successfully started/ });
      expect(run.output).toContain('successfully started');
      expect(run.output).not.toContain(password);
    });

    it('refuses to boot with a wrong password, saying why and echoing no password [gate:1.1.3]', async () => {
      const vars = await validVariables();
      const wrong = randomSecret(18);
      vars.REDIS_URL = redis.url(wrong);
      const run = await runBuiltServer(vars);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/Redis check failed \(authentication failed\)/);
      expect(run.output).not.toContain(wrong);
      expect(run.output).not.toContain(password);
    });

    it('refuses to boot without a password when Redis requires one [gate:1.1.3]', async () => {
      const vars = await validVariables();
      vars.REDIS_URL = redis.url('');
      const run = await runBuiltServer(vars);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/Redis check failed \(authentication failed\)/);
    });

    it('refuses to boot when Redis is unreachable [gate:1.1.5]', async () => {
      const vars = await validVariables();
      vars.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
      const run = await runBuiltServer(vars);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/Redis check failed \(connection refused\)/);
    });
  });
});
