import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { ConfigType } from '@nestjs/config';
import { PrismaService } from '../../../platform/database/prisma.service';
import { REDIS, REDIS_SUBSCRIBER } from '../../../platform/redis/redis.constants';
import { canonicalUuid } from '../../../platform/validation/uuid';
import { Identity, IdentityCache } from './identity-cache';
import { identityConfig } from './identity.config';

/** The pub/sub channel of identity invalidations; the key prefix keeps deployments (and test runs) apart. */
export function invalidationChannel(keyPrefix: string): string {
  return `${keyPrefix}identity:invalidate`;
}

/**
 * The identities the auth guard checks, cached per instance so that the steady state needs no
 * database round trip, and kept honest across instances:
 * - every change that matters to the guard (disable, enable, role change, revoke-sessions)
 *   calls `invalidate`, which drops the local entry at once and publishes the user id on
 *   `<REDIS_KEY_PREFIX>identity:invalidate`; every instance drops that entry when the message
 *   arrives;
 * - a message can be lost (Redis down, a reconnect, a partition), so an entry is trusted for at
 *   most IDENTITY_CACHE_TTL_MS after it was read, and the whole cache is dropped whenever the
 *   subscription connection closes or comes back;
 * - a read that started before an invalidation is not stored (it may predate the change).
 * - it listens until the HTTP server has closed, through the whole SHUTDOWN_DRAIN_MS drain.
 * With IDENTITY_CACHE_TTL_MS=0 every request reads the user row.
 */
@Injectable()
export class UserIdentities implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('IdentityCache');
  private readonly cache: IdentityCache;
  private readonly channel: string;
  private readonly inFlight = new Map<string, { generation: number; read: Promise<Identity | null> }>();
  private readonly listeners = new Set<(userId: string) => void>();
  /** `down` after a subscribed connection was lost, until it is back (for logging once per outage). */
  private subscription: 'starting' | 'up' | 'down' = 'starting';

  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    @Inject(identityConfig.KEY) config: ConfigType<typeof identityConfig>,
  ) {
    this.cache = new IdentityCache(config.cacheTtlMs, config.cacheMaxEntries);
    this.channel = invalidationChannel(config.redisKeyPrefix);
  }

  async onModuleInit(): Promise<void> {
    if (!this.cache.enabled) return;
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    this.subscriber.on('close', this.onLost);
    this.subscriber.on('error', this.onLost);
    // Boot does not wait on this forever: while unsubscribed, entries still expire after the TTL.
    try {
      if (this.subscriber.status === 'wait') await this.subscriber.connect();
      await this.subscriber.subscribe(this.channel);
      this.subscription = 'up';
    } catch (error) {
      this.onLost(error);
      // Queued until the connection is up (offline queue on); then re-sent after every reconnect.
      this.subscriber.subscribe(this.channel).catch(() => undefined);
    }
  }

  /**
   * Stops listening only once the HTTP server has closed (Nest's order: destroy hooks, the
   * SHUTDOWN_DRAIN_MS wait, the server's close, then these hooks, Redis's last): a draining
   * instance still serves requests, so it must still apply disables and revocations made elsewhere.
   */
  onApplicationShutdown(): void {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
    this.subscriber.off('close', this.onLost);
    this.subscriber.off('error', this.onLost);
    this.cache.clear();
  }

  /**
   * The user's identity if the cache holds it fresh enough (as `get` would answer it without a
   * read), else undefined; synchronous, for the guard's steady state.
   */
  cached(userId: string): Identity | undefined {
    return this.cache.enabled ? this.cache.get(userId) : undefined;
  }

  /** The user's identity, from the cache when it is fresh enough, else from the database. */
  get(userId: string, options: { fresh?: boolean } = {}): Promise<Identity | null> {
    if (!this.cache.enabled) return this.read(userId, this.cache.generation);
    if (!options.fresh) {
      const cached = this.cache.get(userId);
      if (cached) return Promise.resolve(cached);
    }
    // Concurrent misses for one user share one read (unless an invalidation came in between).
    const generation = this.cache.generation;
    const pending = this.inFlight.get(userId);
    if (pending && pending.generation === generation) return pending.read;
    const read = this.read(userId, generation);
    this.inFlight.set(userId, { generation, read });
    return read;
  }

  /**
   * Call after a committed change to the user's enabled flag, role or session version: drops the
   * local entry now and tells every other instance. A failed publish is logged, not thrown: the
   * change is committed, and other instances re-read the row within IDENTITY_CACHE_TTL_MS anyway.
   */
  async invalidate(id: string): Promise<void> {
    // Callers pass the canonical form already (the edge lower-cases ids); this keeps one key per user regardless.
    const userId = canonicalUuid(id) ?? id;
    this.cache.delete(userId);
    this.inFlight.delete(userId);
    if (!this.cache.enabled) return;
    try {
      await this.redis.publish(this.channel, userId);
    } catch (error) {
      this.logger.warn(
        `identity invalidation not published (${(error as Error).message.slice(0, 200)}): ` +
          'other instances apply the change within IDENTITY_CACHE_TTL_MS',
      );
    }
  }

  /** Observes applied invalidations (tests measure cross-instance propagation with it). */
  onInvalidated(listener: (userId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** False while the invalidation subscription is down (entries then live at most the TTL). */
  get listening(): boolean {
    return this.subscription === 'up';
  }

  get cachedEntries(): number {
    return this.cache.size;
  }

  private async read(userId: string, generation: number): Promise<Identity | null> {
    try {
      const row = await this.prisma.user.findUnique({
        where: { id: userId },
        select: { id: true, email: true, role: true, disabled: true, sessionVersion: true },
      });
      if (row) this.cache.set(row, generation);
      return row;
    } finally {
      if (this.inFlight.get(userId)?.generation === generation) this.inFlight.delete(userId);
    }
  }

  private readonly onMessage = (channel: string, message: string): void => {
    if (channel !== this.channel) return;
    // Lower-cased: an instance of an older release may still publish the id as a client spelled it.
    const userId = canonicalUuid(message);
    if (userId === undefined) return;
    this.cache.delete(userId);
    this.inFlight.delete(userId);
    for (const listener of this.listeners) listener(userId);
  };

  /** (Re)subscribed: messages may have been missed while the connection was down. */
  private readonly onReady = (): void => {
    this.cache.clear();
    this.inFlight.clear();
    if (this.subscription === 'down') this.logger.log('identity invalidations connected again: cache dropped');
    this.subscription = 'up';
  };

  /** Once per outage (reconnect attempts repeat these events): entries read from now on live until `ready` or the TTL. */
  private readonly onLost = (error?: unknown): void => {
    if (this.subscription === 'down') return;
    this.subscription = 'down';
    this.cache.clear();
    this.inFlight.clear();
    const reason = error instanceof Error ? ` (${error.message.slice(0, 200)})` : '';
    this.logger.warn(
      `identity invalidations disconnected${reason}: cache dropped; entries re-read after IDENTITY_CACHE_TTL_MS`,
    );
  };
}
