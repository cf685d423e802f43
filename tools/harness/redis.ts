import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './ports';
import { ManagedProcess, startProcess } from './processes';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether `redis-server` is on PATH. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The one line to print when `redis-server` is missing. */
export const REDIS_SERVER_MISSING =
  'redis-server was not found on PATH: install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL';

/** A key prefix unique to one run and purpose: `<scope>:<id>:`. */
export function keyPrefix(scope: string, id: string): string {
  if (!/^[\w-]+$/.test(scope) || !/^[\w-]+$/.test(id)) throw new Error(`bad key prefix parts: ${scope}, ${id}`);
  return `${scope}:${id}:`;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, never KEYS). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Answers PONG at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export interface PrivateRedisOptions {
  password?: string;
  /** Keep data here across restarts (RDB snapshots); a throwaway temp folder otherwise. */
  dataDir?: string;
  port?: number;
  /** The server's output goes to this file (see `StartOptions.logFile`). */
  logFile?: string;
  /**
   * Keep the server running after this Node process exits (a throwaway scan instance stopped later
   * by pid, see tools/instance/); needs `logFile`.
   */
  outliveParent?: boolean;
}

/**
 * A private `redis-server` on a free 127.0.0.1 port (for passwords, outages, restarts and
 * `npm run dev`). The password goes in a 0600 config file, never on a command line.
 */
export class PrivateRedis {
  private server?: ManagedProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly throwaway: boolean,
    private readonly password?: string,
    private readonly processOptions: Pick<PrivateRedisOptions, 'logFile' | 'outliveParent'> = {},
  ) {}

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const throwaway = !options.dataDir;
    const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gw-redis-'));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const redis = new PrivateRedis(options.port ?? (await freePort()), dir, throwaway, options.password, {
      logFile: options.logFile,
      outliveParent: options.outliveParent,
    });
    await redis.start();
    return redis;
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  url(password = this.password): string {
    return password
      ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${this.port}`
      : `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and data folder. */
  async start(): Promise<void> {
    const persistence = this.throwaway ? ['save ""', 'appendonly no'] : ['save 60 1', 'appendonly no'];
    const conf = join(this.dir, 'redis.conf');
    const lines = [`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, ...persistence];
    if (this.password) lines.push(`requirepass ${this.password}`);
    writeFileSync(conf, `${lines.join('\n')}\n`, { mode: 0o600 });
    this.server = await startProcess({
      name: 'redis-server',
      command: 'redis-server',
      args: [conf],
      ready: { output: /Ready to accept connections/ },
      timeoutMs: 15_000,
      ...this.processOptions,
    });
  }

  /** Kills the server at once (an outage, as a crash would look). */
  async stop(): Promise<void> {
    await this.server?.stop({ signal: 'SIGKILL', graceMs: 5000 });
    this.server = undefined;
  }

  /** Saves the data set (when kept) and exits, as on a normal shutdown. */
  async shutdown(): Promise<void> {
    await this.server?.stop({ signal: 'SIGTERM', graceMs: 10_000 });
    this.server = undefined;
  }

  /** Stops the server and removes its folder when it was a throwaway one. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.throwaway) rmSync(this.dir, { recursive: true, force: true });
  }
}
