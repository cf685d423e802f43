import { ArgumentMetadata, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { type FieldError, ProblemException, validationProblem } from '../problems';
import { echoField } from './json-body';

/**
 * Constraints that say what type a field must be, most basic first. When a field fails several
 * constraints, the first of these that failed is the one message shown: `amount: "100"` is "not an
 * integer", not also "less than 1" and "greater than 100000000".
 */
const TYPE_CONSTRAINTS = [
  'isDefined',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isObject',
  'isArray',
  'nestedValidation',
  'isIn',
  'isEnum',
  'isUuid',
  'isEmail',
];

function oneMessage(constraints: Record<string, string>): [string, string] | undefined {
  const typeCheck = TYPE_CONSTRAINTS.find((name) => Object.hasOwn(constraints, name));
  const message = typeCheck === undefined ? undefined : constraints[typeCheck];
  return typeCheck !== undefined && message !== undefined ? [typeCheck, message] : Object.entries(constraints)[0];
}

/** Flattens class-validator's tree into `{ field: "a.b.0.c", message }` pairs, one per field. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const chosen = oneMessage(error.constraints ?? {});
    if (chosen) {
      const [constraint, message] = chosen;
      // whitelistValidation's text is "property x should not exist"; say it plainly.
      out.push({ field, message: constraint === 'whitelistValidation' ? 'is not an allowed field' : message });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

const NOT_DTOS = new Set<unknown>([String, Boolean, Number, Array, Object, Date]);

/** declaredFields' answers: a class's decorators are all applied when its module loads. */
const declaredFieldsCache = new Map<unknown, Set<string> | undefined>();

/** The property names a DTO class declares validation for, or undefined if it is not a DTO. */
function declaredFields(metatype: unknown): Set<string> | undefined {
  if (typeof metatype !== 'function' || NOT_DTOS.has(metatype)) return undefined;
  if (declaredFieldsCache.has(metatype)) return declaredFieldsCache.get(metatype);
  const metadata = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  const fields = metadata.length > 0 ? new Set(metadata.map((m) => m.propertyName)) : undefined;
  declaredFieldsCache.set(metatype, fields);
  return fields;
}

/**
 * A DTO class may carry a compiled check of its valid bodies: `static acceptValid(body)` answers the
 * DTO instance for a body that class-validator would accept (exactly the declared fields, each
 * valid), and undefined for anything else, which then goes through class-validator as usual, so a
 * refused body gets the same 400 problem, worded by the same code, either way. It must accept no
 * body class-validator refuses: its spec compares the two on every kind of body.
 */
export interface CompiledBodyCheck<T = unknown> {
  acceptValid(body: Record<string, unknown>): T | undefined;
}

function compiledCheck(metatype: unknown): CompiledBodyCheck | undefined {
  const check = (metatype as Partial<CompiledBodyCheck> | undefined)?.acceptValid;
  return typeof check === 'function' ? (metatype as CompiledBodyCheck) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits a raw value into the fields `metatype` declares (a fresh plain object) and an error for
 * every other own key, at every level where the declared type is itself a DTO. Works on own keys
 * against a Set, so names like `constructor`, `hasOwnProperty` or `__defineGetter__` are unknown
 * fields like any other (class-validator's whitelist looks them up on a plain object and finds
 * Object.prototype's members). Recursion follows the DTO classes, not the body, so it is bounded.
 */
export function splitDeclaredFields(
  value: Record<string, unknown>,
  metatype: Type<unknown>,
  parent = '',
): { known: Record<string, unknown>; unknown: FieldError[] } {
  const fields = declaredFields(metatype)!;
  const known: Record<string, unknown> = {};
  const unknown: FieldError[] = [];
  for (const key of Object.keys(value)) {
    const path = parent ? `${parent}.${key}` : key;
    if (!fields.has(key)) {
      unknown.push({ field: echoField(path), message: 'is not an allowed field' });
      continue;
    }
    const nestedType: unknown = Reflect.getMetadata('design:type', metatype.prototype as object, key);
    const child = value[key];
    if (isRecord(child) && declaredFields(nestedType)) {
      const nested = splitDeclaredFields(child, nestedType as Type<unknown>, path);
      known[key] = nested.known;
      unknown.push(...nested.unknown);
    } else {
      known[key] = child;
    }
  }
  return { known, unknown };
}

/**
 * Strict by default: unknown fields are errors (at every depth, judged on the raw own keys),
 * nothing is converted implicitly ("100" stays a string and fails @IsInt), each field gets one
 * message, and values are never echoed back.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      stopAtFirstError: false,
      exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
    });
  }

  /**
   * A custom parameter (`@CurrentUser()`) is not validated (validateCustomDecorators is off) and
   * comes back as it is, as the base pipe returns it, but without the base pipe's promise: Nest's
   * pipe consumer awaits whatever this returns, and every promise costs the request's async context.
   */
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom' && !this.validateCustomDecorators) return value as Promise<unknown>;
    return this.validated(value, metadata);
  }

  private async validated(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && isRecord(value)) {
      const accepted = compiledCheck(metadata.metatype)?.acceptValid(value);
      if (accepted !== undefined) return accepted;
    }
    if (metadata.type === 'custom' || !isRecord(value) || !declaredFields(metadata.metatype)) {
      return super.transform(value, metadata);
    }
    const { known, unknown } = splitDeclaredFields(value, metadata.metatype!);
    if (unknown.length === 0) return super.transform(known, metadata);
    // Validate the declared fields too, so one answer lists every problem once.
    let others: FieldError[] = [];
    try {
      await super.transform(known, metadata);
    } catch (error) {
      if (!(error instanceof ProblemException)) throw error;
      others = error.extras.errors ?? [];
    }
    throw validationProblem([...unknown, ...others]);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe();
}
