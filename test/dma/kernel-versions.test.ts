// The DMA layer on kernels before 5.17, where iommu_dma_alloc_iova() rounded sizes up itself and
// alloc_iova_fast() took them as given (972bf252f860 moved the rounding): same ranges either way.
import { describe, expect, it } from 'vitest';
import { DmaDevice } from '../../src/dma/device.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { IommuDmaDomain } from '../../src/dma/iommu-dma-domain.js';

function mapAll(kernel: string): { addresses: number[]; range: [number, number]; class2: number } {
  const device = new DmaDevice({ name: '0000:74:02.0' });
  const domain = new IommuDmaDomain({ kernel, devices: [device] });
  const dma = new IommuDma(domain);
  const addresses = [4, 4, 8, 12].map((kb, i) => dma.mapPage(device, 0x1_0000_0000 + i * 0x1_0000, kb * 1024, 0));
  dma.unmapPage(device, addresses[3], 12 * 1024, 0);
  // The 12 KiB mapping's range stays in the tree while its pfn sits in a magazine.
  const range = domain.allocator!.findIova(addresses[3] / 4096)!;
  return { addresses, range: [range.pfnLo, range.pfnHi], class2: domain.rcache!.classes[2].cpus[0].loaded.size };
}

describe('dma-iommu on 5.10-5.16 (the roundup in iommu_dma_alloc_iova)', () => {
  it('maps 3 granules as 4, aligned to 4, as 5.17+ does, and caches the free in class 2', () => {
    const newest = mapAll('7.0');
    expect(newest.addresses).toEqual([0xfffff000, 0xffffe000, 0xffffc000, 0xffff8000]);
    expect(newest.range).toEqual([0xffff8, 0xffffb]);
    expect(newest.class2).toBe(1);
    for (const kernel of ['5.10', '5.11', '5.12', '5.16']) expect(mapAll(kernel), kernel).toEqual(newest);
  });

  it('accepts stable point releases and refuses kernels before 5.10 in one line', () => {
    expect(mapAll('5.15.89').addresses[3]).toBe(0xffff8000);
    const device = new DmaDevice({});
    expect(() => new IommuDmaDomain({ kernel: '5.4', devices: [device] })).toThrow('kernel version 5.4 is older than the first modelled (5.10)');
  });
});
