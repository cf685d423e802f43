import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, EnvironmentError, loadEnvironment } from '../config/environment';
import { isKnownPlaceholder, SECRET_VARIABLES } from './secret-inventory';

const root = join(__dirname, '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const envExample = readFileSync(join(root, '.env.example'), 'utf8');

function dotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, name, value] = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()) ?? [];
    if (name !== undefined && value !== undefined) out[name] = value;
  }
  return out;
}

describe('secret inventory', () => {
  it('README secrets table lists exactly the inventory', () => {
    const section =
      (readme.split('### Secrets')[1] ?? '').split('\n\n').find((block) => block.includes('| secret |')) ?? '';
    const names = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(names).toEqual(SECRET_VARIABLES.map((s) => s.name));
  });

  it('docs/configuration.md documents every variable the server reads', () => {
    const configuration = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    for (const name of Object.keys(new Environment())) expect(configuration).toContain(`\`${name}\``);
  });

  it('.env.example mentions every variable, and the server refuses every secret placeholder in it', () => {
    for (const name of Object.keys(new Environment())) expect(envExample).toContain(name);
    let problems: string[] = [];
    try {
      loadEnvironment(dotenv(envExample));
    } catch (error) {
      problems = (error as EnvironmentError).problems.map((p) => p.variable);
    }
    for (const secret of [
      'DATABASE_URL',
      'REDIS_URL',
      'JWT_ACCESS_SECRET',
      'REFRESH_TOKEN_PEPPER',
      'PAYMENT_PROVIDER_API_KEY',
    ]) {
      expect(problems).toContain(secret);
    }
  });

  it('flags template words and low-entropy values, not random ones', () => {
    expect(isKnownPlaceholder('replace-me')).toBe(true);
    expect(isKnownPlaceholder('0000000000000000000000000000000000000')).toBe(true);
    expect(isKnownPlaceholder('Vq3n8T1xZr5kLw0pYb7sHd2mCf9jNg4e')).toBe(false);
  });
});
