import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AUDIT_ACTIONS } from '../audit/admin-audit.repository';

export class AuditRecordResponse {
  @ApiProperty({ description: 'Increasing with time of writing' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ format: 'uuid' })
  actorId!: string;

  @ApiProperty({ format: 'uuid' })
  targetId!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS })
  action!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Audited fields before (role, disabled, email)',
  })
  before!: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Audited fields after',
  })
  after!: unknown;

  @ApiProperty()
  requestId!: string;

  @ApiProperty()
  clientIp!: string;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditRecordResponse] })
  items!: AuditRecordResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;
}
