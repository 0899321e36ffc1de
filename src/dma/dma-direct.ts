/**
 * dma-direct: mapping without translation (no IOMMU, or an identity/passthrough domain).
 *
 * Kernel: kernel/dma/direct.c dma_direct_map_page() / dma_direct_map_sg() (5.19): the DMA address is
 * the physical address (phys_to_dma() with no offset), one DMA segment per entry, no merging, no IOVA
 * space. Bouncing through swiotlb for addressing-limited devices is not modelled here (only its size
 * limit is, in ./mapping-size.ts).
 */
import type { ScatterList } from './scatterlist.js';

export function directMapPage(phys: number): number {
  return phys;
}

export function directMapSg(sg: ScatterList): number {
  for (let i = 0; i < sg.nents; i++) {
    sg.dmaAddress[i] = sg.phys[i];
    sg.dmaLength[i] = sg.length[i];
    sg.iovaLength[i] = 0;
  }
  sg.iova = 0;
  sg.iovaBytes = 0;
  return (sg.mappedCount = sg.nents);
}
