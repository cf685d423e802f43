import 'reflect-metadata';
import './platform/runtime/heap-growth-at-start';
import type { AddressInfo } from 'node:net';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { docsEnabled, EnvironmentError, loadEnvironment, type Env } from './platform/config/environment';
import { listenForProbes } from './platform/http/probe-listener';
import { secretValueRedactor } from './platform/secrets/redaction';

/** A fatal start-up message as one JSON line on stderr, with every configured secret masked. */
function fatal(message: string, env: Partial<Env> = {}): never {
  const redact = secretValueRedactor({ ...process.env, ...env } as Record<string, unknown>);
  process.stderr.write(redact(JSON.stringify({ level: 'fatal', time: Date.now(), msg: message })) + '\n');
  process.exit(1);
}

/** One line an operator can act on: where it listens and where the probes and docs are. */
function listeningMessage(address: string | AddressInfo | null, env: Env): string {
  const where =
    address && typeof address === 'object'
      ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : `${env.HOST}:${env.PORT}`;
  const docs = docsEnabled(env) ? `, docs ${where}/docs` : '';
  return `Gateway listening on ${where}: API under /v1, probes /health/live and /health/ready${docs}`;
}

async function bootstrap(): Promise<void> {
  let env: Env;
  try {
    env = loadEnvironment(process.env);
  } catch (error) {
    fatal(error instanceof EnvironmentError ? error.message : 'Refusing to start: configuration could not be read.');
  }
  try {
    const app = await createApp(env);
    await app.listen({ port: env.PORT, host: env.HOST });
    app.get(Logger).log(listeningMessage(app.getHttpServer().address(), env), 'Bootstrap');
    if (env.PROBE_PORT !== undefined) {
      const probes = await listenForProbes(app.getHttpServer(), env.PROBE_PORT, env.HOST);
      const { port } = probes.address() as AddressInfo;
      app.get(Logger).log(`Probes also on port ${port}: /health/live and /health/ready`, 'Bootstrap');
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fatal(message.startsWith('Refusing to start') ? message : `Refusing to start: ${message}`, env);
  }
}

void bootstrap();
