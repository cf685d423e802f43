import { setBounded } from '../../../platform/runtime/bounded-map';

/** What the auth guard needs to know about a user on every request. */
export interface Identity {
  id: string;
  email: string;
  role: 'user' | 'admin';
  disabled: boolean;
  /** Incremented by revoke-sessions and disable; access tokens carry the value they were issued with. */
  sessionVersion: number;
}

interface Entry {
  identity: Identity;
  loadedAt: number;
}

/**
 * A bounded least-recently-used map of identities, each trusted for `ttlMs` after it was read
 * from the database. `generation` changes on every invalidation, so a read that started before
 * an invalidation can tell that its result may predate the change and must not be stored.
 */
export class IdentityCache {
  private readonly entries = new Map<string, Entry>();
  private generationCounter = 0;

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get generation(): number {
    return this.generationCounter;
  }

  /** The cached identity if it is younger than the TTL; an older one is dropped. */
  get(id: string): Identity | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (this.now() - entry.loadedAt >= this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.identity;
  }

  /** Stores `identity` unless an invalidation happened since `generation` was read. */
  set(identity: Identity, generation: number): void {
    if (!this.enabled || generation !== this.generationCounter) return;
    setBounded(this.entries, identity.id, { identity, loadedAt: this.now() }, this.maxEntries);
  }

  delete(id: string): void {
    this.generationCounter += 1;
    this.entries.delete(id);
  }

  clear(): void {
    this.generationCounter += 1;
    this.entries.clear();
  }
}
