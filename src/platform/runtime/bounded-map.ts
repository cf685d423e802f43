/**
 * Stores `key` in `map` as its newest entry, then evicts the oldest entries (a Map iterates in
 * insertion order) until at most `capacity` remain: the one bound every in-process cache keyed by
 * request input shares, so no flood of new keys can grow memory.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= capacity) break;
    map.delete(oldest);
  }
}
