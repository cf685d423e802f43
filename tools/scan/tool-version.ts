import { spawnSync } from 'node:child_process';

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The version a tool prints (its first x.y[.z...] token), its first line if none, null when it does not run. */
export function toolVersion(command: string, args: string[] = ['--version']): string | null {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (run.error || run.status !== 0) return null;
  const text = `${run.stdout}\n${run.stderr}`.replace(ANSI_COLOUR, '');
  return /(\d+\.\d+(\.\d+)?[^\s]*)/.exec(text)?.[1] ?? text.trim().split('\n')[0] ?? null;
}

/** Whether a Docker *engine* answers (`docker info`), not merely the client being installed. */
export function dockerEngineAvailable(): boolean {
  const info = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 });
  return !info.error && info.status === 0;
}
