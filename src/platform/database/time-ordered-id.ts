import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the Unix time in milliseconds in its first 48 bits, then the version,
 * 12 random bits, the variant and 62 random bits (74 random bits in all, from the same entropy
 * cache as `randomUUID`).
 *
 * For the keys of tables that take a row on every request (refresh tokens and their families): the
 * B-tree of a random (version 4) key takes each new entry on a random leaf page, so once an index
 * outgrows the buffer cache an insert reads a cold page and, after a checkpoint, logs a full page
 * image of it. Ids made in time order land on the index's rightmost pages, which stay in cache.
 * The time in the id is when the row was made, which the rows carry anyway (`issued_at`,
 * `created_at`). Ids made within one millisecond are not ordered among themselves; nothing relies
 * on that.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V one of 8, 9, a, b
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}

/** The millisecond a `timeOrderedUuid` was made at. */
export function uuidTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
