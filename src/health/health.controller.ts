import { Controller, Get, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { PrismaHealthIndicator } from '../database/prisma.health';
import { RedisHealthIndicator } from '../redis/redis.health';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator';
import { READINESS_DETAILS, ReadinessDetail } from './readiness-details';

/**
 * Probes. Liveness touches no dependency, so a database or Redis outage never gets a healthy
 * process restarted; readiness takes the instance out of rotation while either is down.
 */
@ApiTags('health')
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: PrismaHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Optional() @Inject(READINESS_DETAILS) private readonly details: ReadinessDetail[] = [],
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 or 503 with terminus's `{status, info, error, details}` body (not problem+json: probes parse it). */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.check('database'),
        () => this.redis.check('redis'),
        ...this.details.map((detail) => (): Promise<HealthIndicatorResult> => detail.report()),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503).header('retry-after', '5');
      return error.getResponse() as HealthCheckResult;
    }
  }
}
