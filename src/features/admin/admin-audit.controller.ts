import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '../../platform/openapi/decorators';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';

import { validationProblem } from '../../platform/problems';
import { AdminAuditRepository } from './audit/admin-audit.repository';
import { decodeAuditCursor, encodeAuditCursor } from './audit/audit-cursor';
import { AuditQuery } from './dto/audit.query';
import { AuditPageResponse } from './dto/audit.response';
import { Roles } from '../auth';

@ApiTags('admin')
@Controller('admin/audit')
@Roles('admin')
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditRepository) {}

  /** Newest first, `{items, nextCursor}`; nextCursor is null on the last page. */
  @Get()
  @ApiOperation({
    summary: 'Admin audit trail',
    description: 'Append-only admin actions, newest first, cursor-paginated; filter by actor, target or action.',
  })
  @ApiOkResponse({ type: AuditPageResponse })
  @ApiProblems(ErrorCode.FORBIDDEN)
  async list(@Query() query: AuditQuery): Promise<AuditPageResponse> {
    let beforeId: bigint | undefined;
    if (query.cursor !== undefined) {
      beforeId = decodeAuditCursor(query.cursor);
      if (beforeId === undefined)
        throw validationProblem([{ field: 'cursor', message: 'cursor is not a valid cursor' }]);
    }
    const { items, more } = await this.audit.list(
      { actor: query.actor, target: query.target, action: query.action },
      query.limit,
      beforeId,
    );
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeAuditCursor(last.id) : null };
  }
}
