import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, TSX } from './servers';

export interface ProbeResult {
  samples: number[];
  failures: number;
}

export interface Probe {
  /** Starts probing now; resolves with the latencies once `durationMs` has passed. */
  go(): Promise<ProbeResult>;
}

/**
 * Starts a latency probe process (bench/lib/probe-child.ts) for GET `url` at `ratePerSecond` and
 * resolves once it is loaded and waiting, so that go() starts it at once, beside the load.
 */
export function startProbe(url: string, durationMs: number, ratePerSecond: number): Promise<Probe> {
  const child = spawn(
    process.execPath,
    [
      ...TSX,
      join(__dirname, 'probe-child.ts'),
      '--url',
      url,
      '--duration-ms',
      String(durationMs),
      '--rate',
      String(ratePerSecond),
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const failed = (what: string): Error => new Error(`latency probe ${what}: ${stderr.trim()}`);
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      if (!stdout.startsWith('ready\n')) return;
      child.stdout.off('data', onReady);
      stdout = '';
      resolve({
        go: async () => {
          child.stdin.end('go\n');
          const code = await exited;
          if (code !== 0) throw failed(`exited with ${code}`);
          return JSON.parse(stdout) as ProbeResult;
        },
      });
    };
    child.stdout.on('data', onReady);
    exited.then(
      (code) => reject(failed(`exited with ${code} before it was ready`)),
      (error: unknown) => reject(failed(`could not start (${String(error)})`)),
    );
  });
}
