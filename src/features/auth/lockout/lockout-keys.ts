import { createHmac } from 'node:crypto';
import { budgetKey } from '../../../platform/rate-limit/client-identity';
import { normalizeEmail } from '../../users';

/** The Redis keys (before REDIS_KEY_PREFIX) of one account as seen from one client. */
export interface AttemptKeys {
  /** `lockout:{<account>}:client:<client>`: this client's failures on this account (the lock). */
  pair: string;
  /** `lockout:{<account>}:all`: the account's failures from every client. */
  all: string;
  /** `lockout:{<account>}:known:<client>`: present while this client is known to the account. */
  known: string;
  /** `lockout:{<account>}:clients`: the set of client digests that have a `pair` counter (for unlock). */
  index: string;
  /** `lockout:by-client:{rl:<address digest>}`: this client's failures across every account (see clientFailuresKey). */
  byClient: string;
  /** The client's digest (the member of `index`, and the hashed identifier in security logs). */
  clientDigest: string;
  /** The account's digest, shortened, for security logs. */
  accountTag: string;
}

/**
 * The key of one client's failures across every account: it carries the client's rate-limit budget
 * key (`rl:<address digest>`, see budgetKey) as its hash tag, so it lives in the slot of the
 * client's rate-limit counters and the rate-limit script call of refresh and logout can read it
 * (@ReadWithRateLimit): one Redis round trip for both.
 */
export function clientFailuresKey(budget: string): string {
  return `lockout:by-client:{${budget}}`;
}

/**
 * Key names of the lockout counters. Neither email nor address appears in clear. The account's
 * keys, and the client's digest within them, are HMAC-SHA-256 digests under a key derived from
 * REFRESH_TOKEN_PEPPER, so they cannot be reversed by hashing a list of addresses (all of IPv4 is
 * small enough to enumerate with a plain hash). The per-client counter across accounts is named by
 * the rate-limit budget's digest (SHA-256 of the address, a pseudonym, as for the rate-limit keys
 * of the same client): it says of an address only what its rate-limit keys already say, plus that
 * it failed logins.
 *
 * Hash tags (the braces) decide the Redis Cluster slot: every key of one account shares the tag
 * `{<account digest>}`, so one script may read and write all of them atomically; the per-client
 * counter across accounts carries the client's rate-limit tag `{rl:<address digest>}`, a different
 * slot, and is counted by a script call of its own at login and read in the rate-limit script
 * call on refresh and logout.
 */
export class LockoutKeys {
  private readonly secret: Buffer;

  constructor(pepper: string) {
    this.secret = createHmac('sha256', pepper).update('lockout-key-v1').digest();
  }

  /** The account's digest. The email is normalized here again, so no spelling splits its counters. */
  account(email: string): string {
    return createHmac('sha256', this.secret).update(normalizeEmail(email), 'utf8').digest('hex');
  }

  /** The client address's digest (128 bits are plenty for a key name). */
  client(address: string): string {
    return createHmac('sha256', this.secret).update(`client\0${address}`, 'utf8').digest('hex').slice(0, 32);
  }

  /** Every key of the account (`{<account>}` tag) that does not depend on a client. */
  accountKeys(email: string): { all: string; index: string; pairPrefix: string; knownPrefix: string; tag: string } {
    const account = this.account(email);
    return {
      all: `lockout:{${account}}:all`,
      index: `lockout:{${account}}:clients`,
      pairPrefix: `lockout:{${account}}:client:`,
      knownPrefix: `lockout:{${account}}:known:`,
      tag: account.slice(0, 16),
    };
  }

  byClient(address: string): string {
    return clientFailuresKey(budgetKey(address));
  }

  attempt(email: string, address: string): AttemptKeys {
    const account = this.accountKeys(email);
    const client = this.client(address);
    return {
      pair: `${account.pairPrefix}${client}`,
      all: account.all,
      known: `${account.knownPrefix}${client}`,
      index: account.index,
      byClient: this.byClient(address),
      clientDigest: client,
      accountTag: account.tag,
    };
  }
}
