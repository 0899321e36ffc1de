import { describe, expect, it } from 'vitest';
import { DmaDevice } from '../../src/dma/device.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { IommuDmaDomain } from '../../src/dma/iommu-dma-domain.js';
import { IommuPageTable } from '../../src/dma/iommu-page-table.js';
import { ScatterList } from '../../src/dma/scatterlist.js';

describe('IommuPageTable (iommu_map / iommu_unmap_fast / iommu_iotlb_sync / flush_iotlb_all)', () => {
  it('iommu_unmap_fast stops at the first unmapped granule, across runs and inside one', () => {
    const table = new IommuPageTable(true);
    table.map(100, 4);
    table.map(104, 2);
    table.map(200, 8);
    expect(table.pages).toBe(14);
    expect(table.unmapFast(101, 10)).toBe(5); // 101..105, then 106 is not mapped
    expect(table.isMapped(100)).toBe(true);
    expect(table.isMapped(101)).toBe(false);
    expect(table.unmapFast(202, 2)).toBe(2); // from inside a run: 200-201 and 204-207 stay
    expect(table.isMapped(201)).toBe(true);
    expect(table.isMapped(204)).toBe(true);
    expect(table.unmapFast(300, 1)).toBe(0);
    expect(table).toMatchObject({ maps: 3, unmaps: 3, pages: 7 });
  });

  it('iotlb_sync invalidates only a non-empty gather; flush_iotlb_all always does', () => {
    const table = new IommuPageTable(true);
    table.map(1, 1);
    table.iotlbSync(table.unmapFast(1, 1));
    table.iotlbSync(table.unmapFast(1, 1)); // nothing mapped: empty gather
    table.flushIotlbAll();
    expect(table).toMatchObject({ iotlbSyncs: 2, flushAlls: 1, invalidations: 2 });
  });

  it('without granule tracking, counts the same for a driver that unmaps what it mapped', () => {
    const tracked = new IommuPageTable(true);
    const counted = new IommuPageTable(false);
    for (const table of [tracked, counted]) {
      table.map(10, 3);
      table.map(20, 1);
      table.iotlbSync(table.unmapFast(10, 3));
    }
    expect(counted).toMatchObject({ maps: tracked.maps, unmaps: tracked.unmaps, pages: tracked.pages, invalidations: tracked.invalidations });
    expect(() => counted.isMapped(20)).toThrow(/tracking is off/);
  });

  it('iommu_map_sg: one iommu_map per physically contiguous run of granule-aligned footprints', () => {
    const dev = new DmaDevice({ pci: false, maxSegmentSize: 1 << 20 });
    const domain = new IommuDmaDomain({ kernel: '7.0', devices: [dev], trackMappedGranules: true });
    const dma = new IommuDma(domain);
    const sg = new ScatterList(4);
    sg.add(0x10_0000, 4096);
    sg.add(0x10_1000, 8192); // continues the first
    sg.add(0x20_0800, 100); // elsewhere, mid-granule: its run starts at 0x20_0000
    sg.add(0x20_1000, 4096); // continues the rounded-down third
    // DMA segments: the first two merge; the third ends before its granule does, so the fourth
    // starts a new one (__finalise_sg). Page-table runs: two.
    expect(dma.mapSg(dev, sg, 0)).toBe(3);
    expect(domain.pageTable).toMatchObject({ maps: 2, pages: 5 });
    dma.unmapSg(dev, sg, 0);
    expect(domain.pageTable).toMatchObject({ unmaps: 1, pages: 0, iotlbSyncs: 1, invalidations: 1 });
  });
});
