/** How the gateway reaches Redis (REDIS_MODE). */
export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

/** The Redis variables of the environment, as validated field by field. */
export interface RedisTopologyVariables {
  REDIS_MODE: RedisMode;
  REDIS_URL: string;
  REDIS_CLUSTER_NODES: string[];
  REDIS_SENTINELS: string[];
  REDIS_SENTINEL_MASTER?: string;
  REDIS_SENTINEL_PASSWORD?: string;
}

/** The variables that belong to one mode only; setting one in another mode is a mistake, not a no-op. */
const ONLY_FOR: Record<string, RedisMode> = {
  REDIS_CLUSTER_NODES: 'cluster',
  REDIS_SENTINELS: 'sentinel',
  REDIS_SENTINEL_MASTER: 'sentinel',
  REDIS_SENTINEL_PASSWORD: 'sentinel',
};

/** The logical database REDIS_URL selects (`/<db>` path), or undefined when the URL does not parse. */
export function redisUrlDatabase(url: string): number | undefined {
  try {
    const path = new URL(url).pathname.replace(/^\//, '');
    if (path === '') return 0;
    return /^\d+$/.test(path) ? Number(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cross-variable rules of the Redis topology, checked at boot after each variable's own rules.
 * Messages name variables, never values (REDIS_URL and REDIS_SENTINEL_PASSWORD hold secrets).
 */
export function redisTopologyProblems(
  env: RedisTopologyVariables,
  raw: Record<string, string>,
): { variable: string; reason: string }[] {
  const problems: { variable: string; reason: string }[] = [];
  for (const [variable, mode] of Object.entries(ONLY_FOR)) {
    if (raw[variable] !== undefined && env.REDIS_MODE !== mode) {
      problems.push({ variable, reason: `only applies with REDIS_MODE=${mode}` });
    }
  }
  if (raw.REDIS_URL !== undefined && redisUrlDatabase(raw.REDIS_URL) === undefined) {
    problems.push({ variable: 'REDIS_URL', reason: 'its path must be a database number (/0, /1, ...) or empty' });
  }
  if (env.REDIS_MODE === 'cluster' && raw.REDIS_URL !== undefined && (redisUrlDatabase(raw.REDIS_URL) ?? 0) !== 0) {
    problems.push({
      variable: 'REDIS_URL',
      reason: 'must not select a database other than 0 with REDIS_MODE=cluster (Redis Cluster has only database 0)',
    });
  }
  if (env.REDIS_MODE === 'sentinel') {
    if (env.REDIS_SENTINELS.length === 0) {
      problems.push({ variable: 'REDIS_SENTINELS', reason: 'is required with REDIS_MODE=sentinel' });
    }
    if (raw.REDIS_SENTINEL_MASTER === undefined) {
      problems.push({ variable: 'REDIS_SENTINEL_MASTER', reason: 'is required with REDIS_MODE=sentinel' });
    }
  }
  return problems;
}
