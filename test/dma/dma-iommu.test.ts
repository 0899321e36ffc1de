import { describe, expect, it } from 'vitest';
import { DmaDevice } from '../../src/dma/device.js';
import { DMA_MAPPING_ERROR, IommuDma, iommuDmaSgLayout } from '../../src/dma/dma-iommu.js';
import { IommuDmaDomain, type IommuDmaDomainOptions } from '../../src/dma/iommu-dma-domain.js';
import { DmaMapping } from '../../src/dma/mapping.js';
import { ScatterList, ScatterListPool } from '../../src/dma/scatterlist.js';

const K = 1024;

function setup(options: Partial<IommuDmaDomainOptions> = {}, device = new DmaDevice({ name: '0000:01:00.0' })) {
  const domain = new IommuDmaDomain({ kernel: '7.0', devices: [device], ...options });
  return { domain, dma: new IommuDma(domain), dev: device };
}

function sgOf(entries: [number, number][]): ScatterList {
  const sg = new ScatterList(2);
  for (const [phys, len] of entries) sg.add(phys, len);
  return sg;
}

describe('__iommu_dma_map / __iommu_dma_unmap (drivers/iommu/dma-iommu.c, 5.19 @ 6d9870b7e5de and 7.0)', () => {
  it('reproduces the spec §2.13 worked example: 0xFFFFF000, 0xFFFFE000, 0xFFFFC000, 0xFFFF8000, then a reuse', () => {
    const { dma, dev } = setup();
    const a = dma.mapPage(dev, 0x1_0000_0000, 4 * K, 0);
    expect(a).toBe(0xfffff000);
    expect(dma.mapPage(dev, 0x1_0001_0000, 4 * K, 0)).toBe(0xffffe000);
    expect(dma.mapPage(dev, 0x1_0002_0000, 8 * K, 0)).toBe(0xffffc000);
    // 12 KiB is 3 granules, rounded to 4 and aligned to 4 by alloc_iova_fast().
    expect(dma.mapPage(dev, 0x1_0003_0000, 12 * K, 0)).toBe(0xffff8000);
    dma.unmapPage(dev, a, 4 * K, 0);
    expect(dma.mapPage(dev, 0x1_0004_0000, 4 * K, 0)).toBe(0xfffff000);
  });

  it('keeps the in-granule offset: a page-sized buffer at offset 0x800 spans 2 granules and maps to iova + 0x800', () => {
    const { dma, dev, domain } = setup();
    const addr = dma.mapPage(dev, 0x2_0000_0800, 4 * K, 0);
    // 2 granules, aligned to 2, below the 32-bit limit 0x100000.
    expect(addr).toBe(0xffffe800);
    dma.unmapPage(dev, addr, 4 * K, 0);
    // free_iova_fast(pfn 0xffffe, 2 pages): the order-1 class now caches it.
    const rcache = domain.rcache!;
    expect(rcache.classes[1].cpus[0].loaded.size).toBe(1);
    expect(rcache.classes[1].cpus[0].loaded.pfns[0]).toBe(0xffffe);
    expect(dma.mapPage(dev, 0x3_0000_0000, 8 * K, 0)).toBe(0xffffe000);
  });

  it('strict unmap syncs the IOTLB once per unmap (iommu_iotlb_sync)', () => {
    const { dma, dev, domain } = setup({ invalidation: 'strict' });
    for (let i = 0; i < 5; i++) dma.unmapPage(dev, dma.mapPage(dev, 0x1000 * (i + 1), 4096, 0), 4096, 0);
    expect(domain.iotlbInvalidations).toBe(5);
  });
});

