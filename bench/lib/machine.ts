import { execFileSync } from 'node:child_process';
import os from 'node:os';
import Redis from 'ioredis';
import { withClient } from '../../tools/harness';
import { BASE_DATABASE_URL, BASE_REDIS_URL, ROOT } from './servers';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  loadAverageAtStart: number[];
  os: string;
  node: string;
  postgres: string;
  redis: string;
  commit: string;
  branch: string;
  dirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** What the numbers were measured on; recorded with every result. */
export async function machineInfo(): Promise<Machine> {
  const postgres = await withClient(
    BASE_DATABASE_URL,
    async (pg) =>
      (await pg.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown',
  );
  const redis = new Redis(BASE_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  redis.disconnect();
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    redis: redisVersion,
    commit: git(['rev-parse', 'HEAD']),
    branch: git(['rev-parse', '--abbrev-ref', 'HEAD']),
    // Uncommitted changes to tracked sources (the bench's own result files do not count).
    dirty:
      git([
        'status',
        '--porcelain',
        '--untracked-files=no',
        '--',
        '.',
        ':(exclude)bench/results',
        ':(exclude)bench/promoted',
      ]) !== '',
  };
}
