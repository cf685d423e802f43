import { ApiProperty } from '../../../platform/openapi/decorators';
import { REFRESH_TOKEN_PATTERN } from '../tokens/refresh-token-hash';
import { UserIdentityDto } from '../../users';

export class TokenPairDto {
  @ApiProperty({
    description: 'HS256 JWT for the Authorization: Bearer header',
    maxLength: 2048,
    pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  })
  accessToken!: string;

  @ApiProperty({
    description: 'Opaque, single-use refresh token (base64url)',
    minLength: 43,
    maxLength: 128,
    pattern: REFRESH_TOKEN_PATTERN.source,
  })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({
    description: 'Access-token lifetime in seconds',
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 86400,
  })
  expiresIn!: number;

  @ApiProperty({
    description: "Seconds until the refresh token's family expires (absolute)",
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2147483647,
  })
  refreshExpiresIn!: number;
}

/** GET /v1/auth/me */
export class MeDto extends UserIdentityDto {}
