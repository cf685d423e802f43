import { execFileSync, ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from './processes';
import { spawnGuarded, stopProcess, waitForOutput } from './guarded-process';

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A real PgBouncer (Debian's package) on a free port, in transaction mode, configured from
 * deploy/pgbouncer.ini with `ignore_startup_parameters` as operators set it. It refuses to run as
 * root, so it runs as `postgres` from a private directory that user owns.
 */
export class PgBouncer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(options: { users: string[]; poolSize?: number; pgPort?: number }): Promise<PgBouncer> {
    const dir = mkdtempSync(join(tmpdir(), 'gw-pgbouncer-'));
    const bouncer = new PgBouncer(await freePort(), dir);
    const authFile = join(dir, 'userlist.txt');
    writeFileSync(authFile, options.users.map((u) => `"${u}" ""`).join('\n') + '\n');
    const config = readFileSync(join(ROOT, 'deploy/pgbouncer.ini'), 'utf8')
      .replaceAll('{{PG_PORT}}', String(options.pgPort ?? 5432))
      .replaceAll('{{PORT}}', String(bouncer.port))
      .replaceAll('{{AUTH_TYPE}}', 'trust')
      .replaceAll('{{AUTH_FILE}}', authFile)
      .replaceAll('{{POOL_SIZE}}', String(options.poolSize ?? 5));
    const configFile = join(dir, 'pgbouncer.ini');
    writeFileSync(configFile, config);
    const { uid, gid } = postgresIds();
    for (const path of [dir, authFile, configFile]) chownSync(path, uid, gid);
    try {
      await bouncer.launch(configFile);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return bouncer;
  }

  private async launch(configFile: string): Promise<void> {
    const args = ['-u', 'postgres', configFile];
    this.child = spawnGuarded('/usr/sbin/pgbouncer', args);
    await waitForOutput(this.child, /process up|listening on/i, 'pgbouncer');
  }

  /** A URL through the pooler for `user` to `database` (no password: the test's server trusts loopback). */
  url(user: string, database: string): string {
    return `postgresql://${encodeURIComponent(user)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  async destroy(): Promise<void> {
    await stopProcess(this.child);
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
