import { ApiProperty } from '../../../platform/openapi/decorators';
import { IsString } from 'class-validator';
import { CodePointLength } from '../../../platform/validation/code-points';
import { EmailField } from '../../users';

export class LoginDto {
  @EmailField()
  email!: string;

  /** Only bounded here: the password policy (12..128) is not revealed to anyone guessing. */
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @CodePointLength(1, 128)
  password!: string;
}
