import { spawnSync } from 'node:child_process';
import { ROOT, withClient } from '../harness';
import { toolVersion } from '../scan/tool-version';
import { GateContext } from './context';

export interface Versions {
  node: string;
  postgres: string | null;
  redis: string | null;
  wapiti: string | null;
  sqlmap: string | null;
  zap: string;
}

export interface Signoff {
  date: string;
  commit: string;
  passed: boolean;
  tickedCount: number;
  versions: Versions;
}

/** The first line a command prints, or null when it fails. */
export function firstLine(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? null;
}

/** HEAD, marked when tracked files differ from it (the gate's own reports/ outputs do not count). */
export function gitCommit(): string {
  const head = firstLine('git', ['-C', ROOT, 'rev-parse', 'HEAD']);
  if (!head) return 'unknown';
  const dirty = spawnSync(
    'git',
    ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!reports'],
    {
      encoding: 'utf8',
    },
  );
  return `${head}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`;
}

async function postgresVersion(adminDatabaseUrl: string): Promise<string | null> {
  try {
    return await withClient(adminDatabaseUrl, async (c) => {
      const result = await c.query<{ server_version: string }>('SHOW server_version');
      return result.rows[0]?.server_version ?? null;
    });
  } catch {
    return null;
  }
}

/** The versions the sign-off names: from the scan's summary where it ran, from the tools otherwise. */
export async function collectVersions(ctx: GateContext, adminDatabaseUrl: string): Promise<Versions> {
  const tools = ctx.scan?.summary?.tools ?? {};
  return {
    node: process.version,
    postgres: await postgresVersion(adminDatabaseUrl),
    redis: /v=(\S+)/.exec(firstLine('redis-server', ['--version']) ?? '')?.[1] ?? null,
    wapiti: tools.wapiti ?? toolVersion('wapiti'),
    sqlmap: tools.sqlmap ?? toolVersion('sqlmap'),
    zap: tools.zap ?? 'not used (no Docker engine)',
  };
}
