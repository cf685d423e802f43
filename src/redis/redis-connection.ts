import Redis, { Cluster, RedisOptions } from 'ioredis';

export class RedisBootError extends Error {
  constructor(reason: string) {
    super(`Refusing to start: Redis check failed (${reason}). Check REDIS_URL and that Redis is reachable.`);
    this.name = 'RedisBootError';
  }
}

/**
 * Options shared by every client built from REDIS_URL (redis:// or rediss://, with optional
 * username/password for ACL users). Commands fail fast while disconnected instead of queueing,
 * so a Redis outage turns into quick errors for callers, never hung requests.
 */
export function redisOptions(keyPrefix: string): RedisOptions {
  return {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    // Commands issued in the same tick (e.g. the named rate limits of one request) share one write.
    enableAutoPipelining: true,
    // Reconnect forever with capped backoff: Redis coming back must heal the gateway on its own.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    reconnectOnError: () => false,
  };
}

/** Why a connection attempt failed, in words that cannot contain the URL or its password. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/WRONGPASS|invalid username-password|NOAUTH|AUTH/i.test(message)) return 'authentication failed';
  if (/ECONNREFUSED/.test(message)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'host not found';
  if (/ETIMEDOUT|timed? ?out/i.test(message)) return 'connection timed out';
  return 'unreachable';
}

/**
 * Connects, authenticates (ioredis sends AUTH from the URL's credentials) and PINGs once,
 * without retries, so a boot with a wrong password or an unreachable Redis stops at once.
 */
export async function connectRedisOrFail(url: string, keyPrefix: string): Promise<Redis> {
  const client = new Redis(url, { ...redisOptions(keyPrefix), retryStrategy: () => null });
  let firstError: unknown;
  client.on('error', (error: unknown) => (firstError ??= error)); // the socket error says more than connect()'s
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error('unexpected PING reply');
  } catch (error) {
    client.disconnect();
    throw new RedisBootError(reasonOf(/AUTH|WRONGPASS/i.test(String(error)) ? error : (firstError ?? error)));
  }
  client.options.retryStrategy = redisOptions(keyPrefix).retryStrategy;
  return client;
}

/**
 * A second connection for pub/sub (a subscribed connection can run nothing else), duplicated from
 * `client` so that it has the same endpoints, credentials, TLS and topology (a Cluster duplicates
 * as a Cluster). It connects when first used and queues commands until it is up.
 */
export function pubSubConnection<T extends Redis | Cluster>(client: T): T {
  const overrides = { lazyConnect: true, enableOfflineQueue: true };
  return (client instanceof Cluster ? client.duplicate([], overrides) : (client as Redis).duplicate(overrides)) as T;
}
