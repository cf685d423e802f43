import { ApiProperty } from '@nestjs/swagger';
import { UserIdentityDto } from '../../users/dto/user-identity.dto';

export class TokenPairDto {
  @ApiProperty({ description: 'HS256 JWT for the Authorization: Bearer header' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque, single-use refresh token' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Access-token lifetime in seconds' })
  expiresIn!: number;

  @ApiProperty({ description: "Seconds until the refresh token's family expires (absolute)" })
  refreshExpiresIn!: number;
}

/** GET /v1/auth/me */
export class MeDto extends UserIdentityDto {}
