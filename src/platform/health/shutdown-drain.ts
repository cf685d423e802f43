import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigType } from '@nestjs/config';
import { healthConfig } from './health.config';

/**
 * The first step of a graceful stop. Nest closes in this order: destroy hooks, this hook, the HTTP
 * server (in-flight requests finish; keep-alive sockets get `Connection: close`), then the
 * shutdown hooks: the identity invalidation listener, the database and Redis clients. Here
 * readiness turns 503 at once and the instance keeps serving for SHUTDOWN_DRAIN_MS, time for a
 * load balancer's health check to take it out of rotation before it stops listening. Whatever a
 * request needs (the database, Redis, identity invalidations from other instances) therefore stays
 * up until the server has closed: nothing may stop in a destroy hook that a request depends on.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownDrain.name);
  private state = false;

  constructor(@Inject(healthConfig.KEY) private readonly config: ConfigType<typeof healthConfig>) {}

  get draining(): boolean {
    return this.state;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.state = true;
    if (this.config.shutdownDrainMs <= 0) return;
    this.logger.log(
      `${signal ?? 'close'}: readiness is 503; serving for ${this.config.shutdownDrainMs} ms before closing the listener`,
    );
    await sleep(this.config.shutdownDrainMs);
  }
}
