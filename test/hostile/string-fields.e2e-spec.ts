import { randomBytes, randomUUID } from 'node:crypto';
import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import fc from 'fast-check';
import { signatureHeader } from '../../src/features/payments/webhooks/webhook-signature';
import { createOpenApiDocument } from '../../src/platform/openapi/openapi-document';
import { CODE_POINT_LENGTH, codePointCount } from '../../src/platform/validation/code-points';
import { createSignedInUser, createUser, login, randomEmail, randomPassword, SignedInUser } from '../auth/fixtures';
import { http, HttpResult, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { ProviderStandIn } from '../helpers/provider-stand-in';

/**
 * No string a client can send makes the gateway answer 500: every string field of every route
 * (found in the OpenAPI document, not listed by hand) gets maximal strings of astral characters,
 * combining marks, variation selectors and mixes, at its limit and one over, plus NUL and unpaired
 * surrogates. Each answer must be 2xx or 4xx, and a 4xx must be problem+json.
 */

type Json = Record<string, unknown>;
type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  $ref?: string;
  maxLength?: number;
  minLength?: number;
  enum?: unknown[];
  format?: string;
};

/** Where a string field lives in a request. */
interface StringField {
  operation: string;
  location: 'body' | 'query' | 'path';
  /** Dotted for nested body fields (`data.id`). */
  name: string;
  maxLength: number;
  minLength: number;
}

/** A request the test can send, with one field replaced. */
interface Baseline {
  path: Record<string, string>;
  query: Record<string, string>;
  body?: Json;
  headers?: () => Record<string, string>;
  token?: string;
  /** The webhook route signs the exact bytes it sends. */
  sign?: boolean;
}

const WEBHOOK = 'POST /v1/webhooks/payment-provider';
/** Fields with no maxLength (UUIDs, enums) are tried at this many code points. */
const UNBOUNDED_TRY = 256;

function resolve(document: OpenAPIObject, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return document.components?.schemas?.[name] as Schema | undefined;
}

function stringFieldsOf(
  document: OpenAPIObject,
  operation: string,
  schema: Schema | undefined,
  prefix = '',
): StringField[] {
  const resolved = resolve(document, schema);
  const out: StringField[] = [];
  for (const [name, raw] of Object.entries(resolved?.properties ?? {})) {
    const property = resolve(document, raw)!;
    const dotted = prefix ? `${prefix}.${name}` : name;
    if (property.type === 'string') {
      out.push({
        operation,
        location: 'body',
        name: dotted,
        maxLength: property.maxLength ?? UNBOUNDED_TRY,
        minLength: property.minLength ?? 0,
      });
    } else if (property.type === 'object' || property.properties) {
      out.push(...stringFieldsOf(document, operation, property, dotted));
    }
  }
  return out;
}

/** Every string field of every operation: body properties (nested too), query and path parameters. */
function stringFields(document: OpenAPIObject): StringField[] {
  const fields: StringField[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item as Record<string, Json>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const operation = `${method.toUpperCase()} ${template}`;
      for (const parameter of (value.parameters ?? []) as { in: string; name: string; schema?: Schema }[]) {
        const schema = resolve(document, parameter.schema);
        if ((parameter.in === 'query' || parameter.in === 'path') && schema?.type === 'string') {
          fields.push({
            operation,
            location: parameter.in,
            name: parameter.name,
            maxLength: schema.maxLength ?? UNBOUNDED_TRY,
            minLength: schema.minLength ?? 0,
          });
        }
      }
      const body = (value.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.[
        'application/json'
      ]?.schema;
      fields.push(...stringFieldsOf(document, operation, body));
    }
  }
  return fields;
}

// The hostile alphabets (each element is one code point, except where said).
const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const combining = fc.integer({ min: 0x300, max: 0x36f }).map((cp) => String.fromCodePoint(cp));
const selector = fc.constantFrom('\uFE0E', '\uFE0F', '\u{E0100}', '\u{E01EF}');
const emoji = fc.constantFrom('😀', '👍', '🏳', '❤', '\u200D', '🇪', '🇺');
const letter = fc.constantFrom('a', 'Z', 'é', 'ß', '中', '0');
const mixed = fc.oneof(astral, combining, selector, emoji, letter);

