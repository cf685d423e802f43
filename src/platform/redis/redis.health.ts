import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { withTimeout } from '../health/with-timeout';
import { pingEveryMaster } from './redis-connection';
import { REDIS, type RedisClient } from './redis.constants';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'redis', timeoutMs = 1000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      // In cluster mode every master must answer: a slot without a reachable master fails its keys.
      await withTimeout(pingEveryMaster(this.redis), timeoutMs);
      return indicator.up();
    } catch {
      return indicator.down({ message: `Redis did not answer (connection ${this.redis.status})` });
    }
  }
}
