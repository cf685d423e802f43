import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { BASE_REDIS_URL, databaseUrlFor, newRunId } from './run-context';

/**
 * Each test run gets its own freshly created and migrated database and its own Redis key
 * prefix; global-teardown removes both. Workers inherit these variables.
 */
export default async function globalSetup(): Promise<void> {
  const runId = newRunId();
  const dbName = `gw_test_${runId}`;
  const admin = new Client({ connectionString: databaseUrlFor('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(dbName);
  execFileSync(join(__dirname, '../../node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.env.TEST_RUN_ID = runId;
  process.env.TEST_DATABASE_NAME = dbName;
  process.env.TEST_DATABASE_URL = url;
  process.env.TEST_REDIS_URL = BASE_REDIS_URL;
  process.env.TEST_REDIS_PREFIX = `gwtest:${runId}:`;
}
