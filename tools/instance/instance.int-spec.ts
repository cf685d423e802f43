import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { databaseExists, isAlive, ROOT, waitFor } from '../harness';
import { InstanceState, readState, stateFile } from './state';

const run = promisify(execFile);

/** The instance CLI as scripts/start-instance.sh and stop-instance.sh run it (needs `npm run build`). */
const instanceCli = (args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string }> =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/instance/cli.ts'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 150_000,
  });

describe('throwaway scan instance (tools/instance/cli.ts)', () => {
  const parent = mkdtempSync(join(tmpdir(), 'gw-instance-spec-'));
  const dir = join(parent, 'instance');
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL!;
  const env = { ...process.env, SCAN_ADMIN_DATABASE_URL: adminUrl, REDIS_URL: process.env.TEST_REDIS_URL };
  let state: InstanceState | undefined;

  afterAll(async () => {
    // Only when the test failed before its own stop: never leave the instance running.
    if (existsSync(stateFile(dir))) await instanceCli(['stop', dir], env).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
  });

  it('start leaves a ready instance with a logged-in user and admin running after it exits; stop ends every process, drops the database and removes the folder', async () => {
    const { stdout } = await instanceCli(['start', '--state-dir', dir], env);
    const vars = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => /^([A-Z_]+)=(.*)$/.exec(line)!.slice(1, 3)),
    );
    expect(Object.keys(vars)).toEqual([
      'GW_INSTANCE_DIR',
      'SCAN_TARGET_URL',
      'SCAN_BEARER_TOKEN',
      'SCAN_ADMIN_TOKEN',
      'SCAN_REFRESH_TOKEN',
    ]);
    expect(vars.GW_INSTANCE_DIR).toBe(dir);
    state = readState(dir);
    expect(statSync(stateFile(dir)).mode & 0o777).toBe(0o600);
    expect(state).toMatchObject({ migrated: true, ready: true, url: vars.SCAN_TARGET_URL });
    const pids = Object.values(state.pids);
    expect(pids.length).toBeGreaterThanOrEqual(2); // gateway and provider, and redis-server when on PATH
    expect(pids.every(isAlive)).toBe(true);
    expect(await databaseExists(adminUrl, state.database)).toBe(true);

    expect((await fetch(`${vars.SCAN_TARGET_URL}/health/ready`)).status).toBe(200);
    for (const [token, role] of [
      [vars.SCAN_BEARER_TOKEN, 'user'],
      [vars.SCAN_ADMIN_TOKEN, 'admin'],
    ]) {
      const me = await fetch(`${vars.SCAN_TARGET_URL}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ role, email: state.users?.[role as 'user' | 'admin']?.email });
    }

    await instanceCli(['stop', dir], env);
    await waitFor('every instance process gone', () => !pids.some(isAlive), { timeoutMs: 15_000 });
    expect(await databaseExists(adminUrl, state.database)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 300_000);
});
