import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { normalizeEmail } from './email';

const normalized = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? normalizeEmail(value) : value;

/**
 * An email in a request body, in its normal form (trimmed, NFC, lower case; see normalizeEmail),
 * then checked: a string of at most 254 characters, email-shaped.
 */
export const EmailField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', format: 'idn-email', maxLength: 254 }),
    Transform(normalized),
    IsString(),
    MaxLength(254),
    IsEmail(),
  );
