import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrlFor } from '../setup/run-context';

export interface ScratchDatabase {
  url: string;
  drop: () => Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrlFor('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A freshly migrated database of the suite's own (named after the run, so global-teardown removes
 * it even if the suite dies). For suites whose background workers would otherwise act on other
 * suites' rows in the shared run database (payment reconciliation).
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `${process.env.TEST_DATABASE_NAME}_s${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrlFor(name);
  execFileSync(join(__dirname, '../../node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    url,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
