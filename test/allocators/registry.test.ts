import { describe, expect, it } from 'vitest';
import { IovaDomain } from '../../src/allocators/iova-domain.js';
import { ALLOCATOR_NAMES, createAllocator, defaultEndPfn, type AllocatorName } from '../../src/allocators/registry.js';

describe('createAllocator', () => {
  it('knows exactly the five allocators, each under its own name', () => {
    expect([...ALLOCATOR_NAMES]).toEqual(['linux', 'buddy', 'gap-tree', 'vmem', 'tlsf']);
    for (const name of ALLOCATOR_NAMES) {
      const allocator = createAllocator(name);
      expect(allocator.name).toBe(name);
      expect(allocator.startPfn).toBe(1);
      expect(allocator.dma32BitPfn).toBe(2 ** 20);
    }
  });

  it("makes 'linux' the kernel model with the requested version and granule", () => {
    const linux = createAllocator('linux', { version: '5.19', granule: 512, startPfn: 3 });
    expect(linux).toBeInstanceOf(IovaDomain);
    const domain = linux as IovaDomain<number>;
    expect(domain.profile.version).toBe('5.19');
    expect(domain.granule).toBe(512);
    expect(domain.startPfn).toBe(3);
    expect(domain.dma32BitPfn).toBe(2 ** 23);
  });

  it('defaults to a 48-bit space', () => {
    expect(defaultEndPfn(4096)).toBe(2 ** 36 - 1);
    for (const name of ALLOCATOR_NAMES.filter((n) => n !== 'linux')) {
      const allocator = createAllocator(name);
      expect(allocator.stats(2 ** 40).freeGranules).toBe(2 ** 36 - 1);
      // The upper half is the one aligned 2^35 block; TLSF's over-ask (2^36 - 1 granules, rounded up
      // to its next list) finds no list big enough: one of its documented false failures.
      expect(allocator.allocIova(2 ** 35, 2 ** 40, true), name).toBe(name === 'tlsf' ? null : 2 ** 35);
      expect(allocator.allocIova(2 ** 34, 2 ** 40, true), name).toBe(2 ** 34);
    }
  });

  it('rejects unknown names with the list of known ones', () => {
    expect(() => createAllocator('slab' as AllocatorName)).toThrow(/unknown allocator "slab" \(known: linux, buddy, gap-tree, vmem, tlsf\)/);
  });

  it('rejects bad domains and sizes', () => {
    for (const name of ALLOCATOR_NAMES.filter((n) => n !== 'linux')) {
      expect(() => createAllocator(name, { granule: 3000 })).toThrow(/granule/);
      expect(() => createAllocator(name, { startPfn: 10, endPfn: 5 })).toThrow(/endPfn/);
      expect(() => createAllocator(name).allocIova(0, 100, true)).toThrow(/size/);
    }
  });
});

describe('createAllocator knobs for the simulator', () => {
  it("passes retryPass to 'linux' and keeps the rest of the profile", () => {
    const reverted = createAllocator('linux', { version: '5.19', retryPass: false }) as IovaDomain<number>;
    expect(reverted.profile.retryPass).toBe(false);
    expect(reverted.profile.magazineSize).toBe(128);
    const kept = createAllocator('linux', { version: '6.6' }) as IovaDomain<number>;
    expect(kept.profile.retryPass).toBe(true);
    expect(kept.profile.magazineSize).toBe(127);
  });
});
