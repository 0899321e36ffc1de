/**
 * The rcache must sit in front of any allocator: alloc_fast / free_fast round trips, and a random
 * workload on two CPUs whose IOVAs never overlap, after which draining every magazine and freeing
 * every range leaves the allocator empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { numberPfn } from '../../src/allocators/pfn.js';
import { ALLOCATOR_NAMES, createAllocator } from '../../src/allocators/registry.js';
import { Rcache } from '../../src/rcache/rcache.js';
import { BitmapOracle, roundupPow2 } from './support/bitmap-oracle.js';

const START = 2 ** 20 - 1500;
const END = 2 ** 20 + 499;
const LIMIT32 = 2 ** 20 - 1;

function make(name: (typeof ALLOCATOR_NAMES)[number]) {
  const allocator = createAllocator(name, { granule: 4096, startPfn: START, endPfn: END });
  return { allocator, rcache: new Rcache(allocator, numberPfn, kernelProfile('7.0'), 2) };
}

describe.each(ALLOCATOR_NAMES)('Rcache in front of %s', (name) => {
  it('gives a freed IOVA back to the next allocation of its size class on the same CPU', () => {
    const { allocator, rcache } = make(name);
    for (const size of [1, 2, 3, 4, 8, 16, 32]) {
      const pfn = rcache.allocIovaFast(size, LIMIT32, true);
      expect(pfn).not.toBe(0);
      expect(pfn % roundupPow2(size)).toBe(0);
      const steps = allocator.searchSteps;
      rcache.freeIovaFast(pfn, size);
      expect(rcache.allocIovaFast(size, LIMIT32, true)).toBe(pfn);
      // A hit never reaches the allocator, and the range stays allocated there meanwhile.
      expect(allocator.searchSteps).toBe(steps);
      expect(allocator.findIova(pfn)).not.toBeNull();
      rcache.freeIovaFast(pfn, size);
    }
    // Sizes above 32 granules bypass the magazines: free really frees.
    const big = rcache.allocIovaFast(40, LIMIT32, true);
    rcache.freeIovaFast(big, 40);
    expect(allocator.findIova(big)).toBeNull();
  });

  it('never hands out overlapping IOVAs across CPUs, flushes and drains', () => {
    const op = fc.record({
      alloc: fc.boolean(),
      size: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 48 })),
      limit32: fc.boolean(),
      flush: fc.boolean(),
      cpu: fc.integer({ min: 0, max: 1 }),
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 300, maxLength: 300 }), (ops) => {
        const { allocator, rcache } = make(name);
        allocator.reserveIova(2 ** 20 - 200, 2 ** 20 - 190);
        const oracle = new BitmapOracle(START, END, allocator.dma32BitPfn);
        oracle.reserve(2 ** 20 - 200, 2 ** 20 - 190);
        const live: { pfn: number; size: number }[] = [];
        for (const o of ops) {
          rcache.currentCpu = o.cpu;
          if (o.alloc || live.length === 0) {
            const limit = o.limit32 ? LIMIT32 : END;
            const pfn = rcache.allocIovaFast(o.size, limit, o.flush);
            if (pfn === 0) continue;
            const granted = o.size < 32 ? roundupPow2(o.size) : o.size;
            expect(pfn % roundupPow2(o.size)).toBe(0);
            expect(pfn).toBeGreaterThanOrEqual(START);
            expect(pfn + granted - 1).toBeLessThanOrEqual(limit);
            expect(oracle.isFree(pfn, pfn + granted - 1)).toBe(true);
            oracle.allocate(pfn, pfn + granted - 1, granted);
            live.push({ pfn, size: o.size });
          } else {
            const [victim] = live.splice(o.pick % live.length, 1);
            rcache.freeIovaFast(victim.pfn, victim.size);
            oracle.release(victim.pfn);
          }
        }
        for (const { pfn, size } of live) rcache.freeIovaFast(pfn, size);
        rcache.freeCpuCachedIovas(0);
        rcache.freeCpuCachedIovas(1);
        rcache.freeGlobalCachedIovas();
        const stats = allocator.stats(END);
        expect(stats.liveRanges).toBe(0);
        expect(stats.freeGranules).toBe(END - START + 1 - 11);
      }),
      { numRuns: 40 },
    );
  });
});
