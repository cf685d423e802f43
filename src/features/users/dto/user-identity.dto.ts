import { ApiProperty } from '../../../platform/openapi/decorators';

/** Who a user is, as any API answer shows it: never the password hash. */
export class UserIdentityDto {
  @ApiProperty({ format: 'uuid', minLength: 36, maxLength: 36 })
  id!: string;

  @ApiProperty({ format: 'idn-email', maxLength: 254 })
  email!: string;

  @ApiProperty({ enum: ['user', 'admin'] })
  role!: 'user' | 'admin';
}
