import { ApiProperty, ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { CodePointLength, MaxCodePoints } from '../../../platform/validation/code-points';
import { UuidField } from '../../../platform/validation/uuid';

export const MAX_AMOUNT = 100_000_000;
/** Characters as PostgreSQL counts them (code points): the column is VARCHAR(140). */
export const MAX_REFERENCE_LENGTH = 140;

/**
 * Printable only: no control characters (C0, DEL, C1), no lone surrogates, no line/paragraph
 * separators, and no bidirectional overrides (which can make a reference display as something
 * else in a back office).
 */
export const PRINTABLE_PATTERN = '^[^\\p{Cc}\\p{Cs}\\p{Zl}\\p{Zp}\\u202A-\\u202E\\u2066-\\u2069]*$';
const PRINTABLE = new RegExp(PRINTABLE_PATTERN, 'u');

/**
 * Body of POST /v1/payments. The global pipe is strict: unknown fields are rejected and nothing is
 * converted ("100" is not an integer). The currency allow-list is checked next by AllowedCurrencyPipe.
 */
export class CreatePaymentDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    description: 'Minor units (cents)',
    minimum: 1,
    maximum: MAX_AMOUNT,
    example: 1250,
  })
  @IsInt({ message: 'must be an integer number of minor units' })
  @Min(1)
  @Max(MAX_AMOUNT)
  amount!: number;

  @ApiProperty({
    description: 'Uppercase ISO 4217 code from PAYMENT_CURRENCIES',
    example: 'EUR',
    pattern: '^[A-Z]{3}$',
    minLength: 3,
    maxLength: 3,
  })
  @IsString()
  @CodePointLength(3, 3)
  @Matches(/^[A-Z]{3}$/, { message: 'must be an uppercase ISO 4217 code' })
  currency!: string;

  @UuidField({ message: 'must be a UUID' })
  recipientId!: string;

  @ApiPropertyOptional({
    type: String,
    maxLength: MAX_REFERENCE_LENGTH,
    pattern: PRINTABLE_PATTERN,
    nullable: true,
    description: 'Printable Unicode: no control characters, line separators or bidirectional overrides',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(MAX_REFERENCE_LENGTH)
  @Matches(PRINTABLE, { message: 'must contain printable characters only' })
  reference?: string | null;
}
