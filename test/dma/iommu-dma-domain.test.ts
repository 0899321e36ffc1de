import { describe, expect, it } from 'vitest';
import type { AllocatorStats, IovaAllocator, IovaRange } from '../../src/allocators/allocator.js';
import { DmaDevice } from '../../src/dma/device.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { AMD_HT_REGION, DomainConfigError, IommuDmaDomain, X86_MSI_REGION, type AllocatorFactoryArgs } from '../../src/dma/iommu-dma-domain.js';

/** A deliberately simple allocator (top-down bump, frees only counted) to prove any IovaAllocator plugs in. */
class BumpAllocator implements IovaAllocator<number> {
  readonly name = 'bump';
  readonly dma32BitPfn: number;
  searchSteps = 0;
  private next: number;
  private readonly live = new Map<number, number>();
  frees = 0;

  constructor(readonly startPfn: number, granule: number) {
    this.dma32BitPfn = 2 ** 32 / granule;
    this.next = 2 ** 36 / granule;
  }

  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    let lo = Math.min(this.next, limitPfn + 1) - size;
    if (sizeAligned) lo -= lo % 2 ** Math.ceil(Math.log2(size));
    if (lo < this.startPfn) return null;
    this.next = lo;
    this.live.set(lo, size);
    return lo;
  }
  freeIova(pfn: number): boolean {
    this.frees++;
    return this.live.delete(pfn);
  }
  reserveIova(): boolean {
    return true;
  }
  findIova(pfn: number): IovaRange<number> | null {
    const size = this.live.get(pfn);
    return size === undefined ? null : { pfnLo: pfn, pfnHi: pfn + size - 1 };
  }
  stats(): AllocatorStats {
    return { liveRanges: this.live.size, freeGranules: 0, largestFreeBlock: 0, largestFreeBlockBelow32: 0, searchSteps: 0 };
  }
}

describe('iommu_dma_init_domain() (drivers/iommu/dma-iommu.c, 5.19 @ 6d9870b7e5de)', () => {
  it('start_pfn = max(1, base >> shift), raised to aperture_start >> shift when the aperture is forced', () => {
    expect(new IommuDmaDomain({ kernel: '6.0' }).startPfn).toBe(1);
    expect(new IommuDmaDomain({ kernel: '6.0', base: 0x10_0000 }).startPfn).toBe(0x100);
    expect(new IommuDmaDomain({ kernel: '6.0', base: 0x10_0000, apertureStart: 0x100_0000 }).startPfn).toBe(0x1000);
    expect(new IommuDmaDomain({ kernel: '6.0', base: 0x10_0000, apertureStart: 0x100_0000, forceAperture: false }).startPfn).toBe(0x100);
  });

  it('iova_reserve_iommu_regions(): the x86 MSI window and AMD HT hole become reserved ranges; SW_MSI is skipped', () => {
    const domain = new IommuDmaDomain({
      kernel: '5.19',
      reservedRegions: [X86_MSI_REGION, AMD_HT_REGION, { start: 0x800_0000, end: 0x80f_ffff, type: 'sw-msi' }],
    });
    const tree = domain.allocator!;
    expect(tree.findIova(0xfee80)).toEqual(expect.objectContaining({ pfnLo: 0xfee00, pfnHi: 0xfeeff }));
    expect(tree.findIova(0xfd_0000_0000 / 4096 - 1)).toBeNull();
    expect(tree.findIova(0xfd_0000_0000 / 4096)).toEqual(expect.objectContaining({ pfnLo: 0xfd00000, pfnHi: 0xfffffff }));
    expect(tree.findIova(0x8000)).toBeNull();
    expect(domain.reserved.map((r) => r.region.type)).toEqual(['msi', 'reserved']);
  });

  it('the downward walk steps over the MSI window', () => {
    const dev = new DmaDevice({ dmaMask: 0xffff_ffffn });
    const domain = new IommuDmaDomain({ kernel: '7.0', reservedRegions: [{ start: 0xfef0_0000, end: 0xffff_ffff, type: 'reserved' }, X86_MSI_REGION], devices: [dev] });
    const dma = new IommuDma(domain);
    expect(dma.mapPage(dev, 0x1000, 4096, 0)).toBe(0xfedff000);
  });

  it('any IovaAllocator plugs in behind the same rcache unchanged', () => {
    const dev = new DmaDevice();
    let made: BumpAllocator | null = null;
    const domain = new IommuDmaDomain({
      kernel: '7.0',
      sac: 'forcedac',
      devices: [dev],
      allocator: (args: AllocatorFactoryArgs) => (made = new BumpAllocator(args.startPfn, args.granule)),
    });
    const dma = new IommuDma(domain);
    const big = dma.mapPage(dev, 0x1000, 256 * 1024, 0);
    expect(big).toBe(2 ** 36 - 256 * 1024);
    dma.unmapPage(dev, big, 256 * 1024, 0);
    expect(made!.frees).toBe(1);
    const small = dma.mapPage(dev, 0x1000, 4096, 0);
    dma.unmapPage(dev, small, 4096, 0);
    expect(made!.frees).toBe(1); // order 0: cached by the rcache, not freed
    expect(dma.mapPage(dev, 0x2000, 4096, 0)).toBe(small);
  });

  it('rejects an allocator built for another granule or start pfn', () => {
    expect(() => new IommuDmaDomain({ kernel: '7.0', allocator: new BumpAllocator(1, 65536) })).toThrow(DomainConfigError);
    expect(() => new IommuDmaDomain({ kernel: '7.0', allocator: new BumpAllocator(16, 4096) })).toThrow(/starts at pfn 16/);
  });

  it('checks its configuration: granule a power of two no larger than the page, limits that stay exact', () => {
    expect(() => new IommuDmaDomain({ kernel: '7.0', granule: 3000 })).toThrow(/granule 3000/);
    expect(() => new IommuDmaDomain({ kernel: '7.0', granule: 8192 })).toThrow(/no larger than the page size/);
    expect(() => new IommuDmaDomain({ kernel: '7.0', forceAperture: false, devices: [new DmaDevice()] })).toThrow(/2\^53/);
  });

  it('time only moves forward; advanceTo runs what falls due', () => {
    const domain = new IommuDmaDomain({ kernel: '7.0' });
    domain.advanceTo(5);
    expect(domain.nowMs).toBe(5);
    expect(() => domain.advanceTo(4)).toThrow(RangeError);
  });
});
