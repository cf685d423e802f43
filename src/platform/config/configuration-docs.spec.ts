import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment } from './environment.schema';

const root = join(__dirname, '../../..');
const schemaNames = new Set(Object.keys(new Environment()));

/** The variables named in the first column of the table under "## Variables" in docs/configuration.md. */
function variableTableNames(): string[] {
  const docs = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
  const [, after = ''] = docs.split('\n## Variables\n');
  const [section = ''] = after.split('\n## ');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name = '']) => name));
}

/** Every variable .env.example sets or shows commented out (`NAME=` or `# NAME=`). */
function envExampleNames(): string[] {
  const text = readFileSync(join(root, '.env.example'), 'utf8');
  return [...text.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map(([, name = '']) => name);
}

describe('configuration docs and schema stay in step', () => {
  it('docs/configuration.md names only variables the schema reads, and all of them', () => {
    const names = variableTableNames();
    expect(names.filter((name) => !schemaNames.has(name))).toEqual([]);
    expect([...schemaNames].filter((name) => !names.includes(name))).toEqual([]);
  });

  it('.env.example names only variables the schema reads, and all of them', () => {
    const names = envExampleNames();
    expect(names.filter((name) => !schemaNames.has(name))).toEqual([]);
    expect([...schemaNames].filter((name) => !names.includes(name))).toEqual([]);
  });
});