/** A string of exactly `length` code points drawn from `alphabet`. */
const ofLength = (alphabet: fc.Arbitrary<string>, length: number): fc.Arbitrary<string> =>
  fc.array(alphabet, { minLength: length, maxLength: length }).map((parts) => parts.join(''));

/** Fixed hostile values for a field limited to `max` code points. */
function fixedValues(max: number): [string, string][] {
  const half = Math.floor(max / 2);
  const values: [string, string][] = [];
  for (const length of [max, max + 1]) {
    values.push([`${length} astral characters`, '😀'.repeat(length)]);
    values.push([`${length} code points of "a\\uFE0F"`, 'a\uFE0F'.repeat(half) + 'a'.repeat(length - 2 * half)]);
    values.push([
      `${length} code points of e + combining acute`,
      'e\u0301'.repeat(half) + 'e'.repeat(length - 2 * half),
    ]);
  }
  values.push(['twice the limit in "a\\uFE0F" (counts as the limit to validator.js)', 'a\uFE0F'.repeat(max)]);
  values.push(['a NUL inside', `ab\u0000cd`]);
  values.push(['an unpaired high surrogate', 'abc\uD83D']);
  values.push(['an unpaired low surrogate', '\uDE00abc']);
  return values;
}

/**
 * encodeURIComponent, except that an unpaired surrogate is sent as the bytes a sloppy client
 * would send (its 3-byte generalized UTF-8 form, %ED%A0%BD) instead of throwing URIError.
 */
