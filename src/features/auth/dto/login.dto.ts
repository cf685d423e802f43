import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { EmailField } from '../../users';

export class LoginDto {
  @EmailField()
  email!: string;

  /** Only bounded here: the password policy (12..128) is not revealed to anyone guessing. */
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @Length(1, 128)
  password!: string;
}
