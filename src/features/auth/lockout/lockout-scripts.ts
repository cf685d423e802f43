/**
 * The lockout's Lua scripts. Each runs atomically in Redis and touches keys of one hash tag only,
 * so it runs unchanged on a standalone server, a Sentinel-managed primary and Redis Cluster.
 * Every counter gets its TTL in the same script that creates it: none can be left without one.
 */

/**
 * Per client, all accounts: KEYS[1] = `lockout:by-client:{<client>}`; ARGV = limit, window seconds.
 * Refuses ({1, ttl}) once the count has reached the limit; otherwise counts this attempt now,
 * before any password is checked ({0, count}), so parallel attempts cannot overshoot. A new
 * counter gets the window; the attempt that reaches the limit restarts it, so the refusal lasts
 * the full window.
 */
export const CLIENT_BEGIN = `
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then
  return {1, redis.call('TTL', KEYS[1])}
end
count = redis.call('INCR', KEYS[1])
if count == 1 or count == limit then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {0, count}`;

/** Gives back counted attempts that were not failures: DECR each existing key, DEL at zero. */
export const REFUND = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
  end
end
return 1`;

/** {count, ttl} of one counter, in one round trip. */
export const READ = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('TTL', KEYS[1])}`;

/**
 * The account's two counters for one attempt, all under the account's hash tag.
 * KEYS: 1 pair (this client on this account), 2 all (every client), 3 known marker of this
 * client, 4 index of clients with a pair counter. ARGV: threshold, account threshold, window
 * seconds, client digest.
 * Returns {1, ttl} when this client is locked out of the account, {2, ttl} when the account is
 * closed to clients it does not know and this is one of them; otherwise counts the attempt on
 * both counters up front and returns {0, pair count, all count, known (0/1)}.
 */
export const ACCOUNT_BEGIN = `
local threshold = tonumber(ARGV[1])
local accountThreshold = tonumber(ARGV[2])
local pair = tonumber(redis.call('GET', KEYS[1]) or '0')
if pair >= threshold then
  return {1, redis.call('TTL', KEYS[1])}
end
local known = redis.call('EXISTS', KEYS[3])
local all = tonumber(redis.call('GET', KEYS[2]) or '0')
if known == 0 and all >= accountThreshold then
  return {2, redis.call('TTL', KEYS[2])}
end
pair = redis.call('INCR', KEYS[1])
if pair == 1 or pair == threshold then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
all = redis.call('INCR', KEYS[2])
if all == 1 or all == accountThreshold then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('EXPIRE', KEYS[4], ARGV[3])
return {0, pair, all, known}`;

/**
 * A successful login. KEYS as ACCOUNT_BEGIN; ARGV: known-client TTL seconds, client digest.
 * Resets this client's counter, gives back the attempt counted on the account, and makes the
 * client known to the account (for KNOWN_CLIENT_TTL_DAYS from now).
 */
export const ACCOUNT_SUCCESS = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[1])
return 1`;
