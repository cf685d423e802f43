import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { PrismaClient } from '../../generated/prisma/client';
import { databaseConfig } from './database.config';
import { SettledPool } from './settled-pool';
import { MetricsService } from '../metrics/metrics.service';
import {
  expectedBounds,
  OBSERVE_BOUNDS_SQL,
  ObservedBounds,
  ObservedRow,
  parseObserved,
  PoolMode,
  QueryBounds,
  startupParameters,
  unboundedReason,
} from './query-bounds';
import {
  OBSERVE_PRIVILEGES_SQL,
  ObservedPrivilegesRow,
  privilegeFindings,
  PrivilegeFindings,
  privilegeProblem,
  RUNTIME_GRANTS,
} from './runtime-privileges';

/**
 * The Prisma client on a bounded pg pool: at most DB_POOL_MAX connections, a wait for a free one
 * of at most DB_POOL_TIMEOUT_MS, and a server-side statement_timeout so a runaway query is
 * cancelled by PostgreSQL itself. Query logging is off; only warnings and errors, never parameters.
 *
 * The timeouts are sent as startup parameters (DB_POOL_MODE=session) or left to the server's role
 * defaults behind a transaction pooler (DB_POOL_MODE=transaction); either way they are read back
 * at start, and the gateway refuses to start when its queries would not be bounded. Prisma's
 * statements are unnamed (adapter-pg's default), which transaction pooling requires; the hot reads
 * on `pool` may be named (prepared once per connection) only when `namedStatements` says so.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);
  private readonly bounds: QueryBounds;
  private readonly mode: PoolMode;
  private readonly production: boolean;
  /**
   * The pool under the adapter, for the few hot reads that skip Prisma's query compiler (see
   * PaymentsRepository.find). Same bounds: DB_POOL_MAX, DB_POOL_TIMEOUT_MS, statement_timeout.
   */
  readonly pool: Pool;
  /**
   * True in session mode: a statement prepared on a connection stays there, so a hot read may be
   * a named (prepared) statement. Behind a transaction pooler consecutive statements can land on
   * different server connections, so every statement stays unnamed.
   */
  readonly namedStatements: boolean;

  constructor(@Inject(databaseConfig.KEY) config: ConfigType<typeof databaseConfig>, metrics: MetricsService) {
    // The pool is built here (not inside the adapter) so its counts can be read for metrics. Its
    // wait for a free client settles after pending I/O (SettledPool): a client released in time
    // is handed over even when the event loop stalled past DB_POOL_TIMEOUT_MS.
    const pool = new SettledPool({
      connectionString: config.url,
      max: config.poolMax,
      connectionTimeoutMillis: config.poolTimeoutMs,
      ...startupParameters(config.poolMode, config.statementTimeoutMs),
      idleTimeoutMillis: 30_000,
      application_name: 'hardened-gateway',
    });
    super({
      // The adapter bundles its own (older) @types/pg; at run time both are the one `pg` package.
      adapter: new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0], {
        disposeExternalPool: true,
      }),
      log: [
        { emit: 'event', level: 'warn' },
        { emit: 'event', level: 'error' },
      ],
    });
    this.pool = pool;
    this.bounds = expectedBounds(config.statementTimeoutMs);
    this.mode = config.poolMode;
    this.production = config.production;
    this.namedStatements = config.poolMode === 'session';
    metrics.watchDbPool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
    this.$on('warn' as never, (e: { message: string }) => this.logger.warn(e.message));
    // Every failed query also throws to its caller, which handles the expected ones (a unique
    // violation is a 409 or an idempotent replay) and lets the rest reach the problem filter, which
    // logs them. Logging the event at error level too would let any client write ERROR lines at
    // request rate, so it is kept for debugging only.
    this.$on('error' as never, (e: { message: string }) => this.logger.debug(e.message));
  }

  /** The timeouts a pooled session really runs with (one round trip). */
  async observeBounds(): Promise<ObservedBounds> {
    const [row] = await this.$queryRawUnsafe<ObservedRow[]>(OBSERVE_BOUNDS_SQL);
    if (!row) throw new Error('observing the session bounds returned no row');
    return parseObserved(row);
  }

  /** Why queries are not bounded as configured, or undefined when they are. */
  async unboundedReason(): Promise<string | undefined> {
    return unboundedReason(await this.observeBounds(), this.bounds, this.mode);
  }

  /** What the connection's role may do beyond, or short of, what the gateway needs (one round trip). */
  async privilegeFindings(): Promise<PrivilegeFindings> {
    const rows = await this.$queryRawUnsafe<ObservedPrivilegesRow[]>(OBSERVE_PRIVILEGES_SQL, [
      ...RUNTIME_GRANTS.functions,
    ]);
    const row = rows[0];
    if (!row) throw new Error('The privilege check answered no row.');
    return privilegeFindings(row);
  }

  /**
   * Refuses to start when the database answers but would run queries without the configured
   * timeouts, and, with NODE_ENV=production, when the role is not a least-privilege runtime role
   * (superuser, owner, missing or extra grants; elsewhere that is one warning). An unreachable
   * database does not stop the start (readiness reports it, and keeps checking the bounds once it
   * answers).
   */
  async onModuleInit(): Promise<void> {
    let reason: string | undefined;
    try {
      reason = await this.unboundedReason();
    } catch {
      this.logger.warn(
        'Could not verify the database timeouts and role at start (database unreachable); readiness will check the timeouts.',
      );
      return;
    }
    if (reason !== undefined) throw new Error(`Refusing to start: ${reason}`);
    // The database answered a moment ago: a failure here is not an outage, and is not waved through.
    const privileges = privilegeProblem(await this.privilegeFindings());
    if (privileges === undefined) return;
    if (this.production) throw new Error(`Refusing to start: ${privileges}`);
    this.logger.warn(`${privileges} With NODE_ENV=production the gateway refuses to start.`);
  }

  /** After the HTTP server has closed (in-flight requests still need the pool), not before. */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
