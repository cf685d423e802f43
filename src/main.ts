import 'reflect-metadata';
import { createApp } from './app.factory';
import { EnvironmentError, loadEnvironment, type Env } from './config/environment';
import { secretValueRedactor } from './secrets/redaction';

/** A fatal start-up message as one JSON line on stderr, with every configured secret masked. */
function fatal(message: string, env: Partial<Env> = {}): never {
  const redact = secretValueRedactor({ ...process.env, ...env } as Record<string, unknown>);
  process.stderr.write(redact(JSON.stringify({ level: 'fatal', time: Date.now(), msg: message })) + '\n');
  process.exit(1);
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
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fatal(message.startsWith('Refusing to start') ? message : `Refusing to start: ${message}`, env);
  }
}

void bootstrap();
