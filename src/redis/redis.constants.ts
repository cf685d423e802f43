import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/** Injection token of the one shared ioredis client. */
export const REDIS = Symbol('REDIS');

/**
 * The one shared client: a plain client (standalone, or a Sentinel-managed primary) or a Cluster
 * client. Both speak the same commands, `defineCommand`, `eval` and `duplicate()`.
 */
export type RedisClient = Redis | Cluster;
