import type { ConfigType } from '@nestjs/config';
import { Controller, Get, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '../openapi/decorators';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { PrismaHealthIndicator } from '../database/prisma.health';
import { MetricsService, type ReadinessDependency } from '../metrics/metrics.service';
import { RedisHealthIndicator } from '../redis/redis.health';
import { Public } from '../http/public.decorator';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator';
import { healthConfig } from './health.config';
import { publicReadiness } from './public-readiness';
import { READINESS_SCHEMA } from './readiness.schema';
import { READINESS_DETAILS, ReadinessDetail } from './readiness-details';
import { ShutdownDrain } from './shutdown-drain';

/** One readiness check, shared by the probes that arrive while it runs (and reused for HEALTH_READY_CACHE_MS). */
interface CachedReadiness {
  at: number;
  settled: boolean;
  result: Promise<{ ok: boolean; result: HealthCheckResult }>;
}

/**
 * Probes. Liveness touches no dependency, so a database or Redis outage never gets a healthy
 * process restarted; readiness takes the instance out of rotation while either is down.
 */
@ApiTags('health')
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: PrismaHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Inject(healthConfig.KEY) private readonly config: ConfigType<typeof healthConfig>,
    private readonly drain: ShutdownDrain,
    private readonly metrics: MetricsService,
    @Optional() @Inject(READINESS_DETAILS) private readonly details: ReadinessDetail[] = [],
  ) {}

  private latest?: CachedReadiness;

  @Get('live')
  @ApiOperation({ summary: 'Liveness', description: 'Answers 200 while the process runs; touches no dependency.' })
  @ApiOkResponse({
    schema: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['ok'] } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * 200 or 503 with terminus's `{status, info, error, details}` body (not problem+json: probes parse
   * it), each component showing only its status (and the provider breaker its state; see
   * publicReadiness). The route is unauthenticated and never rate limited, so a flood must not
   * become a flood of database and Redis round trips: concurrent calls share one check, and a
   * result is reused for HEALTH_READY_CACHE_MS.
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness',
    description:
      '200 when PostgreSQL (with its query timeouts) and Redis answer, else 503 (also while draining on shutdown); @nestjs/terminus shape. Each component shows only its status, and the payment provider its breaker state; figures are on the metrics listener. Results are shared by concurrent probes and reused briefly.',
  })
  @ApiOkResponse({ description: 'Ready: every component is up.', schema: READINESS_SCHEMA })
  @ApiServiceUnavailableResponse({
    description: 'Not ready: a component is down, or the instance is draining for shutdown.',
    schema: READINESS_SCHEMA,
  })
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    if (this.drain.draining) {
      // Stopping: out of rotation at once, whatever the dependencies say (see ShutdownDrain).
      void reply.status(503).header('retry-after', '5');
      const error = { shutdown: { status: 'down' as const, message: 'draining' } };
      return { status: 'error', info: {}, error, details: error };
    }
    const now = Date.now();
    if (!this.latest || (this.latest.settled && now - this.latest.at >= this.config.readyCacheMs)) {
      const entry: CachedReadiness = { at: now, settled: false, result: this.check() };
      void entry.result.then(
        () => {
          entry.settled = true;
          entry.at = Date.now();
        },
        () => {
          entry.settled = true;
          entry.at = 0; // never reuse a failed check
        },
      );
      this.latest = entry;
    }
    const { ok, result } = await this.latest.result;
    if (!ok) void reply.status(503).header('retry-after', '5');
    return publicReadiness(result);
  }

  /** Runs one dependency check and records how long it took (gateway_readiness_check_duration_seconds). */
  private async timed(
    dependency: ReadinessDependency,
    check: () => Promise<HealthIndicatorResult>,
  ): Promise<HealthIndicatorResult> {
    const started = performance.now();
    try {
      return await check();
    } finally {
      this.metrics.readinessChecked(dependency, (performance.now() - started) / 1000);
    }
  }

  private async check(): Promise<{ ok: boolean; result: HealthCheckResult }> {
    try {
      const result = await this.health.check([
        () => this.timed('database', () => this.database.check('database')),
        () => this.timed('redis', () => this.redis.check('redis')),
        ...this.details.map((detail) => (): Promise<HealthIndicatorResult> => detail.report()),
      ]);
      return { ok: true, result };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { ok: false, result: error.getResponse() as HealthCheckResult };
    }
  }
}
