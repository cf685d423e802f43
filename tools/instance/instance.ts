import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDatabase,
  createRuntimeLogin,
  dropDatabase,
  dropRole,
  freePorts,
  isAlive,
  keyPrefix,
  migrate,
  PrivateRedis,
  randomToken,
  redisServerAvailable,
  ROOT,
  runId,
  runtimeUrl,
  startProcess,
  stopProcessGroup,
} from '../harness';
import { gatewayEnvironment, InstanceOptions } from './options';
import { InstanceState, InstanceUser, readState, Role, stateFile, writeState } from './state';

type Log = (line: string) => void;

const MAIN_JS = join(ROOT, 'dist/main.js');
const CREATE_USER_JS = join(ROOT, 'dist/features/users/cli/create-user.js');

/** A new instance's state in `dir` (created 0700, default a fresh temp folder), written before anything starts. */
export function createInstanceState(options: InstanceOptions, dir?: string): InstanceState {
  if (!existsSync(MAIN_JS)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'gw-instance-'));
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const id = runId();
  const state: InstanceState = {
    id,
    dir: folder,
    database: `gw_scan_${id}`,
    adminDatabaseUrl: options.adminDatabaseUrl,
    pids: {},
    migrated: false,
    ready: false,
  };
  writeState(state);
  return state;
}

/** Runs user:create (the built CLI) with the password on stdin, without blocking this process's event loop. */
function createUser(env: NodeJS.ProcessEnv, email: string, role: Role, password: string): Promise<string> {
  if (!existsSync(CREATE_USER_JS))
    return Promise.resolve('skipped: dist/features/users/cli/create-user.js does not exist');
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CREATE_USER_JS, '--email', email, '--role', role],
      { env, encoding: 'utf8', timeout: 30_000 },
      (error, _stdout, stderr) => {
        if (!error) return resolve('created');
        const code = typeof error.code === 'number' ? error.code : (error.signal ?? error.code);
        resolve(`failed (exit ${code}): ${(stderr || error.message).slice(0, 300)}`);
      },
    );
    child.stdin?.end(`${password}\n`);
  });
}

/**
 * Logs in once. A request that got no answer at all (a kept-alive socket the server had just
 * closed) is sent again on a new connection; any answer, even a refusal, is final.
 */
async function login(url: string, email: string, password: string): Promise<Partial<InstanceUser>> {
  const send = (): Promise<Response> =>
    fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(15_000),
    });
  let res: Response;
  try {
    res = await send();
  } catch {
    res = await send();
  }
  if (res.status !== 200) return { error: `login answered ${res.status}` };
  const body = (await res.json()) as { accessToken: string; refreshToken: string };
  return { accessToken: body.accessToken, refreshToken: body.refreshToken };
}

/**
 * Brings the instance of `state` up: a new database, migrated; a private redis-server with a
 * random password (so NODE_ENV=production's credential rule holds) when redis-server is on PATH,
 * else `fallbackRedisUrl`; the stand-in provider; `node dist/main.js` on free 127.0.0.1 ports with
 * random secrets and DOCS_ENABLED=true; then a user and an admin, both logged in. `state` (and
 * state.json) is updated after every step, so a failure can be torn down with `stopInstance`.
 * Process output goes to DIR/redis.log, provider.log and gateway.log.
 */
