import { setBounded } from './bounded-map';

describe('setBounded', () => {
  it('keeps at most the capacity, evicting the oldest first, and a re-stored key becomes newest', () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 5; i++) setBounded(map, `k${i}`, i, 3);
    expect([...map.keys()]).toEqual(['k2', 'k3', 'k4']);
    setBounded(map, 'k2', 20, 3);
    expect([...map.entries()]).toEqual([
      ['k3', 3],
      ['k4', 4],
      ['k2', 20],
    ]);
    setBounded(map, 'k5', 5, 3);
    expect([...map.keys()]).toEqual(['k4', 'k2', 'k5']);
  });

  it('shrinks a map that holds more than the capacity', () => {
    const map = new Map([1, 2, 3, 4].map((n) => [n, n] as const));
    setBounded(map, 5, 5, 2);
    expect([...map.keys()]).toEqual([4, 5]);
  });
});
