import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/** Injection token of the one shared ioredis client. */
export const REDIS = Symbol('REDIS');

/**
 * Injection token of a second connection for pub/sub only (a subscribed connection cannot run
 * other commands). Built with `duplicate()` from the shared client, so it follows whatever
 * topology and credentials that client was built with.
 */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');

/**
 * The one shared client: a plain client (standalone, or a Sentinel-managed primary) or a Cluster
 * client. Both speak the same commands, `defineCommand`, `eval` and `duplicate()`.
 */
export type RedisClient = Redis | Cluster;
