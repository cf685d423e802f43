import { applyDecorators, Injectable, PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '../openapi/decorators';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { validationProblem } from '../problems';

/**
 * A UUID as it arrives: 8-4-4-4-12 ASCII hex digits, either case, nothing else. No braces, no
 * `urn:uuid:` prefix, no surrounding whitespace, no other digit or letter that merely looks like
 * one (fullwidth `Ａ`, Arabic-Indic digits): the pattern has no `i` or `u` flag, so no Unicode case
 * folding can widen it.
 */
const UUID_SHAPE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** The one form ids take inside the gateway: lower case (PostgreSQL's `uuid` output form). */
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The canonical (lower-case) form of a UUID, or undefined when `value` is not one. Every id that
 * enters through a request passes here, so services, the identity cache, Redis keys, pub/sub
 * messages and audit rows see one spelling of each id: `ABC…` and `abc…` name the same user.
 */
export function canonicalUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID_SHAPE.test(value) ? value.toLowerCase() : undefined;
}

export function isCanonicalUuid(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL_UUID.test(value);
}

/**
 * A UUID route parameter (`@Param('id', new CanonicalUuidPipe('id'))`): the canonical form, or 400
 * VALIDATION_FAILED naming the field.
 */
@Injectable()
export class CanonicalUuidPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly field: string,
    private readonly message = 'must be a UUID',
  ) {}

  transform(value: unknown): string {
    const canonical = canonicalUuid(value);
    if (canonical === undefined) throw validationProblem([{ field: this.field, message: this.message }]);
    return canonical;
  }
}

const toCanonical = ({ value }: { value: unknown }): unknown => canonicalUuid(value) ?? value;

export interface UuidFieldOptions {
  /** The field may be absent (query filters). */
  optional?: boolean;
  /** The one message shown when it is not a UUID; defaults to "<field> must be a UUID". */
  message?: string;
  description?: string;
}

/**
 * A UUID field of a DTO (params, query, body): lower-cased when it is a UUID, refused otherwise
 * (400 naming the field). Validation runs on the transformed value, so only the canonical form
 * ever passes: nothing downstream needs to lower-case again.
 */
export const UuidField = (options: UuidFieldOptions = {}): PropertyDecorator => {
  const schema = {
    format: 'uuid',
    minLength: 36,
    maxLength: 36,
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  return applyDecorators(
    options.optional ? ApiPropertyOptional(schema) : ApiProperty(schema),
    Transform(toCanonical),
    ...(options.optional ? [IsOptional()] : []),
    // Named `isUuid` so that, like class-validator's IsUUID, it is the one message of its field.
    ValidateBy(
      { name: 'isUuid', validator: { validate: isCanonicalUuid } },
      { message: options.message ?? '$property must be a UUID' },
    ),
  );
};
