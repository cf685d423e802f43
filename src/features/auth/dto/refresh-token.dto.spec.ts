import 'reflect-metadata';
import type { ArgumentMetadata, Type } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { ErrorCode, ProblemException } from '../../../platform/problems';
import { CodePointLength } from '../../../platform/validation/code-points';
import { StrictValidationPipe } from '../../../platform/validation/validation.pipe';
import { REFRESH_TOKEN_PATTERN } from '../tokens/refresh-token-hash';
import { RefreshTokenDto } from './refresh-token.dto';

/** RefreshTokenDto's class-validator rules without its compiled check: what every body got before it. */
class ClassValidatorOnly {
  @IsString()
  @CodePointLength(43, 128)
  @Matches(REFRESH_TOKEN_PATTERN, { message: 'refreshToken must be 43-128 characters of [A-Za-z0-9_-]' })
  refreshToken!: string;
}

const token = (length: number, char = 'a'): string => char.repeat(length);
const VALID = [token(43), token(128), 'AZaz09_-'.repeat(8)];

/** Bodies the parser lets through (an object of some shape) that the DTO must refuse. */
const INVALID: [string, Record<string, unknown>][] = [
  ['missing field', {}],
  ['null', { refreshToken: null }],
  ['number', { refreshToken: 12345 }],
  ['boolean', { refreshToken: true }],
  ['array', { refreshToken: [token(43)] }],
  ['object', { refreshToken: { value: token(43) } }],
  ['empty string', { refreshToken: '' }],
  ['too short', { refreshToken: token(42) }],
  ['too long', { refreshToken: token(129) }],
  ['oversized', { refreshToken: token(100_000) }],
  ['a character outside base64url', { refreshToken: `${token(42)}=` }],
  ['non-ASCII', { refreshToken: token(43, 'é') }],
  ['astral characters', { refreshToken: token(43, '\u{1F600}') }],
  ['a newline at the end', { refreshToken: `${token(43)}\n` }],
  ['an extra field', { refreshToken: token(43), extra: 1 }],
  ['an extra field only', { extra: token(43) }],
  ['an inherited name', { refreshToken: token(43), constructor: 'x' }],
  ['another inherited name', { hasOwnProperty: token(43) }],
  ['an extra field and a wrong type', { refreshToken: 1, role: 'admin' }],
];

const pipe = new StrictValidationPipe();
const body = (metatype: Type<unknown>): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

/** The pipe's answer for `value` as a comparable record: the accepted fields, or the problem. */
async function answer(value: Record<string, unknown>, metatype: Type<unknown>): Promise<unknown> {
  try {
    const accepted = await pipe.transform(value, body(metatype));
    return { accepted: { ...(accepted as object) }, instance: accepted instanceof metatype };
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    return { status: error.getStatus(), code: error.code, title: error.title, detail: error.detail, ...error.extras };
  }
}

describe('RefreshTokenDto compiled check', () => {
  it.each(VALID)('accepts a well-formed token without class-validator, as class-validator would (%#)', async (t) => {
    const accepted = RefreshTokenDto.acceptValid({ refreshToken: t });
    expect(accepted).toBeInstanceOf(RefreshTokenDto);
    expect({ ...accepted }).toEqual({ refreshToken: t });
    expect(await answer({ refreshToken: t }, RefreshTokenDto)).toEqual({
      accepted: { refreshToken: t },
      instance: true,
    });
    expect(await answer({ refreshToken: t }, ClassValidatorOnly)).toEqual({
      accepted: { refreshToken: t },
      instance: true,
    });
  });

  it.each(INVALID)('leaves a body with %s to class-validator', (_name, value) => {
    expect(RefreshTokenDto.acceptValid(value)).toBeUndefined();
  });

  it.each(INVALID)(
    'answers a body with %s with the same 400 problem as class-validator alone',
    async (_name, value) => {
      const withCheck = await answer(value, RefreshTokenDto);
      expect(withCheck).toMatchObject({ status: 400, code: ErrorCode.VALIDATION_FAILED });
      expect(withCheck).toEqual(await answer(value, ClassValidatorOnly));
    },
  );

  it('words the refusals as before', async () => {
    expect(await answer({}, RefreshTokenDto)).toMatchObject({
      errors: [{ field: 'refreshToken', message: 'refreshToken must be a string' }],
    });
    expect(await answer({ refreshToken: token(43), extra: 1 }, RefreshTokenDto)).toMatchObject({
      errors: [{ field: 'extra', message: 'is not an allowed field' }],
    });
    expect(await answer({ refreshToken: `${token(42)}=` }, RefreshTokenDto)).toMatchObject({
      errors: [{ field: 'refreshToken', message: 'refreshToken must be 43-128 characters of [A-Za-z0-9_-]' }],
    });
  });
});
