import { ApiProperty } from '../../../platform/openapi/decorators';
import { UserIdentityDto } from '../../users';

export class UserResponse extends UserIdentityDto {
  @ApiProperty()
  disabled!: boolean;

  @ApiProperty({ format: 'date-time', maxLength: 30 })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', maxLength: 30 })
  updatedAt!: string;
}

export class UserPageResponse {
  @ApiProperty({ type: [UserResponse], maxItems: 100 })
  items!: UserResponse[];

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 2147483647 })
  page!: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 100 })
  pageSize!: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 })
  total!: number;
}
