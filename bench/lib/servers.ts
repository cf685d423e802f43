import { join } from 'node:path';
import {
  createDatabase,
  createRuntimeLogin,
  DEFAULT_ADMIN_DATABASE_URL,
  DEFAULT_REDIS_URL,
  deleteKeysWithPrefix,
  dropDatabase,
  dropRole,
  freePort,
  migrate,
  ROOT,
  runtimeUrl,
  startProcess,
} from '../../tools/harness';
import { onCleanup } from './cleanup';

export { ROOT };

/** The servers the bench uses: DATABASE_URL / REDIS_URL, else the machine's own on the default ports. */
export const BASE_DATABASE_URL = process.env.DATABASE_URL || DEFAULT_ADMIN_DATABASE_URL;
export const BASE_REDIS_URL = process.env.REDIS_URL || DEFAULT_REDIS_URL;

/** The built gateway, as `npm run build` leaves it. */
export const GATEWAY_SCRIPT = join(ROOT, 'dist/main.js');

export interface Database {
  name: string;
  /** As the run's login role, a member of gateway_runtime: what the gateways and peers connect with. */
  url: string;
  /** As the table owner (for the bench's own scratch tables). */
  ownerUrl: string;
}

/**
 * Creates `gw_bench_<id>`, migrates it with `prisma migrate deploy` as the owner, creates the
 * run's login role `gw_bench_<id>_rt` (member of gateway_runtime), and registers both drops.
 */
export async function freshDatabase(runId: string): Promise<Database> {
  const name = `gw_bench_${runId}`;
  const ownerUrl = await createDatabase(BASE_DATABASE_URL, name);
  onCleanup(`drop database ${name}`, () => dropDatabase(BASE_DATABASE_URL, name));
  // PRISMA_SCHEMA_ENGINE_BINARY (and anything else Prisma reads) comes from the caller's environment.
  await migrate(ownerUrl);
  const login = await createRuntimeLogin(BASE_DATABASE_URL, `${name}_rt`);
  onCleanup(`drop role ${login.role}`, () => dropRole(BASE_DATABASE_URL, login.role));
  return { name, url: runtimeUrl(ownerUrl, login), ownerUrl };
}

/** Registers removal of every key under `prefix` on the shared Redis. */
export function cleanRedisPrefixOnExit(prefix: string): void {
  onCleanup(`unlink redis keys ${prefix}*`, () => deleteKeysWithPrefix(BASE_REDIS_URL, prefix));
}

/** Node flags that run a TypeScript entry point (a peer, the control server, the probe). */
export const TSX = ['--import', 'tsx'];

export interface ServerOptions {
  label: string;
  /** The entry point: `dist/main.js`, or a `.ts` file (run through tsx). */
  script: string;
  env: Record<string, string | undefined>;
  readyPath: string;
  nodeArgs?: string[];
}

export interface Server {
  label: string;
  url: string;
  port: number;
  /** The Node process itself (the leader of its process group): its CPU time is what is measured. */
  pid: number;
  stop(): Promise<void>;
  /** The tail of its stderr. */
  stderr(): string;
}

/**
 * Starts a Node process (the built gateway, a peer, the control server) in its own process group
 * with exactly `env` (plus PATH, PORT and HOST), waits until `readyPath` answers 200, and registers
 * its termination. Its stdout (request logs) goes to /dev/null, so neither a pipe that backs up nor
 * reading it costs the load generator anything; stderr is kept for errors.
 */
export async function spawnServer({ label, script, env, readyPath, nodeArgs = [] }: ServerOptions): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startProcess({
    name: label,
    command: process.execPath,
    args: [...nodeArgs, ...(script.endsWith('.ts') ? TSX : []), script],
    cwd: ROOT,
    env: { PATH: process.env.PATH || '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    discardStdout: true,
    ready: {
      probe: async () => {
        const response = await fetch(url + readyPath);
        await response.arrayBuffer();
        return response.status === 200;
      },
    },
    timeoutMs: 90_000,
  });
  let stopping = false;
  // A server that dies mid-scenario (a crash, or a signal from outside) is said at once, with its stderr.
  void child.exited.then(({ code, signal }) => {
    if (stopping) return;
    process.stderr.write(
      `bench: ${label} (pid ${child.pid}) exited unexpectedly (${code ?? signal}):\n${child.output().slice(-2000)}\n`,
    );
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    await child.stop({ signal: 'SIGTERM', graceMs: 10_000 });
  };
  onCleanup(`stop ${label}`, stop);
  return { label, url, port, pid: child.pid, stop, stderr: () => child.output() };
}
