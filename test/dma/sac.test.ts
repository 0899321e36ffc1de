import { describe, expect, it } from 'vitest';
import { DmaDevice } from '../../src/dma/device.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { IommuDmaDomain } from '../../src/dma/iommu-dma-domain.js';
import type { SacMode } from '../../src/dma/sac.js';

const BIG = 256 * 1024; // 64 granules: never cached, so a freed IOVA really goes back to the tree

/**
 * A domain whose 32-bit space holds exactly one 64-granule IOVA: everything below 4 GiB is reserved
 * except pfns 0xFFFC0..0xFFFFF.
 */
function squeezed(kernel: string, sac?: SacMode, pci = true) {
  const dev = new DmaDevice({ name: '0000:05:00.0', pci });
  const domain = new IommuDmaDomain({
    kernel,
    sac,
    devices: [dev],
    reservedRegions: [{ start: 0x1000, end: 0xfffb_ffff, type: 'reserved' }],
  });
  return { dma: new IommuDma(domain), dev };
}

describe('the PCI SAC trick in iommu_dma_alloc_iova()', () => {
  it('sticky (6.6+, 791c2b17fb40): one failed 32-bit attempt clears pci_32bit_workaround for good', () => {
    const { dma, dev } = squeezed('6.6');
    expect(dev.pci32bitWorkaround).toBe(true);
    const first = dma.mapPage(dev, 0x1_0000_0000, BIG, 0);
    expect(first).toBe(0xfffc_0000);
    const second = dma.mapPage(dev, 0x1_0004_0000, BIG, 0);
    expect(second).toBeGreaterThan(0xffff_ffff);
    expect(dev.pci32bitWorkaround).toBe(false);
    // bits_per(dma_limit): the 64-bit mask is cut to the 48-bit aperture.
    expect(dev.notices).toEqual(['0000:05:00.0: Using 48-bit DMA addresses']);
    dma.unmapPage(dev, first, BIG, 0);
    // The 32-bit space is free again, but the device never asks for it any more.
    const third = dma.mapPage(dev, 0x1_0008_0000, BIG, 0);
    expect(third).toBeGreaterThan(0xffff_ffff);
    expect(dma.sac32Attempts).toBe(2);
  });

  it('always (5.19, @ 6d9870b7e5de): every allocation tries below 4 GiB first, so freed 32-bit space is reused', () => {
    const { dma, dev } = squeezed('5.19');
    const first = dma.mapPage(dev, 0x1_0000_0000, BIG, 0);
    const second = dma.mapPage(dev, 0x1_0004_0000, BIG, 0);
    expect(second).toBeGreaterThan(0xffff_ffff);
    expect(dev.notices).toEqual([]);
    dma.unmapPage(dev, first, BIG, 0);
    expect(dma.mapPage(dev, 0x1_0008_0000, BIG, 0)).toBe(0xfffc_0000);
    expect(dma.sac32Attempts).toBe(3);
    expect(dma.sac32Failures).toBe(1);
  });

  it('6.0-6.5 behave like 5.19 (the CONFIG_IOMMU_DMA_PCI_SAC change was reverted before 6.0)', () => {
    const { dma, dev } = squeezed('6.5');
    dma.mapPage(dev, 0x1_0000_0000, BIG, 0);
    dma.mapPage(dev, 0x1_0004_0000, BIG, 0);
    dma.mapPage(dev, 0x1_0008_0000, BIG, 0);
    expect(dma.sac32Attempts).toBe(3);
  });

  it('forcedac (iommu.forcedac=1, 5.13+): never tries 32 bits', () => {
    const { dma, dev } = squeezed('6.6', 'forcedac');
    expect(dma.mapPage(dev, 0x1_0000_0000, BIG, 0)).toBeGreaterThan(0xffff_ffff);
    expect(dma.sac32Attempts).toBe(0);
  });

  it('only PCI devices, and only when the DMA limit is above 32 bits, take the 32-bit attempt', () => {
    const platform = squeezed('5.19', undefined, false);
    platform.dma.mapPage(platform.dev, 0x1_0000_0000, BIG, 0);
    expect(platform.dma.sac32Attempts).toBe(0);
    const dev32 = new DmaDevice({ dmaMask: 0xffff_ffffn });
    const dma = new IommuDma(new IommuDmaDomain({ kernel: '5.19', devices: [dev32] }));
    expect(dma.mapPage(dev32, 0x1000, 4096, 0)).toBe(0xfffff000);
    expect(dma.sac32Attempts).toBe(0);
  });
});
