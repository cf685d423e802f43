import { ApiPropertyOptional } from '../../../platform/openapi/decorators';
import { IsBoolean, IsIn, ValidateIf } from 'class-validator';

/** Both optional, but `null` is not "absent": it fails validation like any other wrong type. */
export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @ValidateIf((_object, value) => value !== undefined)
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ description: 'true ends every session of the user at once' })
  @ValidateIf((_object, value) => value !== undefined)
  @IsBoolean()
  disabled?: boolean;
}
