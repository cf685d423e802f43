/**
 * The middle test tier: one or more controllers in a Nest testing module, with fake services, behind
 * the same HTTP edge as production (Fastify, our JSON parser, the /v1 prefix, the validation pipe,
 * the problem filter) and the same global auth guards (deny by default, `@Public()`, `@Roles()`). Nothing here needs PostgreSQL, Redis or a port:
 * requests go through Fastify's `inject`. See docs/development.md for which tier a test belongs to.
 */
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { applyRoutePrefix, ERROR_MAPPERS } from '../../src/app.factory';
import { loadEnvironment, type Env } from '../../src/platform/config/environment';
import { validVariables } from '../../src/platform/config/environment.fixture';
import { ProblemDetailsFilter } from '../../src/platform/problems/problem-details.filter';
import { registerJsonBodyParser } from '../../src/platform/validation/json-body';
import { requestIdFor } from '../../src/platform/validation/request-id';
import { createValidationPipe } from '../../src/platform/validation/validation.pipe';
import { AUTH_GUARDS } from '../../src/features/auth/auth-guards';
import type { Identity } from '../../src/features/auth/identity/identity-cache';
import { UserIdentities } from '../../src/features/auth/identity/user-identities';
import { AccessTokenService } from '../../src/features/auth/tokens/access-token.service';
import { tokensConfig } from '../../src/features/auth/tokens/tokens.config';

/** UserIdentities without PostgreSQL or Redis: the identities a spec put in, nothing cached. */
export class FakeIdentities {
  readonly byId = new Map<string, Identity>();

  add(identity: Identity): Identity {
    this.byId.set(identity.id, identity);
    return identity;
  }

  cached(): Identity | undefined {
    return undefined;
  }

  get(userId: string): Promise<Identity | null> {
    return Promise.resolve(this.byId.get(userId) ?? null);
  }

  invalidate(userId: string): Promise<void> {
    this.byId.delete(userId);
    return Promise.resolve();
  }
}

export interface ControllerApp {
  app: NestFastifyApplication;
  env: Env;
  identities: FakeIdentities;
  /** A signed access token for `identity` (added to the fake identities), as the real service issues it. */
  tokenFor(identity: Identity): Promise<string>;
  /** One request through the whole edge; the body parsed as JSON when there is one. */
  request(options: {
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    url: string;
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> | undefined }>;
  close(): Promise<void>;
}

/**
 * `controllers` with `providers` (the fakes of their services) behind the global auth guards, with
 * the real AccessTokenService (a random key) and FakeIdentities for them.
 */
export async function controllerApp(options: {
  controllers: Type[];
  providers: Provider[];
  imports?: (Type | DynamicModule)[];
}): Promise<ControllerApp> {
  const env = loadEnvironment(validVariables());
  const identities = new FakeIdentities();
  const moduleRef = await Test.createTestingModule({
    imports: options.imports ?? [],
    controllers: options.controllers,
    providers: [
      ...options.providers,
      { provide: tokensConfig.KEY, useValue: tokensConfig.select(env) },
      AccessTokenService,
      { provide: UserIdentities, useValue: identities },
      ...AUTH_GUARDS,
    ],
  }).compile();
  const adapter = new FastifyAdapter({ genReqId: requestIdFor, logger: false });
  registerJsonBodyParser(adapter.getInstance(), env.BODY_LIMIT_BYTES);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, { logger: false, bodyParser: false });
  applyRoutePrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(ERROR_MAPPERS));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const tokens = app.get(AccessTokenService);
  return {
    app,
    env,
    identities,
    async tokenFor(identity) {
      identities.add(identity);
      return (await tokens.issue(identity)).token;
    },
    async request({ method, url, token, body, headers = {} }) {
      const response = await app.inject({
        method,
        url,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
      };
    },
    close: () => app.close(),
  };
}
