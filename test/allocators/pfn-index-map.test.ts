// The typed-array pfn map against a Map: same contents after inserts, overwrites and deletes across
// growth, pfns past 2^32 included, and forEach visits exactly the live entries.
import { describe, expect, it } from 'vitest';
import { PfnIndexMap } from '../../src/allocators/pfn-index-map.js';
import { Mulberry32 } from '../../src/workloads/random.js';

describe('PfnIndexMap', () => {
  it('holds what a Map holds and forEach visits each live entry once', () => {
    const map = new PfnIndexMap(4);
    const reference = new Map<number, number>();
    const rng = new Mulberry32(7);
    for (let op = 0; op < 20_000; op++) {
      // Keys from a small range (so deletes and overwrites hit), some of them above 2^32.
      const key = rng.below(3000) + (rng.below(2) === 0 ? 0 : 2 ** 36);
      if (rng.below(3) === 0) expect(map.delete(key)).toBe(reference.delete(key));
      else {
        const value = rng.below(1000);
        map.set(key, value);
        reference.set(key, value);
      }
    }
    expect(map.size).toBe(reference.size);
    const seen = new Map<number, number>();
    map.forEach((key, value) => {
      expect(seen.has(key)).toBe(false);
      seen.set(key, value);
    });
    expect([...seen].sort((a, b) => a[0] - b[0])).toEqual([...reference].sort((a, b) => a[0] - b[0]));
    for (const [key, value] of reference) expect(map.get(key)).toBe(value);
  });
});
