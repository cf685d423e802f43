import { Algorithm } from '@node-rs/argon2';
import type { OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DEFAULT_PASSWORD_HASH_NICE } from '../../../platform/config/environment.schema';
import { type HashingLane, HashingLanes, HashingLanesFullError } from './hashing-lanes';
import { HashingThreadError, HashingThreads } from './hashing-threads';

export type { HashingLane } from './hashing-lanes';

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
  /**
   * Further waiting places kept for logins from clients known to the account
   * (PASSWORD_HASH_KNOWN_CLIENT_QUEUE); slots alternate between the lanes. Default 0.
   */
  reservedForKnown?: number;
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
 * HashingBusyError (503 with Retry-After at the edge) instead of piling up. `reservedForKnown`
 * more places wait for verifications of the `known` lane (a client known to the account) only,
 * and get every other freed slot, so a flood cannot refuse an account's owner (HashingLanes).
 * The hashes run on threads of their own at a lower scheduling priority (HashingThreads), so a
 * login flood cannot take a core from the event loop that answers every other request and the
 * probes.
 */
export class PasswordHasher implements OnModuleDestroy {
  private readonly lanes: HashingLanes;
  private readonly threads: HashingThreads;
  private dummyHash?: Promise<string>;

  /** `onVerify` is told of every verification that runs (dummy ones included): the honest count of passwords checked. */
  constructor(
    limits: PasswordHasherLimits,
    private readonly onVerify: () => void = () => undefined,
  ) {
    this.lanes = new HashingLanes({
      concurrency: limits.concurrency,
      shared: limits.queue,
      reserved: limits.reservedForKnown ?? 0,
    });
    this.threads = new HashingThreads(limits.concurrency, limits.niceness ?? DEFAULT_PASSWORD_HASH_NICE);
  }

  /** Stops the hashing threads (the module's shutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.threads.close();
  }

  /** Callers waiting for a hashing slot right now, in both lanes. */
  get queued(): number {
    return this.lanes.queued;
  }

  /** Whether a verification of `lane` started now would run or wait, rather than be refused. */
  hasRoom(lane: HashingLane): boolean {
    return this.lanes.hasRoom(lane);
  }

  /**
   * Throws HashingBusyError when a verification of `lane` started now would be refused: every slot
   * and every place it may wait in is taken. Lets a login be refused before any other work
   * (lockout counters, the user lookup): under a flood that keeps the refusal as cheap as a
   * refusal can be.
   */
  assertCapacity(lane: HashingLane = 'shared'): void {
    if (!this.lanes.hasRoom(lane)) throw new HashingBusyError();
  }

  hash(password: string): Promise<string> {
    return this.guarded('shared', () => this.threads.hash(password, ARGON2_OPTIONS));
  }

  /**
   * True if `password` matches `passwordHash`. With no hash (unknown user) it verifies against a
   * dummy hash with the same parameters and returns false, so unknown and known accounts cost
   * the same time. `lane`: `known` for a login from a client known to the account.
   */
  async verify(passwordHash: string | undefined, password: string, lane: HashingLane = 'shared'): Promise<boolean> {
    const target = passwordHash ?? (await this.dummy());
    const matches = await this.guarded(lane, () => {
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

  private async guarded<T>(lane: HashingLane, work: () => Promise<T>): Promise<T> {
    try {
      return await this.lanes.run(lane, work);
    } catch (error) {
      // No place, or the thread holding this slot died (the next task starts a fresh one): retry soon.
      if (error instanceof HashingLanesFullError || error instanceof HashingThreadError) {
        throw new HashingBusyError();
      }
      throw error;
    }
  }
}
