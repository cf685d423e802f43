import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Environment } from '../config/environment';
import { SECRET_VARIABLES } from './secret-inventory';

const root = join(__dirname, '../../..');

function filesUnder(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (['node_modules', 'generated', 'dist'].includes(name)) continue;
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, pattern));
    else if (pattern.test(name)) out.push(full);
  }
  return out;
}

const sources = [
  ...filesUnder(join(root, 'src'), /\.ts$/),
  ...filesUnder(join(root, 'test'), /\.ts$/),
  ...filesUnder(join(root, 'tools'), /\.ts$/),
  ...filesUnder(join(root, 'scripts'), /\.sh$/),
  join(root, 'prisma.config.ts'),
].map((file) => ({ file: relative(root, file), text: readFileSync(file, 'utf8') }));

const serverSources = sources.filter((s) => s.file.startsWith('src/') && !/\.spec\.ts$/.test(s.file));

/** Everything after `process.env.NAME ??` / `||`, when it is a non-empty string literal. */
function literalFallbacks(text: string, name: string): string[] {
  const pattern = new RegExp(
    `process\\.env(?:\\.${name}\\b|\\[\\s*['"\`]${name}['"\`]\\s*\\])\\s*(?:\\?\\?|\\|\\|)\\s*(['"\`])((?:(?!\\1).)+)\\1`,
    'g',
  );
  return [...text.matchAll(pattern)].map((m) => m[2] ?? '');
}

function urlHasPassword(value: string): boolean {
  try {
    return new URL(value).password !== '';
  } catch {
    return true; // not a URL: treat like any other literal secret
  }
}

describe('no default secrets', () => {
  it('gives no inventoried secret a default value in the validated environment', () => {
    const defaults = new Environment() as unknown as Record<string, unknown>;
    for (const secret of SECRET_VARIABLES) {
      const value = defaults[secret.name];
      // A rotation list may start empty (no previous key); nothing else may have a value.
      if (secret.list) expect({ [secret.name]: value }).toEqual({ [secret.name]: [] });
      else expect({ [secret.name]: value }).toEqual({ [secret.name]: undefined });
    }
  });

  it('has no `process.env.SECRET ?? "literal"` fallback carrying a credential anywhere in the tree', () => {
    const offenders: string[] = [];
    for (const { file, text } of sources) {
      for (const secret of SECRET_VARIABLES) {
        for (const literal of literalFallbacks(text, secret.name)) {
          // Tooling may fall back to a local URL without credentials (postgres@127.0.0.1); never to a password.
          if (!secret.url || urlHasPassword(literal)) offenders.push(`${file}: ${secret.name}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the server reads secrets only through the validated environment, never process.env directly', () => {
    // Entry points hand process.env to a validator: the server (main.ts) and operator CLIs (*/cli/*).
    const offenders = serverSources
      .filter(({ file }) => file !== 'src/main.ts' && !/\/cli\//.test(file))
      .flatMap(({ file, text }) =>
        SECRET_VARIABLES.filter((s) => new RegExp(`process\\.env(\\.${s.name}\\b|\\[['"\`]${s.name})`).test(text)).map(
          (s) => `${file}: ${s.name}`,
        ),
      );
    expect(offenders).toEqual([]);
  });

  it('has no well-known default secret literal assigned to a secret-like name in server code, tools or scripts', () => {
    const known =
      /\b\w*(SECRET|PEPPER|API_?KEY|PASSWORD|PASSWD)\w*\s*[:=]\s*['"`](secret|changeme|change-me|supersecret|s3cr3t|default|password|passw0rd|admin|test|dev|development|12345\w*|your[-_]?\w*|jwt[-_]?secret)['"`]/i;
    const offenders = sources
      .filter(({ file }) => !file.startsWith('test/') && !/\.spec\.ts$/.test(file))
      .filter(({ text }) => known.test(text))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  it('docker-compose refuses to start without each credential (every secret interpolation uses :?)', () => {
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const interpolations = [...compose.matchAll(/\$\{([A-Z0-9_]+)([^}]*)\}/g)].filter((m) =>
      /PASSWORD|SECRET|PEPPER|API_KEY/.test(m[1] ?? ''),
    );
    expect(interpolations.length).toBeGreaterThan(0);
    for (const m of interpolations)
      expect({ variable: m[1], modifier: m[2]?.slice(0, 2) }).toEqual({ variable: m[1], modifier: ':?' });
  });

  it('the Dockerfile bakes in no secret', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const secret of SECRET_VARIABLES) expect(dockerfile).not.toContain(secret.name);
  });
});
