import { ApiProperty } from '../../../platform/openapi/decorators';
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

  /**
   * The valid bodies, checked without class-validator (a refresh is a hot route): exactly
   * `{ refreshToken }`, a string the pattern accepts (ASCII, so its length in code points is its
   * length, 43-128). Anything else is undefined and goes through class-validator, which words the
   * 400 (see CompiledBodyCheck).
   */
  static acceptValid(body: Record<string, unknown>): RefreshTokenDto | undefined {
    const token = body.refreshToken;
    if (typeof token !== 'string' || !REFRESH_TOKEN_PATTERN.test(token)) return undefined;
    if (!Object.hasOwn(body, 'refreshToken') || Object.keys(body).length !== 1) return undefined;
    const dto = new RefreshTokenDto();
    dto.refreshToken = token;
    return dto;
  }
}
