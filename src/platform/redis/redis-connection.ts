import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisMode } from '../config/redis-topology';
import { redisUrlDatabase } from '../config/redis-topology';
import type { RedisClient } from './redis.constants';
import { settleCommandTimeoutsAfterIo } from './command-timeout';
import { coalesceClusterWritesPerTurn, coalesceWritesPerTurn } from './write-coalescing';

// Every client is built here: a reply that arrived in time beats its command's timeout.
settleCommandTimeoutsAfterIo();

export class RedisBootError extends Error {
  constructor(reason: string) {
    super(`Refusing to start: Redis check failed (${reason}). Check REDIS_URL and that Redis is reachable.`);
    this.name = 'RedisBootError';
  }
}

/** What the connection factory needs: the `redis` config slice (src/platform/redis/redis.config.ts). */
export interface RedisTopology {
  mode: RedisMode;
  url: string;
  keyPrefix: string;
  clusterNodes: readonly string[];
  sentinels: readonly string[];
  sentinelMaster?: string;
  sentinelPassword?: string;
}

/** Reconnect forever with capped backoff: Redis coming back must heal the gateway on its own. */
const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

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
    // No auto-pipelining: it holds commands for a shared pipeline that is sent only after the
    // previous one has answered, so every request's Redis call waits out another round trip and its
    // objects live long enough to be promoted to V8's old generation (about 3 KB per payment read
    // at 50 connections; docs/performance.md, Memory). The commands of one event-loop turn still
    // leave in one write (coalesceWritesPerTurn, below), without waiting on any reply.
    enableAutoPipelining: false,
    retryStrategy: backoff,
    reconnectOnError: () => false,
  };
}

/** `host:port` (IPv6 in brackets) as ioredis wants it. */
function parseHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) };
}

/** REDIS_URL's credentials, TLS choice and database, for the modes that take their hosts elsewhere. */
function urlCredentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls' | 'db'> {
  const parsed = new URL(url);
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    db: redisUrlDatabase(url) ?? 0,
  };
}

function clusterClient(topology: RedisTopology): Cluster {
  const url = new URL(topology.url);
  const seeds = [
    { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) },
    ...topology.clusterNodes.map(parseHostPort),
  ];
  const { username, password, tls } = urlCredentials(topology.url);
  const { keyPrefix, connectTimeout, commandTimeout, maxRetriesPerRequest, reconnectOnError, enableAutoPipelining } =
    redisOptions(topology.keyPrefix);
  const options: ClusterOptions = {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    // Off, as for the other topologies (redisOptions()): the Cluster's auto-pipelining keeps one
    // shared pipeline per slot's master in flight, with the same wait and the same promoted objects.
    enableAutoPipelining,
    // Every command goes to the master of its slot: counters must be read where they are written.
    scaleReads: 'master',
    clusterRetryStrategy: backoff,
    // A moved slot or a promoted replica is retried briefly (one redirect, a slot-table refresh);
    // longer than that, the command fails like in an outage and the callers' fallbacks take over.
    maxRedirections: 4,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 1000,
    slotsRefreshInterval: 5000,
    redisOptions: {
      username,
      password,
      tls,
      connectTimeout,
      commandTimeout,
      maxRetriesPerRequest,
      reconnectOnError,
    },
  };
  return new Cluster(seeds, options);
}

function sentinelClient(topology: RedisTopology): Redis {
  const { username, password, tls, db } = urlCredentials(topology.url);
  return new Redis({
    ...redisOptions(topology.keyPrefix),
    sentinels: topology.sentinels.map(parseHostPort),
    name: topology.sentinelMaster,
    role: 'master',
    sentinelPassword: topology.sentinelPassword,
    username,
    password,
    db,
    tls,
    enableTLSForSentinelMode: tls !== undefined,
    sentinelTLS: tls,
    sentinelRetryStrategy: backoff,
    sentinelCommandTimeout: 1000,
    // Sentinels announce +switch-master: drop the old primary at once instead of waiting for errors.
    failoverDetector: true,
    // A demoted primary answers writes with READONLY: reconnect, which asks the sentinels again.
    reconnectOnError: (error) => /^READONLY/.test(error.message),
  });
}

