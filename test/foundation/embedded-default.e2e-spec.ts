import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes';
import { must } from '../helpers/must';

/** Runs `argv` in a fresh network namespace where nothing listens on 127.0.0.1 (Linux, root). */
function runIsolated(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer): void => void (output += chunk.toString('utf8'));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const hasCommand = (name: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
// A network namespace needs root, `unshare` (util-linux) and `ip` (iproute2): all present on the project's machines.
const asRoot = process.getuid?.() === 0 && hasCommand('unshare') && hasCommand('ip') ? it : it.skip;

/**
 * `npm test` with no PostgreSQL and no Redis on the machine: global setup falls back to an
 * embedded PostgreSQL and a private redis-server, the suites pass, teardown leaves nothing behind.
 * A network namespace makes 127.0.0.1:5432 and :6379 unreachable without stopping the machine's
 * own servers (other suites use them meanwhile).
 */
describe('the test suite with no PostgreSQL or Redis running', () => {
  asRoot(
    'uses an embedded PostgreSQL and a private redis-server, passes, and stops both',
    async () => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' };
      if (process.env.PRISMA_SCHEMA_ENGINE_BINARY)
        env.PRISMA_SCHEMA_ENGINE_BINARY = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
      const jest = join(ROOT, 'node_modules/.bin/jest');
      const suites = [
        'test/foundation/health.e2e-spec.ts',
        'src/platform/rate-limit/fallback-throttler.storage.int-spec.ts',
      ];
      const run = await runIsolated([jest, '--ci', '--runTestsByPath', ...suites], env, 240_000);

      expect(run.output).toMatch(/using an embedded PostgreSQL on port \d+/);
      expect(run.output).toMatch(/using a private redis-server on port \d+/);
      const summary = /^tests: (\d+) passed, (\d+) failed/m.exec(run.output);
      expect({ code: run.code, failed: summary?.[2] }).toEqual({ code: 0, failed: '0' });
      expect(Number(summary?.[1])).toBeGreaterThan(0);

      // Teardown stopped the cluster and removed its folder.
      const dir = must(/embedded PostgreSQL on port \d+ in (\S+)/.exec(run.output)?.[1], 'the embedded folder');
      expect(existsSync(dir)).toBe(false);
      expect(() => execFileSync('pgrep', ['-f', dir])).toThrow();
    },
    300_000,
  );
});
