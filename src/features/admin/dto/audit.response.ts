import { ApiProperty, ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { AUDIT_ACTIONS } from '../audit/admin-audit.repository';

/** `before` / `after`: the audited fields only (never a password, hash or token). */
const AuditSnapshotProperty = (description: string): PropertyDecorator =>
  ApiPropertyOptional({
    type: 'object',
    additionalProperties: false,
    properties: {
      email: { type: 'string', format: 'idn-email', maxLength: 254 },
      role: { type: 'string', enum: ['user', 'admin'] },
      disabled: { type: 'boolean' },
    },
    nullable: true,
    description,
  });

export class AuditRecordResponse {
  @ApiProperty({ description: 'Increasing with time of writing', pattern: '^[0-9]+$', maxLength: 20 })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ format: 'uuid' })
  actorId!: string;

  @ApiProperty({ format: 'uuid' })
  targetId!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS })
  action!: string;

  @AuditSnapshotProperty('Audited fields before (role, disabled, email)')
  before!: unknown;

  @AuditSnapshotProperty('Audited fields after')
  after!: unknown;

  @ApiProperty({ pattern: '^[A-Za-z0-9._:-]+$', maxLength: 128 })
  requestId!: string;

  @ApiProperty({ description: 'IPv4 or IPv6 address', pattern: '^[0-9A-Fa-f.:]+$', maxLength: 45 })
  clientIp!: string;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditRecordResponse], maxItems: 100 })
  items!: AuditRecordResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 40,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'null on the last page',
  })
  nextCursor!: string | null;
}
