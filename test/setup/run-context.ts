import { DEFAULT_ADMIN_DATABASE_URL, DEFAULT_REDIS_URL } from '../../tools/harness';

/**
 * Where the real services are. DATABASE_URL / REDIS_URL when set; otherwise the machine's own
 * PostgreSQL and Redis on their default ports, and when nothing answers there global-setup
 * starts an embedded PostgreSQL and a private redis-server for the run.
 */
export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;
export const BASE_REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
