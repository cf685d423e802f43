import { METHOD_METADATA } from '@nestjs/common/constants';
import type { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { isPublicRoute } from '../http/public.decorator';
import { ErrorCode } from '../problems/problem-catalog';
import { codesByStatus, problemResponse } from './problem-responses';

type Json = Record<string, unknown>;

const PROBLEM_SCHEMAS: Record<string, Json> = {
  FieldError: {
    type: 'object',
    additionalProperties: false,
    required: ['field', 'message'],
    properties: {
      field: { type: 'string', maxLength: 256, pattern: '^[^\\u0000-\\u001f]*$', example: 'amount' },
      message: { type: 'string', maxLength: 512, pattern: '^[^\\u0000-\\u001f]*$', example: 'must be an integer' },
    },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details. Never carries a stack trace, SQL or a secret.',
    additionalProperties: false,
    required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'],
    properties: {
      type: { type: 'string', format: 'uri', maxLength: 128, example: 'urn:problem-type:gateway:validation-failed' },
      title: { type: 'string', maxLength: 64, pattern: '^[ -~]*$', example: 'Validation Failed' },
      status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 400 },
      detail: {
        type: 'string',
        maxLength: 512,
        pattern: '^[^\\u0000-\\u001f]*$',
        example: 'The request is not valid.',
      },
      instance: { type: 'string', maxLength: 2048, pattern: '^/', example: '/v1/payments' },
      code: { type: 'string', enum: Object.values(ErrorCode), example: 'VALIDATION_FAILED' },
      requestId: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
      errors: { type: 'array', maxItems: 20, items: { $ref: '#/components/schemas/FieldError' } },
      truncated: { type: 'boolean', description: 'true when `errors` was cut to its first entries' },
    },
  },
};

const int = { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 };
const RATE_LIMIT_HEADERS: Record<string, Json> = {
  RateLimit: {
    description: 'IETF RateLimit fields of the tightest limit: `limit=N, remaining=N, reset=S`',
    schema: { type: 'string', maxLength: 128, pattern: '^[ -~]*$' },
  },
  'RateLimit-Policy': {
    description: 'IETF RateLimit-Policy of every limit that applies: `N;w=S`',
    schema: { type: 'string', maxLength: 128, pattern: '^[ -~]*$' },
  },
  'X-RateLimit-Limit': { description: 'Requests allowed in the window', schema: int },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: int },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: int },
};
const RETRY_AFTER = { description: 'Whole seconds to wait before retrying', schema: { ...int, minimum: 1 } };

function operations(document: OpenAPIObject): Array<{ path: string; method: string; operation: Json }> {
  const out: Array<{ path: string; method: string; operation: Json }> = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = (item as Record<string, Json | undefined>)[method];
      if (operation) out.push({ path, method, operation });
    }
  }
  return out;
}

/** Closes every object schema a request body refers to: unknown fields are refused (400). */
function closeRequestSchemas(document: OpenAPIObject, seen = new Set<string>()): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Json>;
  const close = (schema: Json | undefined): void => {
    if (!schema || typeof schema !== 'object') return;
    const ref = schema.$ref as string | undefined;
    if (ref) {
      const name = ref.split('/').pop() as string;
      if (seen.has(name)) return;
      seen.add(name);
      close(schemas[name]);
      return;
    }
    if (schema.type === 'object' || schema.properties) schema.additionalProperties = false;
    for (const child of Object.values((schema.properties ?? {}) as Record<string, Json>)) close(child);
    close(schema.items as Json | undefined);
  };
  for (const { operation } of operations(document)) {
    const body = operation.requestBody as { content?: Record<string, { schema?: Json }> } | undefined;
    for (const media of Object.values(body?.content ?? {})) close(media.schema);
  }
}

function addProblems(responses: Record<string, Json>, codes: ErrorCode[], headers: Json = {}): void {
  for (const [status, grouped] of codesByStatus(codes)) {
    const key = String(status);
    if (responses[key]) continue; // a route's own @ApiProblems() entry is more precise
    responses[key] = { ...problemResponse(grouped), ...(Object.keys(headers).length ? { headers } : {}) };
  }
}

/**
 * Bounds that follow from a schema's own format: a UUID is exactly 36 characters, an ISO 8601
 * timestamp at most 35, and every integer this API exchanges fits in 32 bits (amounts are at most
 * 100000000, pages and limits are small).
 */
function boundByFormat(schema: Json | undefined): void {
  if (!schema || typeof schema !== 'object') return;
  if (schema.type === 'string' && schema.format === 'uuid') Object.assign(schema, { minLength: 36, maxLength: 36 });
  if (schema.type === 'string' && schema.format === 'date-time') schema.maxLength ??= 35;
  if (schema.type === 'integer') schema.format ??= 'int32';
  for (const child of Object.values((schema.properties ?? {}) as Record<string, Json>)) boundByFormat(child);
  boundByFormat(schema.items as Json | undefined);
}

function boundSchemas(document: OpenAPIObject): void {
  for (const schema of Object.values((document.components?.schemas ?? {}) as Record<string, Json>))
    boundByFormat(schema);
  for (const { operation } of operations(document)) {
    for (const parameter of (operation.parameters ?? []) as Json[]) {
      // Every `:id` in this API is a UUID (anything else is a 400 naming `id`).
      if (parameter.in === 'path' && parameter.name === 'id') {
        parameter.schema = { ...((parameter.schema as Json) ?? {}), type: 'string', format: 'uuid' };
      }
      boundByFormat(parameter.schema as Json | undefined);
    }
  }
}

