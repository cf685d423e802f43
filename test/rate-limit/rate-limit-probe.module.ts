import { Controller, Get, Module, Post, HttpCode } from '@nestjs/common';
import { SkipRateLimit } from '../../src/rate-limit/skip-rate-limit.decorator';

/** Probe routes under /v1/auth (beside the real auth controller), to test the auth limit without logins. */
@Controller('auth')
class AuthProbeController {
  @Post('probe-login')
  @HttpCode(200)
  login(): { ok: true } {
    return { ok: true };
  }

  @Get('probe-me')
  me(): { ok: true } {
    return { ok: true };
  }
}

/** An ordinary route (global limit only) and an explicitly exempt one. */
@Controller('limited')
class LimitedProbeController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }

  @Get('exempt')
  @SkipRateLimit()
  exempt(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [AuthProbeController, LimitedProbeController] })
export class RateLimitProbeModule {}
