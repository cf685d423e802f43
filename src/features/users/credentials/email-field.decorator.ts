import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** An email in a request body: trimmed, a string of at most 254 characters, email-shaped. */
export const EmailField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 }),
    Transform(trim),
    IsString(),
    MaxLength(254),
    IsEmail(),
  );
