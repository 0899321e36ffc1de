// Every allocator's public methods refuse arguments of the wrong kind with a TypeError, instead
// of comparing against undefined and freeing or finding whatever that happens to reach.
import { describe, expect, it } from 'vitest';
import { IovaDomain } from '../../src/allocators/iova-domain.js';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { bigintPfn } from '../../src/allocators/pfn.js';
import { ALLOCATOR_NAMES, createAllocator } from '../../src/allocators/registry.js';

const LIMIT = 0xfffff;

describe.each(ALLOCATOR_NAMES)('%s: argument checks', (name) => {
  it('freeIova(undefined) and other non-numbers are TypeErrors, and free nothing', () => {
    const allocator = createAllocator(name);
    const pfn = allocator.allocIova(4, LIMIT, true);
    expect(pfn).not.toBeNull();
    for (const bad of [undefined, null, '1', 1n, {}]) {
      expect(() => allocator.freeIova(bad as unknown as number), String(bad)).toThrow(TypeError);
      expect(() => allocator.findIova(bad as unknown as number), String(bad)).toThrow(TypeError);
    }
    expect(allocator.stats(LIMIT).liveRanges).toBe(1);
    expect(allocator.findIova(pfn as number)).not.toBeNull();
    expect(allocator.freeIova(pfn as number)).toBe(true);
  });

  it('checks allocIova, reserveIova and stats too', () => {
    const allocator = createAllocator(name);
    expect(() => allocator.allocIova(4, undefined as unknown as number, true)).toThrow(TypeError);
    expect(() => allocator.allocIova(4, LIMIT, 'yes' as unknown as boolean)).toThrow(TypeError);
    expect(() => allocator.reserveIova(undefined as unknown as number, 10)).toThrow(TypeError);
    expect(() => allocator.reserveIova(1, '10' as unknown as number)).toThrow(TypeError);
    expect(() => allocator.stats(undefined as unknown as number)).toThrow('endPfn must be a number, got undefined');
    expect(allocator.stats(LIMIT).liveRanges).toBe(0);
  });
});

describe('linux domain in bigint mode', () => {
  it('wants bigint pfns', () => {
    const domain = new IovaDomain(bigintPfn, kernelProfile('7.0'), 4096, 1n);
    const pfn = domain.allocIova(1n, 0xfffffn, true);
    expect(pfn).toBe(0xfffffn);
    expect(() => domain.freeIova(0xfffff as unknown as bigint)).toThrow('pfn must be a bigint, got 1048575');
    expect(() => domain.freeIova(undefined as unknown as bigint)).toThrow(TypeError);
    expect(domain.freeIova(0xfffffn)).toBe(true);
  });
});
