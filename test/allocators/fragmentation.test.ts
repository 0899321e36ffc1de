/**
 * The fragmentation metrics, the failure auditor (checked against the bitmap oracle), and the
 * documented false failures of each design, each shown on a smallest case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IovaAllocator } from '../../src/allocators/allocator.js';
import { externalFragmentation, FailureAuditor, internalWaste } from '../../src/allocators/fragmentation.js';
import { ALLOCATOR_NAMES, createAllocator, type AllocatorName } from '../../src/allocators/registry.js';
import { BitmapOracle } from './support/bitmap-oracle.js';

const LIMIT32 = 2 ** 20 - 1;

describe('externalFragmentation', () => {
  it('is 1 - largest / free, and 0 with nothing free', () => {
    expect(externalFragmentation({ freeGranules: 0, largestFreeBlock: 0 })).toBe(0);
    expect(externalFragmentation({ freeGranules: 100, largestFreeBlock: 100 })).toBe(0);
    expect(externalFragmentation({ freeGranules: 100, largestFreeBlock: 25 })).toBe(0.75);
  });

  it('follows the free space of every allocator', () => {
    for (const name of ALLOCATOR_NAMES) {
      const a = createAllocator(name, { startPfn: 100, endPfn: 163 });
      // Every other granule of [100, 163]: 32 free granules in runs of 1.
      const pfns: number[] = [];
      for (let i = 0; i < 64; i++) pfns.push(a.allocIova(1, 163, true) as number);
      for (const p of pfns) if (p % 2 === 0) a.freeIova(p);
      expect(externalFragmentation(a.stats(163)), name).toBeCloseTo(1 - 1 / 32, 12);
    }
  });
});

describe('FailureAuditor', () => {
  it('classifies every failure as the bitmap oracle does', () => {
    const names: AllocatorName[] = ['linux', 'buddy', 'tlsf'];
    const op = fc.record({ alloc: fc.integer({ min: 0, max: 9 }), size: fc.integer({ min: 1, max: 40 }), aligned: fc.boolean(), limit: fc.nat(), pick: fc.nat() });
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(op, { minLength: 200, maxLength: 200 }), (name, ops) => {
        const start = 2 ** 20 - 300;
        const end = 2 ** 20 + 99;
        const a = createAllocator(name, { startPfn: start, endPfn: end });
        const auditor = new FailureAuditor(4096, start, end);
        const oracle = new BitmapOracle(start, end, a.dma32BitPfn);
        const live: number[] = [];
        let oracleFalse = 0;
        for (const o of ops) {
          if (o.alloc < 6 || live.length === 0) {
            const limit = start + (o.limit % (end - start + 1));
            const p = a.allocIova(o.size, limit, o.aligned);
            if (p === null) {
              if (oracle.topDownFit(o.size, limit, o.aligned) !== null) oracleFalse++;
              auditor.failed(o.size, limit, o.aligned);
            } else {
              const r = a.findIova(p) as { pfnLo: number; pfnHi: number };
              oracle.allocate(r.pfnLo, r.pfnHi, o.size);
              auditor.allocated(a, p, o.size);
              live.push(p);
            }
          } else {
            const [p] = live.splice(o.pick % live.length, 1);
            a.freeIova(p);
            oracle.release(p);
            auditor.freed(p);
          }
        }
        expect(auditor.falseFailures).toBe(oracleFalse);
        expect(auditor.report(a, end).internalWaste).toBe(internalWaste(a));
      }),
      { numRuns: 60 },
    );
  });

  it('throws when an allocator hands out space twice', () => {
    const auditor = new FailureAuditor(4096, 1, 100);
    const fake = { name: 'broken', findIova: () => null } as unknown as IovaAllocator<number>;
    auditor.allocated(fake, 10, 5);
    expect(() => auditor.allocated(fake, 12, 1)).toThrow(/broken: allocated \[12, 12\], which is not free/);
  });
});

describe('false failures by design', () => {
  it('linux: max32_alloc_size fails a 32-bit request that fits once a same-size request failed', () => {
    // The 32-bit space is 8 granules; leave one free pair at an odd pfn.
    const start = 2 ** 20 - 8;
    const linux = createAllocator('linux', { startPfn: start });
    const auditor = new FailureAuditor(4096, start, 2 ** 36 - 1);
    for (let i = 0; i < 8; i++) auditor.allocated(linux, linux.allocIova(1, LIMIT32, true) as number, 1);
    for (const p of [start + 5, start + 6]) {
      linux.freeIova(p);
      auditor.freed(p);
    }
    // Aligned: no even pair is free, a genuine failure; it sets max32_alloc_size to 2.
    expect(linux.allocIova(2, LIMIT32, true)).toBeNull();
    auditor.failed(2, LIMIT32, true);
    expect(auditor.falseFailures).toBe(0);
    // Unaligned, [start + 5, start + 6] fits, but 2 >= max32_alloc_size fails without a search.
    expect(linux.allocIova(2, LIMIT32, false)).toBeNull();
    auditor.failed(2, LIMIT32, false);
    expect(auditor.falseFailures).toBe(1);
    // The exact first fit finds it.
    const gap = createAllocator('gap-tree', { startPfn: start });
    for (let i = 0; i < 8; i++) gap.allocIova(1, LIMIT32, true);
    gap.freeIova(start + 5);
    gap.freeIova(start + 6);
    expect(gap.allocIova(2, LIMIT32, true)).toBeNull();
    expect(gap.allocIova(2, LIMIT32, false)).toBe(start + 5);
  });

  it('buddy: a size that is not a power of two takes the next one, so 3 free granules do not hold 3', () => {
    const buddy = createAllocator('buddy', { startPfn: 8, endPfn: 15 });
    expect(buddy.allocIova(3, 15, true)).toBe(12);
    expect(buddy.findIova(12)).toEqual({ pfnLo: 12, pfnHi: 15 });
    expect(internalWaste(buddy)).toBe(1);
    expect(buddy.allocIova(1, 15, true)).toBe(11);
    // [8, 10] is free and 3 granules, aligned at 8: an exact allocator fits it, buddy needs [8, 11].
    expect(buddy.allocIova(3, 15, true)).toBeNull();
    expect(buddy.stats(15).freeGranules).toBe(3);
  });

  it('tlsf: over-asking for alignment misses an exactly fitting aligned block', () => {
    for (const name of ['tlsf', 'vmem', 'gap-tree', 'buddy'] as const) {
      const a = createAllocator(name, { startPfn: 2, endPfn: 3 });
      // [2, 3] is free and 2-aligned; TLSF asks for 2 + 2 - 1 = 3 granules and finds no block.
      expect(a.allocIova(2, 3, true), name).toBe(name === 'tlsf' ? null : 2);
    }
  });
});
