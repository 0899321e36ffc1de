/**
 * The DMA API entry points a driver calls: dma_map_sg(), dma_unmap_sg(), dma_map_page(),
 * dma_unmap_page(), dispatched as kernel/dma/mapping.c does: dma-iommu for a translated domain,
 * dma-direct for passthrough or no IOMMU.
 *
 * This is what the simulator drives. Time is the domain's SimulatedClock: call advanceTo(T) before
 * the calls made at simulated time T (it runs the flush-queue timers and rcache depot trimmers that
 * fall due, in order); every call names the CPU it runs on.
 */
import type { DmaDevice } from './device.js';
import { directMapPage, directMapSg } from './dma-direct.js';
import { IommuDma } from './dma-iommu.js';
import type { IommuDmaDomain } from './iommu-dma-domain.js';
import type { ScatterList } from './scatterlist.js';

export class DmaMapping {
  /** Null unless the domain is translated. */
  readonly iommu: IommuDma | null;

  constructor(readonly domain: IommuDmaDomain) {
    this.iommu = domain.mode === 'translated' ? new IommuDma(domain) : null;
  }

  /** Moves simulated time forward to `ms`. */
  advanceTo(ms: number): void {
    this.domain.advanceTo(ms);
  }

  /** dma_map_sg(): the number of DMA segments, 0 on failure. */
  mapSg(dev: DmaDevice, sg: ScatterList, cpu: number): number {
    return this.iommu === null ? directMapSg(sg) : this.iommu.mapSg(dev, sg, cpu);
  }

  /** dma_unmap_sg(). */
  unmapSg(dev: DmaDevice, sg: ScatterList, cpu: number): void {
    if (this.iommu === null) sg.mappedCount = 0;
    else this.iommu.unmapSg(dev, sg, cpu);
  }

  /** dma_map_page() / dma_map_single(): the DMA address or DMA_MAPPING_ERROR. */
  mapPage(dev: DmaDevice, phys: number, size: number, cpu: number): number {
    return this.iommu === null ? directMapPage(phys) : this.iommu.mapPage(dev, phys, size, cpu);
  }

  /** dma_unmap_page() / dma_unmap_single(). */
  unmapPage(dev: DmaDevice, dmaAddr: number, size: number, cpu: number): void {
    if (this.iommu !== null) this.iommu.unmapPage(dev, dmaAddr, size, cpu);
  }
}