/** A client for the configured topology, not yet connected (see connectRedisOrFail). */
export function createRedisClient(topology: RedisTopology): RedisClient {
  switch (topology.mode) {
    case 'cluster':
      return coalesceClusterWritesPerTurn(clusterClient(topology));
    case 'sentinel':
      return coalesceWritesPerTurn(sentinelClient(topology));
    default:
      return coalesceWritesPerTurn(new Redis(topology.url, redisOptions(topology.keyPrefix)));
  }
}

/** Why a connection attempt failed, in words that cannot contain the URL or its password. */
function reasonOf(error: unknown, topology: RedisTopology): string {
  const message = error instanceof Error ? error.message : String(error);
  const sentinel = /sentinel/i.test(message) ? 'sentinel ' : '';
  if (/WRONGPASS|invalid username-password|NOAUTH|AUTH/i.test(message)) return `${sentinel}authentication failed`;
  if (/got an invalid reply: null|No such master/i.test(message)) {
    return `the sentinels know no master named ${topology.sentinelMaster ?? ''}`;
  }
  if (/role invalid|expected master/i.test(message)) return 'the sentinels name a server that is not a master';
  if (/cluster support disabled|not in cluster mode/i.test(message)) return 'REDIS_URL is not a cluster node';
  if (/ECONNREFUSED/.test(message)) return `${sentinel}connection refused`;
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return `${sentinel}host not found`;
  if (/ETIMEDOUT|timed? ?out/i.test(message)) return `${sentinel}connection timed out`;
  if (/CLUSTERDOWN|slot.*not served|Failed to refresh slots cache/i.test(message)) return 'the cluster is down';
  return 'unreachable';
}

/** Every master a cluster client knows answers PING (in standalone/sentinel: the one server). */
export async function pingEveryMaster(client: RedisClient): Promise<void> {
  if (!(client instanceof Cluster)) {
    if ((await client.ping()) !== 'PONG') throw new Error('unexpected PING reply');
    return;
  }
  const masters = client.nodes('master');
  const owners = new Set(client.slots.map((owners) => owners?.[0]).filter((key) => key !== undefined));
  const known = new Set(masters.map((node) => `${node.options.host}:${node.options.port}`));
  const missing = [...owners].filter((key) => !known.has(key));
  if (owners.size === 0 || missing.length > 0) throw new Error('CLUSTERDOWN: a slot owner is not connected');
  const replies = await Promise.all(masters.map((node) => node.ping()));
  if (replies.some((reply) => reply !== 'PONG')) throw new Error('unexpected PING reply');
}

/**
 * Connects, authenticates (ioredis sends AUTH from the URL's credentials) and PINGs once (every
 * master in cluster mode), without retries, so a boot with a wrong password, an unreachable Redis,
 * an unknown sentinel master name or a cluster with unserved slots stops at once.
 */
export async function connectRedisOrFail(topology: RedisTopology): Promise<RedisClient> {
  const client = createRedisClient(topology);
  const retries = noRetries(client);
  // The socket, sentinel and node errors say more than connect()'s own; a cluster reports one per seed.
  const errors: unknown[] = [];
  const remember = (error: unknown): number => errors.push(error);
  client.on('error', remember);
  client.on('sentinelError', remember);
  client.on('node error', remember);
  try {
    await client.connect();
    await pingEveryMaster(client);
  } catch (error) {
    client.disconnect();
    throw new RedisBootError(mostSpecificReason([error, ...errors], topology));
  } finally {
    client.off('error', remember);
    client.off('sentinelError', remember);
    client.off('node error', remember);
  }
  retries.restore();
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

/** An authentication failure anywhere explains the rest; otherwise the first specific cause wins. */
function mostSpecificReason(errors: unknown[], topology: RedisTopology): string {
  const reasons = errors.map((error) => reasonOf(error, topology));
  return (
    reasons.find((reason) => /authentication/.test(reason)) ??
    reasons.find((reason) => reason !== 'unreachable') ??
    'unreachable'
  );
}

/** Boot makes exactly one attempt; afterwards the client reconnects forever (see backoff). */
function noRetries(client: RedisClient): { restore: () => void } {
  if (client instanceof Cluster) {
    client.options.clusterRetryStrategy = () => null;
    return { restore: () => (client.options.clusterRetryStrategy = backoff) };
  }
  client.options.retryStrategy = () => null;
  if (client.options.sentinels) client.options.sentinelRetryStrategy = () => null;
  return {
    restore: () => {
      client.options.retryStrategy = backoff;
      if (client.options.sentinels) client.options.sentinelRetryStrategy = backoff;
    },
  };
}
