import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { databaseConfig } from './database.config';

/**
 * The Prisma client on a bounded pg pool: at most DB_POOL_MAX connections, a wait for a free one
 * of at most DB_POOL_TIMEOUT_MS, and a server-side statement_timeout so a runaway query is
 * cancelled by PostgreSQL itself. Query logging is off; only warnings and errors, never parameters.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);

  constructor(@Inject(databaseConfig.KEY) config: ConfigType<typeof databaseConfig>) {
    super({
      adapter: new PrismaPg({
        connectionString: config.url,
        max: config.poolMax,
        connectionTimeoutMillis: config.poolTimeoutMs,
        statement_timeout: config.statementTimeoutMs,
        // A transaction left open by a crashed request must not pin a connection forever.
        idle_in_transaction_session_timeout: Math.max(config.statementTimeoutMs * 2, 10_000),
        idleTimeoutMillis: 30_000,
        application_name: 'hardened-gateway',
      }),
      log: [
        { emit: 'event', level: 'warn' },
        { emit: 'event', level: 'error' },
      ],
    });
    this.$on('warn' as never, (e: { message: string }) => this.logger.warn(e.message));
    // Every failed query also throws to its caller, which handles the expected ones (a unique
    // violation is a 409 or an idempotent replay) and lets the rest reach the problem filter, which
    // logs them. Logging the event at error level too would let any client write ERROR lines at
    // request rate, so it is kept for debugging only.
    this.$on('error' as never, (e: { message: string }) => this.logger.debug(e.message));
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
