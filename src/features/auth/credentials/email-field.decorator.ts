import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString } from 'class-validator';
import { MaxCodePoints } from '../../../platform/validation/code-points';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** An email in a request body: trimmed, a string of at most 254 characters (code points, as the column counts them), email-shaped. */
export const EmailField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 }),
    Transform(trim),
    IsString(),
    MaxCodePoints(254),
    IsEmail(),
  );
