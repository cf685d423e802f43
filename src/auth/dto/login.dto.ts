import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;

  /** Only bounded here: the password policy (12..128) is not revealed to anyone guessing. */
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @Length(1, 128)
  password!: string;
}
