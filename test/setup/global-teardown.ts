import { rmSync } from 'node:fs';
import { deleteKeysWithPrefix, dropDatabase, stopProcessGroup } from '../../tools/harness';

export default async function globalTeardown(): Promise<void> {
  const { TEST_ADMIN_DATABASE_URL, TEST_DATABASE_NAME, TEST_REDIS_URL, TEST_REDIS_PREFIX } = process.env;
  const embeddedPid = Number(process.env.TEST_EMBEDDED_PG_PID);
  const privateRedisPid = Number(process.env.TEST_PRIVATE_REDIS_PID);
  if (embeddedPid) {
    // The whole cluster goes, and its database with it.
    await stopProcessGroup(embeddedPid, 'SIGINT', 20_000);
    if (process.env.TEST_EMBEDDED_PG_DIR) rmSync(process.env.TEST_EMBEDDED_PG_DIR, { recursive: true, force: true });
  } else if (TEST_ADMIN_DATABASE_URL && TEST_DATABASE_NAME) {
    await dropDatabase(TEST_ADMIN_DATABASE_URL, TEST_DATABASE_NAME);
  }
  if (privateRedisPid) {
    await stopProcessGroup(privateRedisPid, 'SIGKILL', 5000);
    if (process.env.TEST_PRIVATE_REDIS_DIR)
      rmSync(process.env.TEST_PRIVATE_REDIS_DIR, { recursive: true, force: true });
  } else if (TEST_REDIS_PREFIX && TEST_REDIS_URL) await deleteKeysWithPrefix(TEST_REDIS_URL, TEST_REDIS_PREFIX);
}
