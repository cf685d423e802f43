import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isEmail } from 'class-validator';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Every response an e2e suite gets from a gateway is checked against the OpenAPI document the
 * gateway publishes (`/docs-json`, built by the same `createOpenApiDocument`): its status must be
 * documented for the operation, and its body must match the documented schema for its media type
 * (a problem or the success shape). The check runs inside the shared request helper (`http()` in
 * test/helpers/app.ts), so an undocumented status or a schema mismatch fails the test that made
 * the request. Schemas are checked by Ajv (JSON Schema, with ajv-formats for `uuid`, `date-time`,
 * `uri`..., and `idn-email` with class-validator's isEmail, the check the edge applies); nothing
 * here re-implements a validator.
 *
 * Requests to paths the document does not describe (unknown routes, probe modules of a suite)
 * are checked only when they fail: any 4xx/5xx JSON answer must still be a documented Problem.
 */

/** Base URLs of gateways under test (startApp, startBuiltServer); other servers are not checked. */
const gateways = new Set<string>();
export const registerGateway = (baseUrl: string): void => void gateways.add(baseUrl.replace(/\/$/, ''));
export const isGateway = (baseUrl: string): boolean => gateways.has(baseUrl.replace(/\/$/, ''));

type Json = Record<string, unknown>;

const documentFile = (): string => join(tmpdir(), `gw-openapi-${process.env.TEST_RUN_ID ?? `pid${process.pid}`}.json`);

/**
 * Builds the document as the gateway does (Nest's preview mode: no provider connects) into this
 * run's file. Global setup calls it once, so the workers only read the file.
 */
export async function prepareOpenApiDocument(): Promise<OpenAPIObject> {
  // Loaded here, not at the top: suites that never check a response do not load the application.
  const { previewOpenApiDocument } = await import('../../src/platform/openapi/preview-document');
  const document = await previewOpenApiDocument();
  const file = documentFile();
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(document));
  renameSync(partial, file);
  return document;
}

/** Removes this run's document file (global teardown). */
export function removeOpenApiDocument(): void {
  rmSync(documentFile(), { force: true });
}

async function buildDocument(): Promise<OpenAPIObject> {
  const file = documentFile();
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as OpenAPIObject;
  return prepareOpenApiDocument();
}

interface Contract {
  document: OpenAPIObject;
  ajv: Ajv;
  operations: { method: string; template: string; regex: RegExp; operation: Json; pointer: string }[];
  validators: Map<string, ValidateFunction>;
}

let contract: Promise<Contract> | undefined;

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

async function loadContract(): Promise<Contract> {
  const document = await buildDocument();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Emails may be internationalized (a UTF-8 local part, an IDN domain): the same check as the edge's @IsEmail().
  ajv.addFormat('idn-email', (value: string) => isEmail(value));
  ajv.addSchema(document as unknown as Json, 'openapi.json');
  const operations: Contract['operations'] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
      const operation = (item as Record<string, Json | undefined>)[method];
      if (!operation) continue;
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${source}/?$`),
        operation,
        pointer: `openapi.json#/paths/${escapePointer(template)}/${method}`,
      });
    }
  }
  return { document, ajv, operations, validators: new Map() };
}

function validator(c: Contract, ref: string): ValidateFunction {
  let v = c.validators.get(ref);
  if (!v) {
    v = c.ajv.compile({ $ref: ref });
    c.validators.set(ref, v);
  }
  return v;
}

export interface ObservedResponse {
  status: number;
  contentType: string | null;
  body: unknown;
  text: string;
}

/** Why `response` to `method path` does not match the document, or undefined when it does. */
export async function contractViolation(
  method: string,
  pathWithQuery: string,
  response: ObservedResponse,
): Promise<string | undefined> {
  const c = await (contract ??= loadContract());
  let path = pathWithQuery.split('?')[0]!.split('#')[0]!;
  try {
    path = decodeURI(path);
  } catch {
    // a deliberately malformed path: matched as sent
  }
  const verb = method.toUpperCase();
  const what = `${verb} ${pathWithQuery.slice(0, 120)} -> ${response.status}`;
  const op =
    c.operations.find((o) => o.method === verb && o.regex.test(path)) ??
    (verb === 'HEAD' ? c.operations.find((o) => o.method === 'GET' && o.regex.test(path)) : undefined);
  const media = response.contentType?.split(';')[0]!.trim().toLowerCase() ?? null;

  if (!op) {
    // Not a documented operation: an error must still be the documented problem shape.
    if (response.status < 400 || !response.text || media !== 'application/problem+json') {
      return response.status >= 400 && response.text && media !== 'application/problem+json'
        ? `${what}: an error answered as ${media ?? 'no content type'}, not application/problem+json`
        : undefined;
    }
    return schemaViolation(c, 'openapi.json#/components/schemas/Problem', response.body, what);
  }

  const responses = (op.operation.responses ?? {}) as Record<string, Json>;
  const key = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find((k) => responses[k]);
  if (!key) {
    return `${what}: status ${response.status} is not documented for ${op.method} ${op.template} (documented: ${Object.keys(responses).join(', ')})`;
  }
  if (verb === 'HEAD' || !response.text) return undefined;
  const content = responses[key]!.content as Record<string, Json> | undefined;
  if (!content) return undefined; // documented without a body schema
  if (!media || !content[media]) {
    return `${what}: media type ${media ?? '(none)'} is not documented for ${op.method} ${op.template} ${key} (documented: ${Object.keys(content).join(', ')})`;
  }
  if (!content[media].schema) return undefined;
  const ref = `${op.pointer}/responses/${escapePointer(key)}/content/${escapePointer(media)}/schema`;
  return schemaViolation(c, ref, response.body, `${what} (${op.method} ${op.template})`);
}

function schemaViolation(c: Contract, ref: string, body: unknown, what: string): string | undefined {
  const validate = validator(c, ref);
  if (validate(body)) return undefined;
  const errors = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
  return `${what}: the body does not match the documented schema: ${errors}`;
}

/** Throws (failing the calling test) when a gateway's response does not match its OpenAPI document. */
export async function expectDocumented(
  baseUrl: string,
  method: string,
  path: string,
  response: ObservedResponse,
): Promise<void> {
  if (!isGateway(baseUrl)) return;
  const violation = await contractViolation(method, path, response);
  if (violation) throw new Error(`OpenAPI contract: ${violation}`);
}
