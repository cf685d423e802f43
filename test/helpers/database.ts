import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, migrate } from '../../tools/harness';

export interface ScratchDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A freshly migrated database of the suite's own (named after the run, so global-teardown removes
 * it even if the suite dies). For suites whose background workers would otherwise act on other
 * suites' rows in the shared run database (payment reconciliation).
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL as string;
  const name = `${process.env.TEST_DATABASE_NAME}_s${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  await migrate(url);
  return { url, drop: () => dropDatabase(adminUrl, name) };
}
