import { ApiProperty } from '@nestjs/swagger';

/** Who a user is, as any API answer shows it: never the password hash. */
export class UserIdentityDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ enum: ['user', 'admin'] })
  role!: 'user' | 'admin';
}
