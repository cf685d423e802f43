import { rmSync } from 'node:fs';
import { deleteKeysWithPrefix, dropDatabase, dropRole, stopProcessGroup, withClient } from '../../tools/harness';

export default async function globalTeardown(): Promise<void> {
  const { TEST_ADMIN_DATABASE_URL, TEST_DATABASE_NAME, TEST_RUNTIME_ROLE, TEST_REDIS_URL, TEST_REDIS_PREFIX } =
    process.env;
  const embeddedPid = Number(process.env.TEST_EMBEDDED_PG_PID);
  const privateRedisPid = Number(process.env.TEST_PRIVATE_REDIS_PID);
  if (embeddedPid) {
    // The whole cluster goes, and its database with it.
    await stopProcessGroup(embeddedPid, 'SIGINT', 20_000);
    if (process.env.TEST_EMBEDDED_PG_DIR) rmSync(process.env.TEST_EMBEDDED_PG_DIR, { recursive: true, force: true });
  } else if (TEST_ADMIN_DATABASE_URL && TEST_DATABASE_NAME) {
    await dropDatabase(TEST_ADMIN_DATABASE_URL, TEST_DATABASE_NAME);
    // Scratch databases of suites that needed their own (test/helpers/database.ts).
    const scratch = await withClient(TEST_ADMIN_DATABASE_URL, (c) =>
      c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [
        `${TEST_DATABASE_NAME}_s`,
      ]),
    );
    for (const { datname } of scratch.rows) await dropDatabase(TEST_ADMIN_DATABASE_URL, datname);
    // The run's login role (roles are cluster-wide: it would outlive its databases).
    if (TEST_RUNTIME_ROLE) await dropRole(TEST_ADMIN_DATABASE_URL, TEST_RUNTIME_ROLE);
  }
  if (privateRedisPid) {
    await stopProcessGroup(privateRedisPid, 'SIGKILL', 5000);
    if (process.env.TEST_PRIVATE_REDIS_DIR)
      rmSync(process.env.TEST_PRIVATE_REDIS_DIR, { recursive: true, force: true });
  } else if (TEST_REDIS_PREFIX && TEST_REDIS_URL) await deleteKeysWithPrefix(TEST_REDIS_URL, TEST_REDIS_PREFIX);
}
