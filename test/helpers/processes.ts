import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

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
    }, options.timeoutMs ?? 15000);
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

/** A private redis-server on a free port (for passwords, outages and restarts). */
export class PrivateRedis {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));

  private constructor(
    readonly port: number,
    private readonly password?: string,
  ) {}

  static async start(options: { password?: string } = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options.password);
    await redis.start();
    return redis;
  }

  url(password = this.password): string {
    return password
      ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${this.port}`
      : `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
    ];
    if (this.password) args.push('--requirepass', this.password);
    this.child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000);
      this.child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child!.on('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface BuiltServer {
  url: string;
  output: () => string;
  /** SIGTERM, then wait for the exit (Nest re-raises the signal after closing: code null, signal SIGTERM). */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/main.js` on a free port and resolves once it answers /health/live. */
export async function startBuiltServer(
  env: Record<string, string>,
  timeoutMs = 15000,
  fixedPort?: number,
): Promise<BuiltServer> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitCode: number | null | undefined;
  void exited.then(({ code }) => (exitCode = code));
  // Ready means answering: poll liveness until the listener is up (or the process died).
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${output}`);
    }
    const up = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
