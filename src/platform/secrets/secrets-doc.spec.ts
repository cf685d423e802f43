import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_VARIABLES } from './secret-inventory';

const root = join(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs/secrets.md'), 'utf8');

/** The body of `### \`NAME\`` up to the next heading. */
function sectionOf(name: string): string {
  const start = doc.indexOf(`### \`${name}\``);
  if (start < 0) return '';
  const rest = doc.slice(start + 1);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('docs/secrets.md', () => {
  it.each(SECRET_VARIABLES.map((s) => s.name))(
    'documents %s: what it protects, where it is read, how to generate and rotate it',
    (name) => {
      const section = sectionOf(name);
      expect(section).not.toBe('');
      expect(section).toContain('**Protects**');
      expect(section).toContain('**Read in**');
      expect(section).toMatch(/\*\*Generate\*\*|see the next section|see `[A-Z_]+`/);
      expect(section).toMatch(/[Rr]otate/);
    },
  );

  it('lists no secret the inventory does not know', () => {
    const documented = [...doc.matchAll(/^### `([A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented).toEqual(SECRET_VARIABLES.map((s) => s.name));
  });

  it('names only files that exist', () => {
    const paths = [...doc.matchAll(/`((?:src|test|scripts|docs)\/[\w./-]+\.(?:ts|js|md|sh))`/g)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('documents a no-downtime rotation for the rotation variables and both connection credentials', () => {
    expect(sectionOf('JWT_ACCESS_PREVIOUS_SECRETS')).toMatch(
      /JWT_ACCESS_SECRET=<new>.*JWT_ACCESS_PREVIOUS_SECRETS=<old>/,
    );
    expect(sectionOf('REFRESH_TOKEN_PEPPER_PREVIOUS')).toMatch(
      /REFRESH_TOKEN_PEPPER=<new>.*REFRESH_TOKEN_PEPPER_PREVIOUS=<old>/,
    );
    expect(sectionOf('DATABASE_URL')).toMatch(/ALTER ROLE/);
    expect(sectionOf('REDIS_URL')).toMatch(/ACL SETUSER \w+ on >NEW_PASSWORD[\s\S]*ACL SETUSER \w+ <OLD_PASSWORD/);
    expect(sectionOf('PAYMENT_PROVIDER_API_KEY')).toMatch(/rolling restart/);
  });
});
