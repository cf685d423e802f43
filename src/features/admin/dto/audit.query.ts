import { ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { CodePointLength } from '../../../platform/validation/code-points';
import { UuidField } from '../../../platform/validation/uuid';
import { AUDIT_ACTIONS, AuditAction } from '../audit/admin-audit.repository';
import { digitsToInt } from './list-users.query';

/** GET /v1/admin/audit: every parameter strict; unknown ones are 400 like any unknown field. */
export class AuditQuery {
  @ApiPropertyOptional({
    description: 'Opaque; the nextCursor of the previous page',
    pattern: '^[A-Za-z0-9_-]{1,40}$',
    minLength: 1,
    maxLength: 40,
  })
  @IsOptional()
  @IsString({ message: 'cursor must be a string' })
  @CodePointLength(1, 40)
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'cursor is not a valid cursor' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @Transform(digitsToInt)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(100)
  limit: number = 20;

  @UuidField({ optional: true, description: 'Only actions by this admin', message: 'actor must be a UUID' })
  actor?: string;

  @UuidField({ optional: true, description: 'Only actions on this user', message: 'target must be a UUID' })
  target?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;
}
