import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CodePointLength } from '../../../platform/validation/code-points';
import { REFRESH_TOKEN_PATTERN } from '../tokens/refresh-token-hash';

export class RefreshTokenDto {
  @ApiProperty({
    description: 'Opaque refresh token (base64url)',
    minLength: 43,
    maxLength: 128,
    pattern: REFRESH_TOKEN_PATTERN.source,
  })
  @IsString()
  @CodePointLength(43, 128)
  @Matches(REFRESH_TOKEN_PATTERN, { message: 'refreshToken must be 43-128 characters of [A-Za-z0-9_-]' })
  refreshToken!: string;
}
