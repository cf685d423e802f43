import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Public } from '../../src/platform/http/public.decorator';

class ProbeAddress {
  @IsString() @MaxLength(20) line1!: string;
}

class ProbeBody {
  @IsInt() @Min(1) @Max(1000) amount!: number;
  @ValidateNested() @Type(() => ProbeAddress) address!: ProbeAddress;
}

/**
 * A test-only route that exercises the global parser, pipe and filter like a real one. Public, as
 * login is: these suites test what becomes of a body, not authentication.
 */
@Public()
@Controller('probe')
class ProbeController {
  @Post()
  @HttpCode(200)
  echo(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Post('boom')
  boom(): never {
    throw new Error('internal detail: SELECT secret FROM vault at /srv/app/x.ts:12');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
