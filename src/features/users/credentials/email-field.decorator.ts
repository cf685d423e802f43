import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '../../../platform/openapi/decorators';
import { Transform } from 'class-transformer';
import { buildMessage, isEmail, IsString, ValidateBy } from 'class-validator';
import { MaxCodePoints, unstorableText } from '../../../platform/validation/code-points';
import { normalizeEmail } from './email';

const normalized = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? normalizeEmail(value) : value;

/**
 * class-validator's IsEmail, except that a string with an unpaired surrogate is simply not an
 * email: validator.js passes the value to encodeURI, which throws URIError on one (a 500).
 */
const IsWellFormedEmail = (): PropertyDecorator =>
  ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && unstorableText(value) === undefined && isEmail(value),
      defaultMessage: buildMessage((each) => `${each}$property must be an email`),
    },
  });

/**
 * An email in a request body, in its normal form (trimmed, NFC, lower case; see normalizeEmail),
 * then checked: a string of at most 254 characters (code points, as the column counts them),
 * email-shaped.
 */
export const EmailField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', format: 'idn-email', maxLength: 254 }),
    Transform(normalized),
    IsString(),
    MaxCodePoints(254),
    IsWellFormedEmail(),
  );
