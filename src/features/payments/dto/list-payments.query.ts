import { ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MaxCodePoints } from '../../../platform/validation/code-points';
import { UuidField } from '../../../platform/validation/uuid';

export const PAYMENT_STATUSES = ['unknown', 'pending', 'succeeded', 'failed'] as const;
export type PaymentStatusName = (typeof PAYMENT_STATUSES)[number];
export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Query strings arrive as strings; only plain digit strings become numbers ("1.5", "-1", "1e2" do not). */
const digitsToInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;

/**
 * GET /v1/payments query. Strict like every input: unknown parameters and repeated ones are 400s
 * naming the parameter. The cursor is opaque (the previous page's `nextCursor`); its content is
 * checked when it is decoded.
 */
export class ListPaymentsQuery {
  @ApiPropertyOptional({
    description: "The previous page's nextCursor (opaque)",
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @Transform(digitsToInt)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({ enum: PAYMENT_STATUSES })
  @IsOptional()
  @IsIn(PAYMENT_STATUSES, { message: `status must be one of ${PAYMENT_STATUSES.join(', ')}` })
  status?: PaymentStatusName;

  @UuidField({
    optional: true,
    description: "Admins only: list this user's payments",
    message: 'userId must be a UUID',
  })
  userId?: string;
}
