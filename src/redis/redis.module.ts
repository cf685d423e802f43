import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type Redis from 'ioredis';
import type { ConfigType } from '@nestjs/config';
import { connectRedisOrFail } from './redis-connection';
import { REDIS } from './redis.constants';
import { redisConfig } from './redis.config';
import { RedisHealthIndicator } from './redis.health';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: async (config: ConfigType<typeof redisConfig>): Promise<Redis> => {
        const client = await connectRedisOrFail(config.url, config.keyPrefix);
        const logger = new Logger('Redis');
        let down = false;
        client.on('error', (error: Error) => {
          if (!down) logger.error(`Redis connection error: ${error.message}`);
          down = true;
        });
        client.on('ready', () => {
          if (down) logger.log('Redis connection restored');
          down = false;
        });
        return client;
      },
    },
    RedisHealthIndicator,
  ],
  exports: [REDIS, RedisHealthIndicator],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
