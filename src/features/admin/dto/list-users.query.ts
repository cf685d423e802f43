import { ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/**
 * Query strings arrive as strings; only plain digit strings become numbers ("1.5", "-1", "1e2" do
 * not). Ten digits cover every int32, so `@Max` (not this) refuses a number past a field's bound.
 */
export const digitsToInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : value;

/** The last page a client may ask for: the int32 maximum the OpenAPI document states. */
export const MAX_PAGE = 2_147_483_647;

export class ListUsersQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE, default: 1 })
  @Transform(digitsToInt)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @Transform(digitsToInt)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1)
  @Max(100)
  pageSize: number = 20;
}
