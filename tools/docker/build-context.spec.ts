import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildContextFiles, cleanPath, DockerignoreMatcher, readDockerignore } from './build-context';

const excludes = (patterns: string, path: string): boolean =>
  new DockerignoreMatcher(readDockerignore(patterns)).excludes(path);

describe("Docker's .dockerignore rules", () => {
  it('anchors a pattern at the context root: `*` stays in one segment, `**/` spans any depth', () => {
    expect(excludes('*.log', 'a.log')).toBe(true);
    expect(excludes('*.log', 'logs/a.log')).toBe(false);
    expect(excludes('**/*.log', 'logs/deep/a.log')).toBe(true);
    expect(excludes('**/*.log', 'a.log')).toBe(true);
    expect(excludes('.env*', '.env.local')).toBe(true);
    expect(excludes('.env*', 'tools/.env')).toBe(false);
    expect(excludes('a?c', 'abc')).toBe(true);
    expect(excludes('a?c', 'a/c')).toBe(false);
    expect(excludes('[ab]x', 'bx')).toBe(true);
    expect(excludes('docs/**', 'docs/a/b.md')).toBe(true);
  });

  it('excludes everything below a matched directory, and lets the last matching pattern decide', () => {
    expect(excludes('docs', 'docs/a/b.md')).toBe(true);
    expect(excludes('docs\n!docs/keep.md', 'docs/keep.md')).toBe(false);
    expect(excludes('docs\n!docs/keep.md', 'docs/other.md')).toBe(true);
    expect(excludes('!docs/keep.md\ndocs', 'docs/keep.md')).toBe(true);
  });

  it('reads the file as BuildKit does: comments, blanks, spaces, a leading slash, cleaned paths', () => {
    expect(readDockerignore('\uFEFF# note\n\n  /a/./b//  \n! /c/\n#x\n ./d/../e\n')).toEqual(['a/b', '!c', 'e']);
    expect(excludes(' # not a comment once indented', '# not a comment once indented')).toBe(true);
    expect(cleanPath('./a//b/../c/')).toBe('a/c');
    expect(cleanPath('/')).toBe('/');
  });
});

describe('the build context of this repository', () => {
  let root: string;

  /** A stand-in checkout: the real .dockerignore and Dockerfile, with a file in every place that matters. */
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gw-docker-context-'));
    const repo = join(__dirname, '..', '..');
    copyFileSync(join(repo, '.dockerignore'), join(root, '.dockerignore'));
    copyFileSync(join(repo, 'Dockerfile'), join(root, 'Dockerfile'));
    const files = [
      '.dev/env',
      '.dev/admin.txt',
      '.dev/postgres/data/PG_VERSION',
      '.dev/redis/redis.conf',
      '.env',
      '.env.local',
      '.env.production',
      '.env.example',
      'tools/dev/.env',
      'node_modules/pkg/index.js',
      'tools/node_modules/pkg/index.js',
      'reports/gate-1.md',
      'reports/jest/main.json',
      'bench/results/run.json',
      'evidence/gate-1/gate-1.md',
      '.git/HEAD',
      'dist/main.js',
      'src/generated/prisma/client.ts',
      'dev.log',
      'src/main.ts',
      'src/platform/config/environment.ts',
      'package.json',
      'package-lock.json',
      'prisma/schema.prisma',
      'prisma/migrations/0001_init/migration.sql',
      'prisma.config.ts',
      'tsconfig.json',
      'tsconfig.build.json',
      'bench/run.ts',
    ];
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), `${file}\n`);
    }
    symlinkSync(join(root, '.dev', 'env'), join(root, 'env-link'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('sends nothing under .dev/ and no .env file, at any depth', () => {
    const context = buildContextFiles(root);
    expect(context.filter((f) => f === '.dev' || f.startsWith('.dev/') || f.includes('/.dev/'))).toEqual([]);
    expect(context.filter((f) => /(^|\/)\.env/.test(f))).toEqual([]);
  });

  it('sends no installed modules, run outputs, evidence, git data or local build output', () => {
    const context = buildContextFiles(root);
    for (const prefix of ['node_modules/', 'tools/node_modules/', 'reports/', 'bench/results/', 'evidence/', '.git/']) {
      expect(context.filter((f) => f.startsWith(prefix))).toEqual([]);
    }
    expect(context).not.toContain('dist/main.js');
    expect(context).not.toContain('dev.log');
  });

  it('sends what the image is built from: sources, package files, the Prisma schema and migrations', () => {
    const context = buildContextFiles(root);
    expect(context).toEqual(
      expect.arrayContaining([
        'Dockerfile',
        'package.json',
        'package-lock.json',
        'prisma.config.ts',
        'prisma/schema.prisma',
        'prisma/migrations/0001_init/migration.sql',
        'src/main.ts',
        'src/platform/config/environment.ts',
        'tsconfig.json',
        'tsconfig.build.json',
        'bench/run.ts',
      ]),
    );
  });

  it('lists a symlink as itself, without following it', () => {
    expect(buildContextFiles(root)).toContain('env-link');
  });
});