function percentEncode(value: string): string {
  let out = '';
  for (const char of value) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

function setDotted(body: Json, dotted: string, value: string): Json {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let target = copy;
  for (const part of parts.slice(0, -1)) target = target[part] as Json;
  target[parts[parts.length - 1]!] = value;
  return copy;
}

describe('every string field of every route: hostile Unicode is 2xx or 4xx, never 500', () => {
  const webhookSecret = randomSecret();
  let provider: ProviderStandIn;
  let gw: TestApp;
  let document: OpenAPIObject;
  let user: SignedInUser;
  let admin: SignedInUser;
  let target: { id: string };
  let paymentId: string;
  let baselines: Record<string, () => Promise<Baseline>>;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: webhookSecret,
      PAYMENT_CURRENCIES: 'EUR,USD,GBP',
      LOG_LEVEL: 'info',
    });
    document = createOpenApiDocument(gw.app);
    [user, admin] = await Promise.all([createSignedInUser(gw), createSignedInUser(gw, 'admin')]);
    target = await createUser(gw);
    const created = await http(gw.url, 'POST', '/v1/payments', {
      token: user.token,
      headers: { 'idempotency-key': `str-${randomUUID()}` },
      body: { amount: 100, currency: 'EUR', recipientId: randomUUID() },
    });
    expect(created.status).toBe(201);
    paymentId = created.body.id as string;

    const freshRefreshToken = async (): Promise<string> => (await login(gw, user)).refreshToken;
    const idempotency = () => ({ 'idempotency-key': `str-${randomBytes(12).toString('base64url')}` });
    // One valid request per operation that has string fields. A new operation with a string field
    // and no entry here fails the suite ("has a baseline request").
    baselines = {
      'POST /v1/auth/login': () =>
        Promise.resolve({ path: {}, query: {}, body: { email: user.email, password: user.password } }),
      'POST /v1/auth/refresh': async () => ({ path: {}, query: {}, body: { refreshToken: await freshRefreshToken() } }),
      'POST /v1/auth/logout': async () => ({ path: {}, query: {}, body: { refreshToken: await freshRefreshToken() } }),
      'POST /v1/admin/users': () =>
        Promise.resolve({
          path: {},
          query: {},
          token: admin.token,
          body: { email: randomEmail(), password: randomPassword(), role: 'user' },
        }),
      'GET /v1/admin/users/{id}': () => Promise.resolve({ path: { id: target.id }, query: {}, token: admin.token }),
      'PATCH /v1/admin/users/{id}': () =>
        Promise.resolve({ path: { id: target.id }, query: {}, token: admin.token, body: { role: 'user' } }),
      'POST /v1/admin/users/{id}/unlock': () =>
        Promise.resolve({ path: { id: target.id }, query: {}, token: admin.token }),
      'POST /v1/admin/users/{id}/revoke-sessions': () =>
        Promise.resolve({ path: { id: target.id }, query: {}, token: admin.token }),
      'GET /v1/admin/audit': () =>
        Promise.resolve({ path: {}, query: { action: 'user.create', actor: admin.id }, token: admin.token }),
      'POST /v1/payments': () =>
        Promise.resolve({
          path: {},
          query: {},
          token: user.token,
          headers: idempotency,
          body: { amount: 1250, currency: 'EUR', recipientId: randomUUID(), reference: 'invoice 7' },
        }),
      'GET /v1/payments': () =>
        Promise.resolve({ path: {}, query: { status: 'succeeded', userId: admin.id }, token: admin.token }),
      'GET /v1/payments/{id}': () => Promise.resolve({ path: { id: paymentId }, query: {}, token: user.token }),
      [WEBHOOK]: () =>
        Promise.resolve({
          path: {},
          query: {},
          sign: true,
          body: {
            id: `evt_${randomUUID()}`,
            type: 'charge.updated',
            created: Math.floor(Date.now() / 1000),
            data: {
              id: `ch_${randomUUID()}`,
              idempotencyKey: randomUUID(),
              status: 'succeeded',
              amount: 100,
              currency: 'EUR',
              recipientId: randomUUID(),
            },
          },
        }),
    };
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });

  async function send(operation: string, request: Baseline): Promise<HttpResult> {
    const [method, template] = operation.split(' ') as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => percentEncode(request.path[name] ?? ''));
    const query = Object.entries(request.query)
      .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
      .join('&');
    const url = `${path}${query ? `?${query}` : ''}`;
    const headers = { ...(request.headers?.() ?? {}) };
    if (!request.sign) return http(gw.url, method, url, { body: request.body, token: request.token, headers });
    const raw = Buffer.from(JSON.stringify(request.body), 'utf8');
    return http(gw.url, method, url, {
      rawBody: raw,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'provider-signature': signatureHeader([webhookSecret], Math.floor(Date.now() / 1000), raw),
      },
    });
  }

  function withValue(field: StringField, baseline: Baseline, value: string): Baseline {
    if (field.location === 'path') return { ...baseline, path: { ...baseline.path, [field.name]: value } };
    if (field.location === 'query') return { ...baseline, query: { ...baseline.query, [field.name]: value } };
    return { ...baseline, body: setDotted(baseline.body ?? {}, field.name, value) };
  }

  function expectNoServerError(field: StringField, what: string, res: HttpResult): void {
    const where = `${field.operation} ${field.location}:${field.name} with ${what}`;
    if (res.status >= 500) {
      const errors = gw.logs.filter((l) => Number(l.level) >= 50).map((l) => JSON.stringify(l).slice(0, 1500));
      expect({ where, status: res.status, errors }).toEqual({ where, status: expect.any(Number), errors: [] });
    }
    expect([where, res.status < 500]).toEqual([where, true]);
    if (res.status >= 400) {
      expect([where, res.headers.get('content-type')]).toEqual([
        where,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
    }
  }

  it('finds the string fields in the OpenAPI document, and each operation that has one has a baseline request', () => {
    const fields = stringFields(document);
    const operations = [...new Set(fields.map((f) => f.operation))].sort();
    expect(fields.length).toBeGreaterThan(25);
    expect(operations).toEqual(Object.keys(baselines).sort());
  });

  it('documents the same code-point limits in OpenAPI as the validators enforce (minLength/maxLength)', () => {
    const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<object, ValidationMetadata[]> };
    const limited = [...storage.validationMetadatas.values()]
      .flat()
      .filter((m) => m.name === CODE_POINT_LENGTH)
      .map((m) => ({
        dto: (m.target as { name: string }).name,
        field: m.propertyName,
        min: m.constraints[0] as number,
        max: m.constraints[1] as number,
      }));
    expect(limited.length).toBeGreaterThanOrEqual(8);
    for (const { dto, field, min, max } of limited) {
      const schema = document.components?.schemas?.[dto] as Schema | undefined;
      const documented = resolve(document, schema?.properties?.[field]);
      const parameters = Object.values(document.paths)
        .flatMap((item) => Object.values(item as Record<string, Json>))
        .flatMap((op) => ((op as Json).parameters ?? []) as { name: string; schema?: Schema }[])
        .filter((p) => p.name === field && p.schema?.maxLength === max);
      const found = documented ?? parameters[0]?.schema;
      expect([dto, field, found?.maxLength]).toEqual([dto, field, max]);
      if (min > 0) expect([dto, field, found?.minLength]).toEqual([dto, field, min]);
    }
  });

  it('answers each baseline request with 2xx (so a mutated field is what a refusal is about)', async () => {
    for (const [operation, build] of Object.entries(baselines)) {
      const res = await send(operation, await build());
      expect([operation, res.status >= 200 && res.status < 300]).toEqual([operation, true]);
    }
  });

  it('answers 2xx or problem+json 4xx to maximal hostile strings in every field, at the limit and one over', async () => {
    const fields = stringFields(document);
    let sent = 0;
    for (const field of fields) {
      const build = baselines[field.operation];
      if (!build) throw new Error(`no baseline request for ${field.operation}`);
      const max = Math.max(1, field.maxLength);
      for (const [what, value] of fixedValues(max)) {
        expectNoServerError(field, what, await send(field.operation, withValue(field, await build(), value)));
        sent++;
      }
      // Random mixes at the limit and one over: a few per field (the CI machine is small).
      const lengths = fc.constantFrom(max, max + 1);
      const samples = fc.sample(
        lengths.chain((length) => fc.tuple(fc.constant(length), ofLength(mixed, length))),
        { numRuns: 2, seed: 0x5eed + sent },
      );
      for (const [length, value] of samples) {
        expect(codePointCount(value)).toBe(length);
        expectNoServerError(
          field,
          `a mix of ${length} code points`,
          await send(field.operation, withValue(field, await build(), value)),
        );
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(fields.length * 10);
    expect(gw.logs.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe('the original finding: a reference of 140 × "a\\uFE0F", and ordinary text with emoji', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let user: SignedInUser;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({ PAYMENT_PROVIDER_URL: provider.url, LOG_LEVEL: 'info' });
    user = await createSignedInUser(gw);
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });

  const pay = (reference: string) =>
    http(gw.url, 'POST', '/v1/payments', {
      token: user.token,
      headers: { 'idempotency-key': `orig-${randomUUID()}` },
      body: { amount: 500, currency: 'EUR', recipientId: randomUUID(), reference },
    });

  it.each([
    ['140 × "a\\uFE0F" (280 code points): 400 naming reference', 'a\uFE0F'.repeat(140), 400],
    ['70 × "a\\uFE0F" (140 code points): 201', 'a\uFE0F'.repeat(70), 201],
    ['ordinary text with emoji: 201', 'Dinner 🍕🍷 with Zoë ❤️ — thanks! 👍🏽', 201],
    ['140 emoji with skin tones (280 code points): 400', '👍🏽'.repeat(70) + '👍🏽'.repeat(70), 400],
  ])('%s, and no error-level log line', async (_what, reference, status) => {
    const res = await pay(reference);
    expect(res.status).toBe(status);
    if (status === 201) expect(res.body.reference).toBe(reference);
    else
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'reference', message: expect.any(String) }],
      });
    expect(gw.logs.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
