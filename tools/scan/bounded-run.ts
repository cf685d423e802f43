import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../harness';

export interface BoundedRun {
  /** Exit code; null when killed by a signal or when the command could not start. */
  code: number | null;
  /** The whole of stdout and stderr (or why the command could not start). */
  output: string;
  timedOut: boolean;
  seconds: number;
  /** Set when the command could not be started (not installed, not executable). */
  error?: Error;
}

/**
 * Runs a scanner with a wall-clock limit, in its own process group (harness `startProcess`), its
 * output kept whole in a temporary file. At the limit it gets SIGINT (sqlmap and wapiti treat it as a
 * user abort and still print their summaries), then SIGKILL 10 s later.
 */
export async function runBounded(
  command: string,
  args: string[],
  { timeoutSeconds, cwd, env }: { timeoutSeconds: number; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<BoundedRun> {
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'gw-scan-run-'));
  const logFile = join(dir, 'output.log');
  try {
    let child;
    try {
      child = await startProcess({ name: command, command, args, cwd, env, logFile });
    } catch (error) {
      return { code: null, output: String(error), timedOut: false, seconds: seconds(), error: error as Error };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void child.stop({ signal: 'SIGINT', graceMs: 10_000 });
    }, timeoutSeconds * 1000);
    const exit = await child.exited;
    clearTimeout(timer);
    return { code: exit.code, output: readFileSync(logFile, 'utf8'), timedOut, seconds: seconds() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
