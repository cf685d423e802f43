import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** The class-validator constraint name of CodePointLength (the string-field property test reads it). */
export const CODE_POINT_LENGTH = 'codePointLength';

/** An unpaired surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The length PostgreSQL gives a text value: Unicode code points. JavaScript's `length` counts
 * UTF-16 units (an astral character is two), and class-validator's Length/MaxLength count neither
 * (they drop variation selectors U+FE0E/U+FE0F and count a surrogate pair as one), so a value they
 * accept can overflow a VARCHAR(n) column.
 */
export function codePointCount(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Why PostgreSQL could not store `value` as text, or undefined: NUL is refused by every text type,
 * and an unpaired surrogate is not a character at all (it has no UTF-8 form).
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain unpaired surrogates (invalid UTF-16)';
  return undefined;
}

/**
 * What is wrong with `value` as a string of `min`..`max` code points that PostgreSQL can store, or
 * undefined. Worded as class-validator words its length messages, after the field name.
 */
export function codePointLengthProblem(value: string, min: number, max: number): string | undefined {
  const unstorable = unstorableText(value);
  if (unstorable) return unstorable;
  const count = codePointCount(value);
  if (count > max) return `must be shorter than or equal to ${max} characters`;
  if (count < min) return `must be longer than or equal to ${min} characters`;
  return undefined;
}

/**
 * A string of `min` to `max` Unicode code points (the way PostgreSQL counts VARCHAR(n)), with no
 * NUL and no unpaired surrogate: every string field with a limit uses it, so a value the API
 * accepts always fits its column. Non-strings are left to @IsString. Document the same bounds with
 * `minLength`/`maxLength` in the field's @ApiProperty.
 */
export function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: CODE_POINT_LENGTH,
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [min, max],
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || codePointLengthProblem(value, min, max) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'value'} ${
            typeof args?.value === 'string'
              ? (codePointLengthProblem(args.value, min, max) ?? 'is not valid')
              : 'must be a string'
          }`,
      },
    });
  };
}

/** At most `max` code points, no NUL, no unpaired surrogate (see CodePointLength). */
export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return CodePointLength(0, max, options);
}
