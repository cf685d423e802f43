import { Controller, Get, Module, Post, HttpCode } from '@nestjs/common';
import { AuthRateLimit } from '../../src/platform/rate-limit/auth-rate-limit.decorator';
import { SkipRateLimit } from '../../src/platform/rate-limit/skip-rate-limit.decorator';
import { Public } from '../../src/platform/http/public.decorator';

/**
 * Probe routes under /v1/auth (beside the real auth controller), to test the auth limit without
 * logins: two credential-style routes under @AuthRateLimit() and a /me-style read without it. The
 * probes are public: authentication (after the limiter) has its own suites.
 */
@Public()
@Controller('auth')
class AuthProbeController {
  @Post('probe-login')
  @AuthRateLimit()
  @HttpCode(200)
  login(): { ok: true } {
    return { ok: true };
  }

  @Post('probe-refresh')
  @AuthRateLimit()
  @HttpCode(200)
  refresh(): { ok: true } {
    return { ok: true };
  }

  @Get('probe-me')
  me(): { ok: true } {
    return { ok: true };
  }
}

/** An ordinary route (global limit only) and an explicitly exempt one. */
@Public()
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
