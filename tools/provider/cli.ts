/**
 * The stand-in provider as its own process (for instances started by the gate and scans):
 *   tsx tools/provider/cli.ts --port N     with STUB_PROVIDER_API_KEY in the environment
 * (the key stays off the command line, where other users could read it). With
 * STUB_PROVIDER_WEBHOOK_URL and STUB_PROVIDER_WEBHOOK_SECRET set too, a fifth of the charges answer
 * `pending` and settle 2 s later by a signed webhook to that URL.
 */
import { parseArgs } from 'node:util';
import { startStubProvider } from './stub-provider';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' } }, strict: true });
  const port = Number(values.port ?? process.env.STUB_PROVIDER_PORT);
  const apiKey = process.env.STUB_PROVIDER_API_KEY ?? '';
  if (!Number.isInteger(port) || port <= 0 || apiKey.length < 16) {
    process.stderr.write(
      'stub-provider: --port (or STUB_PROVIDER_PORT) and STUB_PROVIDER_API_KEY (16+ chars) are required\n',
    );
    process.exit(2);
  }
  const webhookUrl = process.env.STUB_PROVIDER_WEBHOOK_URL;
  const webhookSecret = process.env.STUB_PROVIDER_WEBHOOK_SECRET;
  const provider = await startStubProvider({
    port,
    apiKey,
    ...(webhookUrl && webhookSecret
      ? { pendingRatio: 0.2, webhook: { url: webhookUrl, secrets: [webhookSecret] } }
      : {}),
  });
  process.stdout.write(`stub-provider listening on ${provider.port}\n`);
  const stop = (): void => void provider.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`stub-provider: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