export async function launchInstance(state: InstanceState, options: InstanceOptions, log: Log): Promise<void> {
  const { dir, id } = state;
  const [redisPort, providerPort, port] = await freePorts(3);
  if (redisPort === undefined || providerPort === undefined || port === undefined) {
    throw new Error('freePorts(3) answered fewer than three ports');
  }
  const ownerUrl = await createDatabase(state.adminDatabaseUrl, state.database);
  writeState(state);
  await migrate(ownerUrl);
  state.migrated = true;
  writeState(state);
  // The gateway runs as its own login role, a member of gateway_runtime only (as in production,
  // where the boot check refuses the owner); it is dropped with the database.
  state.runtimeRole = `${state.database}_rt`;
  writeState(state);
  const databaseUrl = runtimeUrl(ownerUrl, await createRuntimeLogin(state.adminDatabaseUrl, state.runtimeRole));
  log(`database ${state.database} created and migrated; the gateway runs as role ${state.runtimeRole}`);

  let redisUrl = options.fallbackRedisUrl;
  let nodeEnv: 'production' | 'development' = 'production';
  if (redisServerAvailable()) {
    const redis = await PrivateRedis.start({
      password: randomToken(24),
      port: redisPort,
      logFile: join(dir, 'redis.log'),
      outliveParent: options.outliveParent,
    });
    state.pids.redis = redis.pid;
    state.redisDir = redis.dir;
    redisUrl = redis.url();
  } else if (!new URL(options.fallbackRedisUrl).password) {
    nodeEnv = 'development';
    log('redis-server not found and REDIS_URL has no password: running with NODE_ENV=development');
  }
  writeState(state);

  const providerKey = randomToken(32);
  const provider = await startProcess({
    name: 'stub-provider',
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'tools/provider/cli.ts')],
    cwd: ROOT,
    // The key stays off the command line, where other users could read it.
    env: { PATH: process.env.PATH, STUB_PROVIDER_PORT: String(providerPort), STUB_PROVIDER_API_KEY: providerKey },
    logFile: join(dir, 'provider.log'),
    outliveParent: options.outliveParent,
    ready: { output: /stub-provider listening/ },
    timeoutMs: 60_000,
  });
  state.pids.provider = provider.pid;
  writeState(state);

  const env = gatewayEnvironment({
    path: process.env.PATH,
    nodeEnv,
    port,
    databaseUrl,
    redisUrl,
    keyPrefix: keyPrefix('gwscan', id),
    providerUrl: `http://127.0.0.1:${providerPort}`,
    providerKey,
    jwtSecret: randomToken(48),
    pepper: randomToken(48),
    productionLimits: options.productionLimits,
  });
  const url = `http://127.0.0.1:${port}`;
  state.url = url;
  state.secrets = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_ACCESS_SECRET: env.JWT_ACCESS_SECRET!,
    REFRESH_TOKEN_PEPPER: env.REFRESH_TOKEN_PEPPER!,
    PAYMENT_PROVIDER_API_KEY: providerKey,
  };
  writeState(state);
  const gateway = await startProcess({
    name: 'gateway',
    command: process.execPath,
    args: [MAIN_JS],
    cwd: ROOT,
    env,
    logFile: join(dir, 'gateway.log'),
    outliveParent: options.outliveParent,
    ready: {
      probe: async () => (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) })).status === 200,
    },
    timeoutMs: 60_000,
  });
  state.pids.gateway = gateway.pid;
  state.ready = true;
  writeState(state);
  log(`gateway ready at ${url}`);

  state.users = {};
  for (const role of ['user', 'admin'] as const) {
    const email = `scan-${role}-${id}@example.test`.toLowerCase();
    const password = randomToken(18);
    const created = await createUser(env, email, role, password);
    const entry: InstanceUser = { email, password, created };
    if (created === 'created') Object.assign(entry, await login(url, email, password));
    state.users[role] = entry;
    log(`${role}: ${created}${entry.accessToken ? ', logged in' : entry.error ? `, ${entry.error}` : ''}`);
  }
  writeState(state);
}

/**
 * Stops the instance described by DIR/state.json (gateway first: it holds the database and Redis
 * connections), drops its database and removes DIR, or with `keepLogs` only state.json, which
 * holds the secrets and passwords and is never left behind.
 */
export async function stopInstance(
  dir: string,
  { keepLogs = false, log }: { keepLogs?: boolean; log: Log },
): Promise<void> {
  if (!existsSync(stateFile(dir))) throw new Error(`no state.json in ${dir}`);
  const state = readState(dir);
  for (const name of ['gateway', 'provider', 'redis'] as const) {
    const pid = state.pids[name];
    if (pid && isAlive(pid)) await stopProcessGroup(pid, 'SIGTERM', 10_000);
  }
  await dropDatabase(state.adminDatabaseUrl, state.database);
  if (state.runtimeRole) await dropRole(state.adminDatabaseUrl, state.runtimeRole);
  if (state.redisDir) rmSync(state.redisDir, { recursive: true, force: true });
  if (keepLogs) rmSync(stateFile(dir), { force: true });
  else rmSync(dir, { recursive: true, force: true });
  log(
    `stopped instance ${state.id} and dropped ${state.database}${state.runtimeRole ? ` and ${state.runtimeRole}` : ''}${keepLogs ? `; logs kept in ${dir}` : ''}`,
  );
}
