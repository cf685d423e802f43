import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';

/** The repository root (tools/harness/ is two levels down). */
export const ROOT = join(__dirname, '../..');

/** Where a machine's own PostgreSQL is expected when nothing else is said (CI and the test suite). */
export const DEFAULT_ADMIN_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Database names are built by tools, never typed by users; anything else is refused. */
export function assertDatabaseName(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe database name: ${JSON.stringify(name)}`);
  return name;
}

/** Role names are built by tools too; the same rule as database names. */
export function assertRoleName(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe role name: ${JSON.stringify(name)}`);
  return name;
}

/** `base` with its database (path) replaced by `name`; credentials, host and query are kept. */
export function databaseUrlFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${assertDatabaseName(name)}`;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export type ConnectResult = 'ok' | 'unreachable' | 'auth-failed';

/** Tries one login at `url`: 'ok', 'auth-failed' (the server answered but refused the login), or 'unreachable'. */
export async function tryConnect(url: string, timeoutMs = 2000): Promise<ConnectResult> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A refused or reset connection also emits 'error'; connect() rejects with the same error.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === '28P01' || code === '28000' ? 'auth-failed' : 'unreachable';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether a PostgreSQL server accepts a login at `url` within `timeoutMs`. */
export async function canConnect(url: string, timeoutMs = 2000): Promise<boolean> {
  return (await tryConnect(url, timeoutMs)) === 'ok';
}

export async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  return withClient(adminUrl, async (c) => {
    const result = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [assertDatabaseName(name)]);
    return result.rowCount === 1;
  });
}

/** Creates database `name` through the server at `adminUrl`; returns the new database's URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${assertDatabaseName(name)}"`));
  return databaseUrlFor(adminUrl, name);
}

/** Drops database `name`, disconnecting anyone still on it; no error when it does not exist. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${assertDatabaseName(name)}" WITH (FORCE)`));
}

/** The role the migrations create and grant; the gateway's login role is a member of it. */
export const RUNTIME_ROLE = 'gateway_runtime';

/** A login role the gateway runs as: a member of gateway_runtime and nothing else. */
export interface RuntimeLogin {
  role: string;
  password: string;
}

/**
 * Creates a fresh LOGIN role `role` with a random password, member of gateway_runtime only (no
 * superuser, no ownership, no grant of its own), through `adminUrl`: the way an operator sets up
 * the gateway's role (docs/deployment.md). gateway_runtime exists once a database of this cluster
 * has been migrated, so call this after `migrate`. Drop it with `dropRole`.
 */
export async function createRuntimeLogin(adminUrl: string, role: string): Promise<RuntimeLogin> {
  const password = randomBytes(24).toString('hex');
  const name = assertRoleName(role);
  await withClient(adminUrl, async (c) => {
    await c.query(`CREATE ROLE "${name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
    await c.query(`GRANT ${RUNTIME_ROLE} TO "${name}"`);
  });
  return { role: name, password };
}

/** `databaseUrl` logged in as `login` instead of its own user; host, database and query are kept. */
export function runtimeUrl(databaseUrl: string, login: RuntimeLogin): string {
  const url = new URL(databaseUrl);
  url.username = login.role;
  url.password = login.password;
  return url.toString();
}

/**
 * Drops role `role` (its sessions are ended first); no error when it does not exist. A runtime
 * login owns nothing and holds no grant of its own, so nothing else has to go first.
 */
export async function dropRole(adminUrl: string, role: string): Promise<void> {
  const name = assertRoleName(role);
  await withClient(adminUrl, async (c) => {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    await c.query(`DROP ROLE IF EXISTS "${name}"`);
  });
}

/**
 * Applies the committed migrations to `databaseUrl` the project's normal way
 * (`prisma migrate deploy`), as that URL's user: the table owner. The caller's environment is
 * passed on, so an engine chosen with PRISMA_SCHEMA_ENGINE_BINARY is honoured; nothing here
 * chooses one. MIGRATION_DATABASE_URL is set too, so one in the caller's environment never
 * redirects the migration.
 */
export function migrate(databaseUrl: string, { root = ROOT }: { root?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      join(root, 'node_modules/.bin/prisma'),
      ['migrate', 'deploy'],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl, MIGRATION_DATABASE_URL: databaseUrl },
        timeout: 120_000,
        maxBuffer: 4 << 20,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`prisma migrate deploy failed: ${stderr || stdout || error.message}`));
        else resolve();
      },
    );
  });
}
