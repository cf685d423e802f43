import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, PrivateRedis, startProcess, waitFor } from '../../tools/harness';
import { registerGateway } from './openapi-contract';
import { startApp, type TestApp } from './app';

export { freePort, PrivateRedis } from '../../tools/harness';

export const ROOT = join(__dirname, '../..');

export interface ServerRun {
  code: number | null;
  output: string;
}

/**
 * Runs the built server (`node dist/main.js`) with exactly `env` (plus PATH) until it exits or
 * `untilOutput` appears in its output; in the second case it is stopped with SIGTERM.
 */
export function runBuiltServer(
  env: Record<string, string>,
  options: { untilOutput?: RegExp; timeoutMs?: number } = {},
): Promise<ServerRun & { stopped: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 45_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (options.untilOutput && !stopped && options.untilOutput.test(output)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stopped });
    });
  });
}

export interface BuiltServer {
  url: string;
  output: () => string;
  /** SIGTERM, then wait for the exit (Nest re-raises the signal after closing: code null, signal SIGTERM). */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (a crash, an OOM kill): no shutdown hook runs. Resolves once the process is gone. */
  kill: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/main.js` on a free port and resolves once it answers /health/live. */
export async function startBuiltServer(
  env: Record<string, string>,
  timeoutMs = 45_000,
  fixedPort?: number,
): Promise<BuiltServer> {
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const server = await startProcess({
    name: 'built server',
    command: process.execPath,
    args: [join(ROOT, 'dist/main.js')],
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    // Ready means answering: liveness is up as soon as the listener is.
    ready: { probe: () => fetch(`${url}/health/live`).then((r) => r.ok) },
    timeoutMs,
  });
  registerGateway(url);
  return {
    url,
    output: () => server.output(),
    stop: () => server.stop({ graceMs: 15_000 }),
    kill: () => server.stop({ signal: 'SIGKILL', graceMs: 0 }),
  };
}

/**
 * Waits until `/health/ready` answers 200. Liveness comes first; readiness follows once the
 * database and Redis connections are up, which on a loaded machine can take a few probes.
 */
export async function waitForReady(url: string, timeoutMs = 20_000): Promise<void> {
  let last = 'no answer';
  await waitFor(
    'readiness',
    async () => {
      const res = await fetch(`${url}/health/ready`);
      last = `${res.status} ${await res.text()}`;
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch(() => {
    throw new Error(`/health/ready did not answer 200 within ${timeoutMs} ms; last answer: ${last}`);
  });
}

/**
 * A gateway on a Redis of its own, for a suite that stops and restarts Redis under it: both start
 * before the suite's tests and stop after them. Read `gw` and `redis` inside the tests.
 */
export function appOnPrivateRedis(overrides: Record<string, string> = {}): { gw: TestApp; redis: PrivateRedis } {
  const suite = {} as { gw: TestApp; redis: PrivateRedis };
  beforeAll(async () => {
    suite.redis = await PrivateRedis.start();
    suite.gw = await startApp({ ...overrides, REDIS_URL: suite.redis.url() });
  });
  afterAll(async () => {
    await suite.gw?.close();
    await suite.redis?.destroy();
  });
  return suite;
}
