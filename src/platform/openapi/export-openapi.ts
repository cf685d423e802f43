import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { applyRoutePrefix } from '../../app.factory';
import { AppModule } from '../../app.module';
import { loadEnvironment } from '../config/environment';
import { createOpenApiDocument } from './openapi-document';

/**
 * Writes the OpenAPI document without a database, Redis or provider: Nest's preview mode builds
 * the module graph and routes but instantiates no provider, so nothing connects. Throwaway
 * secrets satisfy the boot check; none of them appears in the document.
 *
 *   node dist/platform/openapi/export-openapi.js [out.json]     (stdout without a path)
 */
async function main(): Promise<void> {
  const secret = (): string => randomBytes(32).toString('base64url');
  const env = loadEnvironment({
    NODE_ENV: 'development',
    DATABASE_URL: 'postgresql://preview@127.0.0.1:1/preview',
    REDIS_URL: 'redis://127.0.0.1:1',
    JWT_ACCESS_SECRET: secret(),
    REFRESH_TOKEN_PEPPER: secret(),
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:1',
    PAYMENT_PROVIDER_API_KEY: secret(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  applyRoutePrefix(app);
  const json = JSON.stringify(createOpenApiDocument(app), null, 2) + '\n';
  const out = process.argv[2];
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi export failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
