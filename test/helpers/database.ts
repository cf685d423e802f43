import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, migrate, runtimeUrl } from '../../tools/harness';

export interface ScratchDatabase {
  /** As the run's runtime login role (member of gateway_runtime): what gateways connect with. */
  url: string;
  /** As the table owner. */
  ownerUrl: string;
  drop: () => Promise<void>;
}

/** This run's database as the table owner (test/setup/global-setup.ts). */
export function ownerDatabaseUrl(): string {
  return process.env.TEST_OWNER_DATABASE_URL as string;
}

/** `databaseUrl` (a database of this run) as the run's runtime login role. */
export function asRuntimeRole(databaseUrl: string): string {
  const runtime = new URL(process.env.TEST_DATABASE_URL as string);
  return runtimeUrl(databaseUrl, {
    role: decodeURIComponent(runtime.username),
    password: decodeURIComponent(runtime.password),
  });
}

/**
 * A freshly migrated database of the suite's own (named after the run, so global-teardown removes
 * it even if the suite dies). For suites whose background workers would otherwise act on other
 * suites' rows in the shared run database (payment reconciliation).
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL as string;
  const name = `${process.env.TEST_DATABASE_NAME}_s${randomBytes(4).toString('hex')}`;
  const ownerUrl = await createDatabase(adminUrl, name);
  await migrate(ownerUrl);
  return { url: asRuntimeRole(ownerUrl), ownerUrl, drop: () => dropDatabase(adminUrl, name) };
}