describe('iommu_dma_map_sg + __finalise_sg (5.19 @ 6d9870b7e5de, spec §3.5)', () => {
  it('pads the PREVIOUS segment up to a 64 KiB segment boundary and allocates ONE IOVA for the list', () => {
    const dev = new DmaDevice({ segBoundaryMask: 0xffffn });
    const { dma } = setup({}, dev);
    const sg = sgOf([
      [0x10_0000, 12 * K],
      [0x20_0000, 32 * K],
      [0x30_0000, 32 * K],
    ]);
    const count = dma.mapSg(dev, sg, 0);
    // footprints 12K, 32K(+20K pad: the third would straddle 64K), 32K = 96K = 24 granules.
    expect(Array.from(sg.iovaLength.subarray(0, 3))).toEqual([12 * K, 52 * K, 32 * K]);
    expect(sg.iovaBytes).toBe(96 * K);
    // 24 granules round up to 32 and align to 32: the IOVA starts on a 128 KiB (so 64 KiB) boundary.
    expect(sg.iova % (128 * K)).toBe(0);
    expect(count).toBe(2);
    expect(sg.dmaAddress[0]).toBe(sg.iova);
    expect(sg.dmaLength[0]).toBe(44 * K);
    expect(sg.dmaAddress[1]).toBe(sg.iova + 64 * K);
    expect(sg.dmaLength[1]).toBe(32 * K);
    expect(sg.dmaLength[2]).toBe(0);
  });

  it('pads only when the segment would straddle: pad_len < s_length - 1', () => {
    const boundary = 64 * K;
    // 16K then 52K: 48K to the boundary is less than 52K, so the first entry is padded to 64K.
    const straddles = sgOf([
      [0x10_0000, 16 * K],
      [0x20_0000, 52 * K],
    ]);
    expect(iommuDmaSgLayout(straddles, 4096, boundary)).toBe(116 * K);
    expect(Array.from(straddles.iovaLength.subarray(0, 2))).toEqual([64 * K, 52 * K]);
    // 12K then 52K: exactly 52K to the boundary, so it fits without padding.
    const fits = sgOf([
      [0x10_0000, 12 * K],
      [0x20_0000, 52 * K],
      [0x30_0000, 4 * K],
    ]);
    expect(iommuDmaSgLayout(fits, 4096, boundary)).toBe(68 * K);
  });

  it('__finalise_sg never concatenates across a segment boundary even when max_seg_size allows it', () => {
    const dev = new DmaDevice({ segBoundaryMask: 0xffffn, maxSegmentSize: 128 * K });
    const { dma } = setup({}, dev);
    const sg = sgOf(Array.from({ length: 32 }, (_, i) => [0x100_0000 + i * 0x2000, 4 * K] as [number, number]));
    expect(dma.mapSg(dev, sg, 0)).toBe(2);
    expect(Array.from(sg.dmaLength.subarray(0, 2))).toEqual([64 * K, 64 * K]);
    expect(sg.dmaAddress[1] - sg.dmaAddress[0]).toBe(64 * K);
  });

  it('without a small boundary there is no padding (same list: 76 KiB = 19 granules)', () => {
    const sg = sgOf([
      [0x10_0000, 12 * K],
      [0x20_0000, 32 * K],
      [0x30_0000, 32 * K],
    ]);
    expect(iommuDmaSgLayout(sg, 4096, 2 ** 32)).toBe(76 * K);
  });

  it('concatenates granule-aligned segments up to max_seg_size, restarting at an offset or after a short segment', () => {
    const dev = new DmaDevice({ maxSegmentSize: 8 * K });
    const { dma } = setup({}, dev);
    const sg = sgOf([
      [0x10_0000, 4 * K],
      [0x50_0000, 4 * K], // joins: starts on a granule, 8K fits max_seg_size
      [0x90_0000, 4 * K], // 12K would exceed 8K: new segment
      [0xa0_0200, 2 * K], // starts at offset 0x200: new segment; ends short of its granule
      [0xb0_0000, 4 * K], // previous did not end on a granule: new segment
    ]);
    expect(dma.mapSg(dev, sg, 0)).toBe(4);
    const iova = sg.iova;
    expect(Array.from(sg.dmaAddress.subarray(0, 4))).toEqual([iova, iova + 8 * K, iova + 12 * K + 0x200, iova + 16 * K]);
    expect(Array.from(sg.dmaLength.subarray(0, 5))).toEqual([8 * K, 4 * K, 2 * K, 4 * K, 0]);
  });

  it('a 128 KiB list whose first segment starts mid-page spans 33 granules: order 6, freed to the tree, not cached', () => {
    const { dma, dev, domain } = setup();
    const entries: [number, number][] = [[0x100_0800, 2 * K]];
    for (let i = 1; i < 32; i++) entries.push([0x100_0000 + i * 0x2000, 4 * K]);
    entries.push([0x100_0000 + 32 * 0x2000, 2 * K]);
    const sg = sgOf(entries);
    expect(sg.totalBytes()).toBe(128 * K);
    dma.mapSg(dev, sg, 0);
    expect(sg.iovaBytes / 4096).toBe(33);
    const pfn = sg.iova / 4096;
    expect(domain.allocator!.findIova(pfn)).not.toBeNull();
    dma.unmapSg(dev, sg, 0);
    // free_iova_fast(): order_base_2(33) = 6 >= IOVA_RANGE_CACHE_MAX_SIZE, so free_iova() at once.
    expect(domain.allocator!.findIova(pfn)).toBeNull();

    // The page-aligned 128 KiB list is 32 granules: order 5, parked in a magazine (still in the tree).
    const aligned = sgOf(Array.from({ length: 32 }, (_, i) => [0x200_0000 + i * 0x2000, 4 * K] as [number, number]));
    dma.mapSg(dev, aligned, 0);
    expect(aligned.iovaBytes / 4096).toBe(32);
    const pfn2 = aligned.iova / 4096;
    dma.unmapSg(dev, aligned, 0);
    expect(domain.allocator!.findIova(pfn2)).not.toBeNull();
    expect(domain.rcache!.classes[5].cpus[0].loaded.size).toBe(1);
  });

  it('iommu_dma_unmap_sg frees [first dma_address, last dma_address + len) in one call', () => {
    const { dma, dev, domain } = setup();
    const sg = sgOf([
      [0x10_0000, 4 * K],
      [0x20_0000, 4 * K],
      [0x30_0000, 8 * K],
    ]);
    dma.mapSg(dev, sg, 0);
    dma.unmapSg(dev, sg, 0);
    expect(domain.iotlbInvalidations).toBe(1);
    // 4 granules -> order-2 class.
    expect(domain.rcache!.classes[2].cpus[0].loaded.size).toBe(1);
    expect(() => dma.unmapSg(dev, sg, 0)).toThrow(/not mapped/);
  });

  it('an untrusted device maps each segment on its own and bounces unaligned ones (iommu_dma_map_sg_swiotlb)', () => {
    const dev = new DmaDevice({ trusted: false });
    const { dma } = setup({}, dev);
    const sg = sgOf([
      [0x10_0000, 4 * K],
      [0x20_0800, 2 * K],
    ]);
    expect(dma.mapSg(dev, sg, 0)).toBe(2);
    expect(dma.bounced).toBe(1);
    // The bounced buffer sits at the start of a granule-aligned swiotlb slot: offset 0.
    expect(sg.dmaAddress[1] % 4096).toBe(0);
    expect(dma.allocCalls).toBe(2);
  });

  it('returns 0 and DMA_MAPPING_ERROR when the IOVA space cannot hold the mapping', () => {
    const dev = new DmaDevice({ dmaMask: 0xffff_ffffn });
    const { dma } = setup({ reservedRegions: [{ start: 0x1000, end: 0xffff_ffff, type: 'reserved' }] }, dev);
    expect(dma.mapPage(dev, 0x1000, 4096, 0)).toBe(DMA_MAPPING_ERROR);
    const sg = sgOf([[0x1000, 4096]]);
    expect(dma.mapSg(dev, sg, 0)).toBe(0);
    expect(sg.mappedCount).toBe(0);
  });
});

describe('dma_map_sg dispatch (kernel/dma/mapping.c)', () => {
  it('passthrough uses dma-direct: DMA address = physical address, one segment per entry, no IOVA', () => {
    const dev = new DmaDevice();
    const domain = new IommuDmaDomain({ kernel: '6.0', mode: 'passthrough', devices: [dev] });
    const mapping = new DmaMapping(domain);
    const sg = sgOf([
      [0x10_0000, 4 * K],
      [0x10_1000, 4 * K],
    ]);
    expect(mapping.mapSg(dev, sg, 0)).toBe(2);
    expect(Array.from(sg.dmaAddress.subarray(0, 2))).toEqual([0x10_0000, 0x10_1000]);
    expect(mapping.iommu).toBeNull();
    expect(mapping.mapPage(dev, 0x1234, 100, 0)).toBe(0x1234);
  });
});

describe('ScatterListPool', () => {
  it('hands back released lists, so a steady stream of requests stops allocating', () => {
    const pool = new ScatterListPool(4);
    const a = pool.acquire();
    a.add(0x1000, 4096);
    pool.release(a);
    const b = pool.acquire();
    expect(b).toBe(a);
    expect(b.nents).toBe(0);
    expect(pool.idle).toBe(0);
  });
});
