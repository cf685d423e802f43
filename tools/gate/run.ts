import { ROOT, startProcess } from '../harness';

/**
 * Runs a command from the repository root in its own process group (harness `startProcess`), its
 * output streamed to stderr; resolves with its exit code (null: it could not start or was killed).
 */
export async function runStreaming(command: string, args: string[]): Promise<{ code: number | null; seconds: number }> {
  const started = Date.now();
  try {
    const child = await startProcess({
      name: command,
      command,
      args,
      cwd: ROOT,
      onOutput: (chunk) => void process.stderr.write(chunk),
    });
    const { code } = await child.exited;
    return { code, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return { code: null, seconds: (Date.now() - started) / 1000 };
  }
}
