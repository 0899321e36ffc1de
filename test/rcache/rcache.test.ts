// The rcache through its own API (the golden traces cover it through the trace format).
import { describe, expect, it } from 'vitest';
import type { IovaAllocator } from '../../src/allocators/allocator.js';
import { IovaDomain } from '../../src/allocators/iova-domain.js';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { numberPfn } from '../../src/allocators/pfn.js';
import { Rcache } from '../../src/rcache/rcache.js';

function setup(version: string, cpus = 1) {
  const profile = kernelProfile(version);
  const domain = new IovaDomain(numberPfn, profile, 4096, 1);
  return { domain, rcache: new Rcache(domain, numberPfn, profile, cpus), profile };
}

describe('Rcache (iova.c alloc_iova_fast / free_iova_fast)', () => {
  it('pops the most recent cached pfn that fits under the limit (iova_magazine_pop)', () => {
    const { rcache } = setup('7.0');
    for (const pfn of [100, 5000, 200]) rcache.freeIovaFast(pfn, 1);
    // limit 4999 excludes 5000; 200 is the most recent that fits.
    expect(rcache.allocIovaFast(1, 4999, false)).toBe(200);
    expect(rcache.allocIovaFast(1, 4999, false)).toBe(100);
    expect(rcache.classes[0].cpus[0].loaded.pfns.slice(0, rcache.classes[0].cpus[0].loaded.size)).toEqual([5000]);
  });

  it('rounds sizes below 32 granules up to a power of two, and never caches above 32', () => {
    const { rcache, domain } = setup('7.0');
    const pfn3 = rcache.allocIovaFast(3, 0xfffff, false);
    expect(domain.findIova(pfn3)).toEqual(expect.objectContaining({ pfnHi: pfn3 + 3 }));
    const pfn33 = rcache.allocIovaFast(33, 0xfffff, false);
    expect((domain.findIova(pfn33)?.pfnHi ?? 0) - pfn33 + 1).toBe(33);
    expect(pfn33 % 64).toBe(0);
    rcache.freeIovaFast(pfn33, 33);
    expect(domain.findIova(pfn33)).toBeNull(); // straight back to the tree
    rcache.freeIovaFast(pfn3, 3);
    expect(rcache.classes[2].cpus[0].loaded.size).toBe(1); // order_base_2(3) = 2
  });

  it('before 5.17 (972bf252f860) alloc_iova_fast takes odd sizes as they are; the DMA caller rounded instead', () => {
    const old = setup('5.16');
    const pfn3 = old.rcache.allocIovaFast(3, 0xfffff, false);
    // Size-aligned to 4 (fls_long(3 - 1)), but 3 pfns long.
    expect(old.domain.findIova(pfn3)).toEqual(expect.objectContaining({ pfnLo: 0xffffc, pfnHi: 0xffffe }));
    expect(old.rcache.callerRoundup(3)).toBe(4);
    expect(old.rcache.callerRoundup(33)).toBe(33);
    const now = setup('5.17');
    const rounded = now.rcache.allocIovaFast(3, 0xfffff, false);
    expect(now.domain.findIova(rounded)).toEqual(expect.objectContaining({ pfnLo: 0xffffc, pfnHi: 0xfffff }));
    expect(now.rcache.callerRoundup(3)).toBe(3);
  });

  it('5.10 flushes only the CPUs\' magazines when alloc_iova_fast fails; 6fa3525b455a (5.11) frees the depot too', () => {
    const run = (version: string) => {
      const profile = kernelProfile(version);
      // start_pfn 1, limit 1024: 1024 one-page ranges fill the window.
      const domain = new IovaDomain(numberPfn, profile, 4096, 1);
      const rcache = new Rcache(domain, numberPfn, profile, 1);
      const pfns: number[] = [];
      for (let i = 0; i < 1024; i++) pfns.push(rcache.allocIovaFast(1, 1024, false));
      expect(pfns.every((pfn) => pfn !== 0)).toBe(true);
      // 3 full magazines of order 0: loaded and prev on the CPU, one in the depot.
      for (const pfn of pfns.slice(0, 128 * 3)) rcache.freeIovaFast(pfn, 1);
      expect(rcache.classes[0].depot.length).toBe(1);
      // A 2-page request finds no room; the flush frees what the flush frees, then it retries.
      const pfn = rcache.allocIovaFast(2, 1024, true);
      return { pfn, depot: rcache.classes[0].depot.length, nodes: domain.nodeCount };
    };
    const old = run('5.10');
    expect(old.depot).toBe(1);
    expect(old.nodes).toBe(1024 - 256 + 1);
    const fixed = run('5.11');
    expect(fixed.depot).toBe(0);
    expect(fixed.nodes).toBe(1024 - 384 + 1);
    expect(old.pfn).not.toBe(0);
  });

  it('takes the array depot size (MAX_GLOBAL_MAGS) from the profile', () => {
    const run = (depotSlots: number) => {
      const profile = kernelProfile('5.19', { depotSlots });
      const domain = new IovaDomain(numberPfn, profile, 4096, 1);
      const rcache = new Rcache(domain, numberPfn, profile, 1);
      // Two magazines per CPU fill first (loaded, prev); each further full one goes to the depot.
      const pfns: number[] = [];
      for (let i = 0; i < 128 * 5 + 1; i++) pfns.push(domain.allocIova(1, 0xfffff, false) as number);
      for (const pfn of pfns) rcache.freeIovaFast(pfn, 1);
      return { depot: rcache.classes[0].depot.length, nodes: domain.nodeCount };
    };
    // 641 frees: `prev` full, 4 full magazines pushed to the depot, 1 pfn in `loaded`.
    expect(run(32)).toEqual({ depot: 4, nodes: 641 });
    // With 2 slots the third and fourth found the depot full and went back to the tree.
    expect(run(2)).toEqual({ depot: 2, nodes: 641 - 2 * 128 });
  });

  it('5.19 drains a 33rd full magazine at once; 7.0 keeps it and trims one per 100 ms above the CPU count', () => {
    for (const [version, capacity] of [
      ['5.19', 128],
      ['7.0', 127],
    ] as const) {
      const { rcache, domain } = setup(version);
      const pfns: number[] = [];
      // Enough to fill loaded and prev and push 33 magazines towards the depot.
      const count = capacity * 34 + 1;
      for (let i = 0; i < count; i++) pfns.push(rcache.allocIovaFast(1, 2 ** 36, false));
      for (const pfn of pfns) rcache.freeIovaFast(pfn, 1);
      const depot = rcache.classes[0].depot;
      if (version === '5.19') {
        expect(depot.length).toBe(32);
        expect(domain.nodeCount).toBe(count - capacity);
      } else {
        expect(depot.length).toBe(33);
        expect(domain.nodeCount).toBe(count);
        rcache.tick(99);
        expect(depot.length).toBe(33);
        rcache.tick(1);
        expect(depot.length).toBe(32);
        rcache.tick(3100);
        expect(depot.length).toBe(1); // one online CPU
        expect(rcache.classes[0].trimWork.isPending).toBe(true); // re-armed after the last trim
        rcache.tick(100);
        expect(depot.length).toBe(1);
        expect(rcache.classes[0].trimWork.isPending).toBe(false); // nothing trimmed: not re-armed
        expect(domain.nodeCount).toBe(count - 32 * capacity);
      }
    }
  });

  it('cpuDead frees only that CPU’s magazines, and later flushes skip the offline CPU', () => {
    const { rcache, domain } = setup('7.0', 2);
    rcache.currentCpu = 0;
    const a = rcache.allocIovaFast(1, 0xfffff, false);
    rcache.currentCpu = 1;
    const b = rcache.allocIovaFast(1, 0xfffff, false);
    rcache.freeIovaFast(b, 1);
    rcache.currentCpu = 0;
    rcache.freeIovaFast(a, 1);
    rcache.cpuDead(1);
    expect(domain.findIova(b)).toBeNull();
    expect(domain.findIova(a)).not.toBeNull();
    expect(rcache.onlineCpuCount).toBe(1);
  });

  it('sits in front of any allocator implementing the interface', () => {
    const calls: string[] = [];
    let next = 1000;
    const bump: IovaAllocator = {
      name: 'bump',
      startPfn: 1,
      dma32BitPfn: 2 ** 20,
      searchSteps: 0,
      allocIova: (size) => {
        calls.push(`alloc ${size}`);
        next -= size;
        return next;
      },
      freeIova: (pfn) => {
        calls.push(`free ${pfn}`);
        return true;
      },
      reserveIova: () => true,
      findIova: () => null,
      stats: () => ({ liveRanges: 0, freeGranules: 0, largestFreeBlock: 0, largestFreeBlockBelow32: 0, searchSteps: 0 }),
    };
    const rcache = new Rcache(bump, numberPfn, kernelProfile('7.0'), 1);
    const pfn = rcache.allocIovaFast(5, 5000, true);
    rcache.freeIovaFast(pfn, 5);
    expect(rcache.allocIovaFast(8, 5000, true)).toBe(pfn);
    rcache.freeIovaFast(pfn, 8);
    rcache.freeCpuCachedIovas(0);
    expect(calls).toEqual(['alloc 8', `free ${pfn}`]);
  });
});
