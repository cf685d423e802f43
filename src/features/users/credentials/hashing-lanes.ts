/**
 * Which waiting places a password verification may take. `shared`: any login. `known`: a login
 * from a client known to the account (it signed in there before); it may also take the places
 * kept for such clients; while both lanes wait, freed slots alternate between them.
 */
export type HashingLane = 'shared' | 'known';

/** Thrown by HashingLanes.run when every slot and every waiting place the lane may use is taken. */
export class HashingLanesFullError extends Error {
  constructor() {
    super('every hashing slot and waiting place is taken');
    this.name = 'HashingLanesFullError';
  }
}

export interface HashingLanesLimits {
  /** Tasks running at once. */
  concurrency: number;
  /** Waiting places any caller may take. */
  shared: number;
  /** Waiting places only the `known` lane may take. */
  reserved: number;
}

/**
 * A bulkhead with a reserved lane. At most `concurrency` tasks run; beyond that a task waits in a
 * place of its lane, or is refused at once (HashingLanesFullError) when none is free. A `known`
 * task takes a reserved place first and a shared one when the reserved are taken; a `shared` task
 * takes only shared places. Each lane is first in, first out; while both have tasks waiting, freed
 * slots alternate between them, so neither lane can starve the other.
 *
 * So however many unknown clients flood the logins, a client known to the account finds a place
 * (up to `reserved` of them at once) and waits for at most about two hashes per slot, never behind
 * the flood's queue; and however many known clients keep logging in, the shared lane still gets
 * every other slot.
 */
export class HashingLanes {
  private running = 0;
  /** The lane the last handed-over slot went to, while both lanes had tasks waiting. */
  private lastServed: HashingLane = 'shared';
  private readonly waiting: Record<HashingLane, Array<() => void>> = { shared: [], known: [] };

  constructor(private readonly limits: HashingLanesLimits) {}

  /** Tasks waiting for a slot, in both lanes. */
  get queued(): number {
    return this.waiting.shared.length + this.waiting.known.length;
  }

  /** Whether a task of `lane` started now would run or wait, rather than be refused. */
  hasRoom(lane: HashingLane): boolean {
    return this.placeFor(lane) !== undefined;
  }

  /** Runs `work` when a slot is free; throws HashingLanesFullError when `lane` has no place left. */
  async run<T>(lane: HashingLane, work: () => Promise<T>): Promise<T> {
    const place = this.placeFor(lane);
    if (place === undefined) throw new HashingLanesFullError();
    if (place === 'slot') {
      this.running += 1;
    } else {
      // The releasing task hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting[place].push(resolve));
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private placeFor(lane: HashingLane): 'slot' | HashingLane | undefined {
    if (this.running < this.limits.concurrency) return 'slot';
    if (lane === 'known' && this.waiting.known.length < this.limits.reserved) return 'known';
    if (this.waiting.shared.length < this.limits.shared) return 'shared';
    return undefined;
  }

  /** Hands the freed slot to the next waiting task, or frees it when none waits. */
  private release(): void {
    const lane = this.nextLane();
    const resume = lane && this.waiting[lane].shift();
    if (resume) resume();
    else this.running -= 1;
  }

  /** The lane whose longest-waiting task gets a freed slot: alternating while both have tasks waiting. */
  private nextLane(): HashingLane | undefined {
    const { known, shared } = this.waiting;
    if (known.length === 0) return shared.length > 0 ? 'shared' : undefined;
    if (shared.length === 0) return 'known';
    this.lastServed = this.lastServed === 'known' ? 'shared' : 'known';
    return this.lastServed;
  }
}
