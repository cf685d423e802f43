import type { LimitCheck } from './redis-rate-limit.storage';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

/** One named limit's state for the current request, as the response headers report it. */
export interface LimitState {
  /** Policy name (`global`, `auth`). */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  /** Window length in seconds. */
  windowSeconds: number;
  /** Requests left in the current window (0 when refused). */
  remaining: number;
  /** Seconds until the budget resets (when refused: until the block ends, as in Retry-After). */
  resetSeconds: number;
}

/** What one counted limit reports: its policy, and the record the storage answered for it. */
export function limitState(check: LimitCheck, record: ThrottlerStorageRecord): LimitState {
  return {
    name: check.name,
    limit: check.limit,
    windowSeconds: Math.ceil(check.ttl / 1000),
    remaining: record.isBlocked ? 0 : Math.max(0, check.limit - record.totalHits),
    resetSeconds: Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire),
  };
}

/**
 * Rate-limit response headers for every limit that applied to a request:
 * - `RateLimit-Policy` and `RateLimit` as structured-field lists, one item per named limit, per
 *   draft-ietf-httpapi-ratelimit-headers (`"global";q=100;w=60` / `"global";r=97;t=42`);
 * - `X-RateLimit-Limit/-Remaining/-Reset` for the limit closest to running out (the common
 *   de-facto headers, which can describe only one limit).
 */
export function rateLimitHeaders(states: readonly LimitState[]): Record<string, string> {
  // One pass, no copies: most requests carry one or two limits.
  let tightest: LimitState | undefined;
  let policy = '';
  let current = '';
  for (const s of states) {
    if (
      tightest === undefined ||
      s.remaining < tightest.remaining ||
      (s.remaining === tightest.remaining && s.limit < tightest.limit)
    ) {
      tightest = s;
    }
    const separator = policy === '' ? '' : ', ';
    policy += `${separator}"${s.name}";q=${s.limit};w=${s.windowSeconds}`;
    current += `${separator}"${s.name}";r=${s.remaining};t=${s.resetSeconds}`;
  }
  if (!tightest) return {};
  return {
    'RateLimit-Policy': policy,
    RateLimit: current,
    'X-RateLimit-Limit': String(tightest.limit),
    'X-RateLimit-Remaining': String(tightest.remaining),
    'X-RateLimit-Reset': String(tightest.resetSeconds),
  };
}

/** The limit that refused a request, and for how many seconds more. */
export interface Refusal {
  name: string;
  timeToBlockExpire: number;
}

/**
 * What the storage answered for one request's checks: one record per check, in order, up to the
 * first that refuses (the limits after it were not counted). Gives the header state of each limit
 * counted and that refusal, if any; any other number of records is a storage fault.
 */
export function countedLimits(
  checks: readonly LimitCheck[],
  records: readonly ThrottlerStorageRecord[],
): { states: LimitState[]; refusal: Refusal | undefined } {
  if (records.length === 0 || records.length > checks.length) {
    throw new Error(`the rate-limit storage answered ${records.length} records for ${checks.length} limits`);
  }
  const states = records.map((record, i) => limitState(checks[i] as LimitCheck, record));
  const refused = records.findIndex((record) => record.isBlocked);
  const refusal =
    refused === -1
      ? undefined
      : {
          name: (checks[refused] as LimitCheck).name,
          timeToBlockExpire: (records[refused] as ThrottlerStorageRecord).timeToBlockExpire,
        };
  return { states, refusal };
}
