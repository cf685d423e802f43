import { Algorithm } from '@node-rs/argon2';
import type { OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';
import { DEFAULT_PASSWORD_HASH_NICE } from '../../../platform/config/environment.schema';
import { HashingThreadError, HashingThreads } from './hashing-threads';

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
  /** Nice value of the hashing threads on Linux (PASSWORD_HASH_NICE; 0 keeps the event loop's priority). */
  niceness?: number;
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
 * HashingBusyError (503 with Retry-After at the edge) instead of piling up. The hashes run on
 * threads of their own at a lower scheduling priority (HashingThreads), so a login flood cannot
 * take a core from the event loop that answers every other request and the probes.
 */
export class PasswordHasher implements OnModuleDestroy {
  private readonly bulkhead: BulkheadPolicy;
  private readonly threads: HashingThreads;
  private dummyHash?: Promise<string>;

  /** `onVerify` is told of every verification that runs (dummy ones included): the honest count of passwords checked. */
  constructor(
    private readonly limits: PasswordHasherLimits,
    private readonly onVerify: () => void = () => undefined,
  ) {
    this.bulkhead = bulkhead(limits.concurrency, limits.queue);
    this.threads = new HashingThreads(limits.concurrency, limits.niceness ?? DEFAULT_PASSWORD_HASH_NICE);
  }

  /** Stops the hashing threads (the module's shutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.threads.close();
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
    return this.guarded(() => this.threads.hash(password, ARGON2_OPTIONS));
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
      // A stored hash argon2 cannot read is a mismatch; a hashing thread that died is not.
      return this.threads.verify(target, password).catch((error: unknown) => {
        if (error instanceof HashingThreadError) throw error;
        return false;
      });
    });
    return passwordHash !== undefined && matches;
  }

  /**
   * Readies the login path's hashing before the gateway reports ready: computes the dummy hash
   * (the first unknown-email login's timing would differ otherwise) and starts every hashing
   * thread with one verification each, so that the first burst of logins starts no Worker on the
   * event loop.
   */
  async warmUp(): Promise<void> {
    const dummy = await this.dummy();
    await this.threads.startAll(dummy, randomBytes(16).toString('base64url'));
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.threads.hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS).catch((error) => {
      this.dummyHash = undefined; // computed again by the next caller
      throw error instanceof HashingThreadError ? new HashingBusyError() : error;
    });
    return this.dummyHash;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.bulkhead.execute(work);
    } catch (error) {
      // No slot, or the thread holding this one died (the next task starts a fresh one): retry soon.
      if (error instanceof BulkheadRejectedError || error instanceof HashingThreadError) {
        throw new HashingBusyError();
      }
      throw error;
    }
  }
}
