import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { withTimeout } from '../health/with-timeout';
import { REDIS } from './redis.constants';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'redis', timeoutMs = 1000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    const started = Date.now();
    try {
      await withTimeout(this.redis.ping(), timeoutMs);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch {
      return indicator.down({ message: `Redis did not answer (connection ${this.redis.status})` });
    }
  }
}
