import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { applyRoutePrefix } from '../../app.factory';
import { AppModule } from '../../app.module';
import { loadEnvironment } from '../config/environment';
import { createOpenApiDocument } from './openapi-document';

/**
 * The OpenAPI document the gateway publishes, built without a database, Redis or provider: Nest's
 * preview mode builds the module graph and routes but instantiates no provider, so nothing
 * connects. Throwaway secrets satisfy the boot check; none of them appears in the document. Used
 * by the exporter (`npm run lint:openapi`) and by the test suites' response checks.
 */
export async function previewOpenApiDocument(): Promise<OpenAPIObject> {
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
  // `logger: false` replaces Nest's process-wide logger: put back the one a running app set.
  const shared = Logger as unknown as { staticInstanceRef?: unknown; logLevels?: unknown };
  const saved = { instance: shared.staticInstanceRef, levels: shared.logLevels };
  try {
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), new FastifyAdapter(), {
      preview: true,
      logger: false,
      abortOnError: false,
    });
    applyRoutePrefix(app);
    const document = createOpenApiDocument(app);
    await app.close();
    return document;
  } finally {
    shared.staticInstanceRef = saved.instance;
    shared.logLevels = saved.levels;
  }
}
