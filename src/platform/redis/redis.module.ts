import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { ConfigType } from '@nestjs/config';
import { connectRedisOrFail, pubSubConnection } from './redis-connection';
import { REDIS, REDIS_SUBSCRIBER, type RedisClient } from './redis.constants';
import { redisConfig } from './redis.config';
import { RedisHealthIndicator } from './redis.health';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: async (config: ConfigType<typeof redisConfig>): Promise<RedisClient> => {
        const client = await connectRedisOrFail(config);
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
    {
      provide: REDIS_SUBSCRIBER,
      inject: [REDIS],
      useFactory: (client: RedisClient): RedisClient => pubSubConnection(client),
    },
    RedisHealthIndicator,
  ],
  exports: [REDIS, REDIS_SUBSCRIBER, RedisHealthIndicator],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: RedisClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => undefined);
    // Also ends what quit() leaves behind: reconnect timers, a sentinel client's failover subscriptions.
    this.redis.disconnect();
  }
}