/** The security scheme of access tokens (see openApiConfig). */
export const BEARER_SCHEME = 'bearer';

/** `<Controller>_<method>`: Nest's default operation id, spelled out so publicOperationIds can rely on it. */
function operationIdOf(controllerName: string, methodKey: string): string {
  return `${controllerName}_${methodKey}`;
}

/**
 * The operation ids of every route the global auth guard lets through without a token: read from
 * the same `@Public()` metadata the guard reads.
 */
export function publicOperationIds(app: INestApplication): Set<string> {
  const reflector = new Reflector();
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (let proto = controller.prototype as object | null; proto && proto !== Object.prototype;) {
        for (const key of Object.getOwnPropertyNames(proto)) {
          const handler = (proto as Record<string, unknown>)[key];
          if (key === 'constructor' || typeof handler !== 'function') continue;
          if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
          if (isPublicRoute(reflector, handler as Type, controller)) ids.add(operationIdOf(controller.name, key));
        }
        proto = Object.getPrototypeOf(proto) as object | null;
      }
    }
  }
  return ids;
}

/**
 * Deny by default, documented: every operation except the `@Public()` ones requires a bearer
 * token; the public ones keep only their own schemes (the webhook's provider signature).
 */
function applyAccessTokenSecurity(document: OpenAPIObject, publicIds: ReadonlySet<string>): void {
  for (const { operation } of operations(document)) {
    const own = ((operation.security as Record<string, string[]>[] | undefined) ?? []).filter(
      (requirement) => !(BEARER_SCHEME in requirement),
    );
    const isPublic = publicIds.has(String(operation.operationId));
    const security = isPublic ? own : [{ [BEARER_SCHEME]: [] }, ...own];
    if (security.length > 0) operation.security = security;
    else delete operation.security;
  }
}

/**
 * Adds what every route shares but Nest's scanner cannot see: bearer security on every route that
 * is not `@Public()` (`publicIds`), the problem+json schema, the answers of the global guards, pipe,
 * parsers and filter, and the RateLimit headers. Derived from what each operation declares, so a
 * new route is documented truthfully without repeating them.
 */
export function completeOpenApiDocument(document: OpenAPIObject, publicIds: ReadonlySet<string>): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { ...PROBLEM_SCHEMAS, ...(document.components.schemas ?? {}) };
  applyAccessTokenSecurity(document, publicIds);
  for (const { path, method, operation } of operations(document)) {
    const responses = (operation.responses ?? {}) as Record<string, Json>;
    operation.responses = responses;
    const rateLimited = path.startsWith('/v1/');
    const hasBody = operation.requestBody !== undefined;
    const hasInput = hasBody || ((operation.parameters as unknown[] | undefined) ?? []).length > 0;
    const secured = ((operation.security as unknown[] | undefined) ?? []).length > 0;
    const pathParams = ((operation.parameters as Json[] | undefined) ?? []).some((p) => p.in === 'path');
    const shared: ErrorCode[] = [];
    if (hasInput) shared.push(ErrorCode.VALIDATION_FAILED);
    // A write that a database constraint refuses (a unique or foreign key the request collides
    // with) answers 409 CONFLICT naming the field (src/platform/database/constraint-violations.ts).
    if (method !== 'get') shared.push(ErrorCode.CONFLICT);
    // A path parameter longer than the router's limit is refused before any route code runs.
    if (pathParams) shared.push(ErrorCode.URI_TOO_LONG);
    if (secured) shared.push(ErrorCode.UNAUTHORIZED);
    if (hasBody) shared.push(ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    addProblems(responses, shared);
    if (rateLimited) {
      addProblems(responses, [ErrorCode.RATE_LIMITED], { 'Retry-After': RETRY_AFTER, ...RATE_LIMIT_HEADERS });
      addProblems(responses, [ErrorCode.SERVICE_UNAVAILABLE], { 'Retry-After': RETRY_AFTER });
      addProblems(responses, [ErrorCode.INTERNAL_ERROR]);
      for (const [status, response] of Object.entries(responses)) {
        if (/^[24]\d\d$/.test(status))
          response.headers = { ...RATE_LIMIT_HEADERS, ...((response.headers as Json) ?? {}) };
      }
    }
  }
  closeRequestSchemas(document);
  boundSchemas(document);
  return document;
}

export function openApiConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('Hardened API gateway')
    .setDescription(
      'Payments and admin API. Every error is application/problem+json (RFC 9457); the `code` field is stable.',
    )
    .setVersion('1')
    .addTag('health', 'Liveness and readiness probes for load balancers and orchestrators')
    .addTag('auth', 'Login, refresh-token rotation, logout and the current identity')
    .addTag('payments', 'Idempotent payments charged through the payment provider')
    .addTag('admin', 'User administration (admin role only)')
    .addTag('webhooks', 'Signed events from the payment provider (no bearer token: the provider signs)')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Provider-Signature',
        description:
          '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one or more `v1` entries, keyed with PAYMENT_PROVIDER_WEBHOOK_SECRET',
      },
      'providerSignature',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Access token from POST /v1/auth/login: HS256 JWT with iss, aud, exp, iat, sub and jti checked (RFC8725 best current practices: one algorithm, typed, audience-bound, short-lived). Every operation requires it unless its `security` says otherwise.',
      },
      BEARER_SCHEME,
    )
    .build();
}

/** The whole document, as served at /docs-json and linted in `npm run lint`. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, openApiConfig(), { operationIdFactory: operationIdOf });
  return completeOpenApiDocument(document, publicOperationIds(app));
}
