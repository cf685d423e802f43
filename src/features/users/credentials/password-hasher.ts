import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';

/** argon2id at OWASP's minimum: 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasherLimits {
  /** Hashes computed at once (PASSWORD_HASH_CONCURRENCY). */
  concurrency: number;
  /** Callers allowed to wait for a slot (PASSWORD_HASH_QUEUE); the rest are refused. */
  queue: number;
}

/** Every hashing slot and queue place is taken: the sign-in is refused (503 at the edge), not queued. */
export class HashingBusyError extends Error {
  readonly retryAfterSeconds = 1;

  constructor() {
    super('too many password hashes in progress');
    this.name = 'HashingBusyError';
  }
}

/**
 * argon2id hashing behind a bulkhead. Hashing is expensive on purpose, so a burst of logins must
 * not take every core: beyond `concurrency` running and `queue` waiting, callers get a
 * HashingBusyError (503 with Retry-After at the edge) instead of piling up.
 */
export class PasswordHasher {
  private readonly bulkhead: BulkheadPolicy;
  private dummyHash?: Promise<string>;

  /** `onVerify` is told of every verification that runs (dummy ones included): the honest count of passwords checked. */
  constructor(
    private readonly limits: PasswordHasherLimits,
    private readonly onVerify: () => void = () => undefined,
  ) {
    this.bulkhead = bulkhead(limits.concurrency, limits.queue);
  }

  /** Callers waiting for a hashing slot right now. */
  get queued(): number {
    return this.limits.queue - this.bulkhead.queueSlots;
  }

  /**
   * Throws HashingBusyError when every slot and every queue place is taken, i.e. when a verification
   * started now would be refused. Lets a login be refused before any other work (lockout counters,
   * the user lookup): under a flood that keeps the refusal as cheap as a refusal can be.
   */
  assertCapacity(): void {
    if (this.bulkhead.executionSlots === 0 && this.bulkhead.queueSlots === 0) throw new HashingBusyError();
  }

  hash(password: string): Promise<string> {
    return this.guarded(() => hash(password, ARGON2_OPTIONS));
  }

  /**
   * True if `password` matches `passwordHash`. With no hash (unknown user) it verifies against a
   * dummy hash with the same parameters and returns false, so unknown and known accounts cost
   * the same time.
   */
  async verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    const target = passwordHash ?? (await this.dummy());
    const matches = await this.guarded(() => {
      this.onVerify();
      return verify(target, password).catch(() => false);
    });
    return passwordHash !== undefined && matches;
  }

  /** Computes the dummy hash ahead of the first unknown-email login (whose timing would differ). */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);
    return this.dummyHash;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.bulkhead.execute(work);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new HashingBusyError();
      }
      throw error;
    }
  }
}
