/**
 * The bench's cleanups (stop a server, drop the database, unlink the Redis keys): run once,
 * newest first, on success, failure, SIGINT or SIGTERM. A failing cleanup is reported and the
 * others still run. (Process groups started through tools/harness are also SIGKILLed by the
 * harness if the bench exits before their cleanup ran.)
 */
export class Cleanups {
  private readonly steps: { label: string; fn: () => unknown }[] = [];
  private running?: Promise<void>;

  constructor(private readonly report: (line: string) => void) {}

  add(label: string, fn: () => unknown): void {
    this.steps.push({ label, fn });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.fn();
        } catch (error) {
          this.report(`cleanup "${step.label}" failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

const cleanups = new Cleanups((line) => void process.stderr.write(`bench: ${line}\n`));

export const onCleanup = (label: string, fn: () => unknown): void => cleanups.add(label, fn);

export const runCleanups = (): Promise<void> => cleanups.run();

/** On SIGINT or SIGTERM: run the cleanups, then exit 130. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}
