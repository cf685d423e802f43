import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { connectRedisOrFail } from './redis-connection';
import { REDIS, type RedisClient } from './redis.constants';
import { RedisHealthIndicator } from './redis.health';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: REDIS,
      inject: [ENV],
      useFactory: async (env: Env): Promise<RedisClient> => {
        const client = await connectRedisOrFail(env);
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
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
    // Also ends what quit() leaves behind: reconnect timers, a sentinel client's failover subscriptions.
    this.redis.disconnect();
  }
}
