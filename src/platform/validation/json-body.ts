import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, problem, ProblemException, validationProblem } from '../problems';

/**
 * Bounds on the shape of a JSON body, checked before anything recursive sees it (class-transformer,
 * class-validator and the pipe all walk objects recursively). No request DTO nests objects or
 * takes arrays, so these are generous for every legitimate body and tight for a hostile one.
 */
export const BODY_SHAPE_LIMITS = {
  /** Objects/arrays inside each other; the body itself is level 1. */
  maxDepth: 32,
  /** Keys of one object. */
  maxKeys: 64,
  /** Elements of one array. */
  maxArrayLength: 100,
} as const;

export type BodyShapeLimits = { maxDepth: number; maxKeys: number; maxArrayLength: number };

/** Longest field name (of an unknown or duplicate key) echoed back in an error message. */
export const MAX_ECHOED_FIELD_LENGTH = 64;

export function echoField(name: string): string {
  return name.length > MAX_ECHOED_FIELD_LENGTH ? `${name.slice(0, MAX_ECHOED_FIELD_LENGTH)}…` : name;
}

const OBJECT = 0;
const ARRAY = 1;
interface Frame {
  kind: typeof OBJECT | typeof ARRAY;
  /** Object: keys seen so far. */
  keys: Set<string> | undefined;
  /** Object: the next string is a key. */
  expectKey: boolean;
  /** Keys (object) or separators (array) so far. */
  count: number;
}

/** What is wrong with the shape of a (syntactically valid) JSON text, or undefined. */
export interface BodyShapeViolation {
  field: string;
  message: string;
  detail: string;
}

/**
 * One iterative pass over JSON text that JSON.parse has already accepted: nesting depth, keys per
 * object, array length, duplicate keys (JSON.parse would keep the last one silently, so two
 * parsers could disagree on what was sent) and `__proto__` keys. No recursion: its cost is one
 * loop over the characters whatever the shape.
 */
export function checkJsonShape(
  text: string,
  limits: BodyShapeLimits = BODY_SHAPE_LIMITS,
): BodyShapeViolation | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i++;
      for (;;) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      const top = stack[stack.length - 1];
      if (top?.kind === OBJECT && top.expectKey) {
        const raw = text.slice(start, i + 1);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (key === '__proto__') {
          return {
            field: '__proto__',
            message: 'forbidden key `__proto__`',
            detail: 'The body contains the forbidden key `__proto__`.',
          };
        }
        if (top.keys!.has(key)) {
          return {
            field: echoField(key),
            message: 'appears more than once',
            detail: 'The body contains a duplicate key.',
          };
        }
        top.keys!.add(key);
        top.expectKey = false;
        if (++top.count > limits.maxKeys) {
          return {
            field: 'body',
            message: `has an object with more than ${limits.maxKeys} keys`,
            detail: `An object in the body has more than ${limits.maxKeys} keys.`,
          };
        }
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const isObject = c === 0x7b;
      stack.push({
        kind: isObject ? OBJECT : ARRAY,
        keys: isObject ? new Set() : undefined,
        expectKey: isObject,
        count: 0,
      });
      if (stack.length > limits.maxDepth) {
        return {
          field: 'body',
          message: `is nested deeper than ${limits.maxDepth} levels`,
          detail: `The body is nested deeper than ${limits.maxDepth} levels.`,
        };
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === OBJECT) top.expectKey = true;
      else if (top && ++top.count + 1 > limits.maxArrayLength) {
        return {
          field: 'body',
          message: `has an array longer than ${limits.maxArrayLength} elements`,
          detail: `An array in the body has more than ${limits.maxArrayLength} elements.`,
        };
      }
    }
  }
  return undefined;
}

/** `application/json` with no charset, or charset utf-8 (RFC 8259: JSON exchanged between systems is UTF-8). */
function charsetIsUtf8(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType ?? '')?.[2];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

function malformed(detail: string, field: string, message: string): ProblemException {
  return new ProblemException(
    ErrorCode.VALIDATION_FAILED,
    { detail, errors: [{ field, message }] },
    { title: 'Malformed Request Body' },
  );
}

/**
 * Parses a JSON body (the request's text, already bounded by BODY_LIMIT_BYTES), then checks its
 * shape. Throws a ProblemException for anything it refuses.
 */
export function parseJsonBody(
  text: string,
  contentType?: string,
  limits: BodyShapeLimits = BODY_SHAPE_LIMITS,
): unknown {
  if (!charsetIsUtf8(contentType)) {
    throw problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json in UTF-8.');
  }
  if (text.trim() === '') throw malformed('The request body is empty.', 'body', 'is empty');
  let value: unknown;
  try {
    // V8's JSON.parse is iterative: deep nesting costs it memory, not stack.
    value = JSON.parse(text);
  } catch {
    throw malformed('The request body is not valid JSON.', 'body', 'is not valid JSON');
  }
  const violation = checkJsonShape(text, limits);
  if (violation) throw validationProblem([{ field: violation.field, message: violation.message }], violation.detail);
  return value;
}

/**
 * Route config (`@RouteConfig(RAW_JSON_BODY)`) for a route that must see the exact bytes it was
 * sent (a signed webhook): its JSON body is handed over unparsed, as a Buffer, within the same
 * size limit. The route parses it itself (parseJsonBody) once it has checked the signature.
 */
export const RAW_JSON_BODY = { rawJsonBody: true } as const;

function wantsRawBody(request: FastifyRequest): boolean {
  const config = request.routeOptions?.config as { rawJsonBody?: unknown } | undefined;
  return config?.rawJsonBody === true;
}

/**
 * Bodies are accepted as sent, never decompressed: a body with a Content-Encoding other than
 * `identity` (gzip, deflate, br, or a list of codings) is refused with 415 and `Accept-Encoding:
 * identity` (RFC 9110 section 15.5.16, RFC 7694), rather than read as if it were plain JSON.
 */
export function refuseContentEncoding(encoding: string | undefined): void {
  if (encoding === undefined || /^\s*(identity)?\s*$/i.test(encoding)) return;
  throw problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body uncompressed: no Content-Encoding is supported.', {
    headers: { 'accept-encoding': 'identity' },
  });
}

/**
 * Replaces Fastify's JSON parser (secure-json-parse) with parseJsonBody: same size limit, plus the
 * shape bounds, and `__proto__` answers as a forbidden key rather than as invalid JSON. Routes
 * configured with RAW_JSON_BODY get the raw bytes instead.
 */
export function registerJsonBodyParser(instance: FastifyInstance, bodyLimit: number): void {
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        refuseContentEncoding(request.headers['content-encoding']);
        if (wantsRawBody(request)) return done(null, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
        done(null, parseJsonBody(body.toString('utf8'), request.headers['content-type']));
      } catch (error) {
        done(error as Error);
      }
    },
  );
}
