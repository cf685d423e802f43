import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ROOT } from './processes';
import { spawnGuarded, stopProcess } from './guarded-process';

export interface BackendStat {
  name: string;
  /** UP, DOWN, MAINT, ... as HAProxy's health checks see the instance. */
  status: string;
  /** Requests sent to it so far (health checks excluded). */
  requests: number;
}

/** A real HAProxy (Debian's package) on a free port, configured from deploy/haproxy.cfg. */
export class HaProxy {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get socket(): string {
    return join(this.dir, 'admin.sock');
  }

  static async start(backendPorts: [number, number], checkIntervalMs = 250): Promise<HaProxy> {
    const proxy = new HaProxy(await freePort(), mkdtempSync(join(tmpdir(), 'gw-haproxy-')));
    const config = readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8')
      .replaceAll('{{STATS_SOCKET}}', proxy.socket)
      .replaceAll('{{BIND}}', `127.0.0.1:${proxy.port}`)
      .replaceAll('{{CHECK_INTERVAL_MS}}', String(checkIntervalMs))
      .replaceAll('{{PORT_1}}', String(backendPorts[0]))
      .replaceAll('{{PORT_2}}', String(backendPorts[1]));
    const file = join(proxy.dir, 'haproxy.cfg');
    writeFileSync(file, config);
    proxy.child = spawnGuarded('/usr/sbin/haproxy', ['-db', '-f', file]);
    const collect = (chunk: Buffer): void => {
      proxy.output += chunk.toString('utf8');
    };
    proxy.child.stdout?.on('data', collect);
    proxy.child.stderr?.on('data', collect);
    for (let i = 0; ; i++) {
      if (proxy.child.exitCode !== null) throw new Error(`haproxy exited: ${proxy.output}`);
      if (
        await proxy.stats().then(
          () => true,
          () => false,
        )
      )
        break;
      if (i > 200) {
        await proxy.destroy();
        throw new Error(`haproxy did not start: ${proxy.output}`);
      }
      await sleep(100);
    }
    return proxy;
  }

  /** One runtime-API command on the stats socket. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socket);
      let out = '';
      socket.on('data', (chunk) => (out += chunk.toString('utf8')));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.write(`${line}\n`);
    });
  }

  /** The backend servers, as HAProxy sees them now. */
  async stats(): Promise<BackendStat[]> {
    const csv = await this.command('show stat');
    const [header = '', ...rows] = csv.trim().split('\n');
    const cols = header.replace(/^# /, '').split(',');
    const at = (row: string[], name: string): string => row[cols.indexOf(name)] ?? '';
    return rows
      .map((line) => line.split(','))
      .filter(
        (row) => at(row, 'pxname') === 'gateway_instances' && !['BACKEND', 'FRONTEND'].includes(at(row, 'svname')),
      )
      .map((row) => ({ name: at(row, 'svname'), status: at(row, 'status'), requests: Number(at(row, 'stot')) }));
  }

  /** Waits until `predicate` holds for the backend stats (bounded). */
  async waitFor(predicate: (stats: BackendStat[]) => boolean, what: string, timeoutMs = 30000): Promise<BackendStat[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (predicate(stats)) return stats;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(stats)}`);
      await sleep(50);
    }
  }

  async destroy(): Promise<void> {
    await stopProcess(this.child);
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
