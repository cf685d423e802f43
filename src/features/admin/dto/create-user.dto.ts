import { ApiProperty } from '../../../platform/openapi/decorators';
import { IsIn, IsString } from 'class-validator';
import { CodePointLength } from '../../../platform/validation/code-points';
import { EmailField } from '../../users';

export class CreateUserDto {
  @EmailField()
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 128, format: 'password' })
  @IsString()
  @CodePointLength(12, 128)
  password!: string;

  @ApiProperty({ enum: ['user', 'admin'] })
  @IsIn(['user', 'admin'])
  role!: 'user' | 'admin';
}
