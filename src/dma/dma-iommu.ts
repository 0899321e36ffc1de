/**
 * The DMA API on a translated IOMMU domain: IOVA allocation and the map/unmap paths.
 *
 * Kernel: drivers/iommu/dma-iommu.c (@ 6d9870b7e5de for 5.19, @ afc5aa46ed56 for 6.9):
 * - iommu_dma_alloc_iova(): pages = size >> shift; the first attempt below 4 GiB (the SAC trick, see
 *   ./sac.ts) with flush_rcache = false, then the device's full limit with flush_rcache = true.
 * - iommu_dma_free_iova(): free_iova_fast(), or queue_iova() when the unmap is lazy.
 * - __iommu_dma_map() (map_page/map_resource/alloc): iova_off = phys & iova_mask; the IOVA covers
 *   iova_align(size + iova_off); returns iova + iova_off. A failed iommu_map() frees at once (the
 *   page-table side is not modelled, so mapping never fails after allocation).
 * - __iommu_dma_unmap(): the same offset/alignment on the DMA address, then strict: iommu_iotlb_sync()
 *   and free_iova_fast(); lazy: queue_iova().
 * - iommu_dma_map_sg(): each segment's footprint is iova_align(length + (offset & iova_mask)); when a
 *   segment would straddle a segment boundary the PREVIOUS segment's footprint is padded up to the
 *   boundary; ONE IOVA of the summed length is allocated; __finalise_sg() then concatenates segments
 *   that start on a granule, do not start on a boundary and keep the output within max_seg_size.
 * - iommu_dma_unmap_sg(): frees [first dma_address, last dma_address + dma_len) in one call.
 * - Untrusted devices (dev_use_swiotlb()): map_sg maps each segment with map_page, and buffers whose
 *   start or size is not granule-aligned are bounced through swiotlb first.
 *
 * The IOMMU side of each call (iommu_map(), iommu_map_sg(), iommu_unmap_fast(), iommu_iotlb_sync())
 * goes to the domain's IommuPageTable. Everything above except the untrusted/swiotlb paths and the
 * coherent mask is proven by the golden traces of the real dma-iommu.c (../shared/dma-conformance/,
 * 5.19 and 7.0; see docs/dma.md).
 *
 * The hot path allocates nothing: results go into the caller's ScatterList or come back as numbers.
 * Every call takes the CPU it runs on ("this CPU" for the rcache and the flush queue).
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import type { Rcache } from '../rcache/rcache.js';
import type { DmaDevice } from './device.js';
import type { FlushQueue } from './flush-queue.js';
import type { IommuDmaDomain } from './iommu-dma-domain.js';
import type { IommuPageTable } from './iommu-page-table.js';
import { swiotlbAlignOffset, swiotlbBounceFits } from './mapping-size.js';
import { sacFailed, sacTry32, type SacMode } from './sac.js';
import type { ScatterList } from './scatterlist.js';

/** DMA_MAPPING_ERROR (~(dma_addr_t)0 in the kernel). */
export const DMA_MAPPING_ERROR = -1;
const U32 = 4294967296;

export class IommuDmaError extends Error {}

/**
 * The first loop of iommu_dma_map_sg(): each entry's granule-aligned footprint into sg.iovaLength,
 * padding the previous entry where an entry would straddle a segment boundary (`boundarySize` =
 * dma_get_seg_boundary() + 1). Returns iova_len, the bytes of the one IOVA the list needs.
 */
export function iommuDmaSgLayout(sg: ScatterList, granule: number, boundarySize: number): number {
  const nents = sg.nents;
  const phys = sg.phys;
  const length = sg.length;
  const iovaLength = sg.iovaLength;
  const granuleMask = granule - 1;
  const small = boundarySize <= U32;
  const boundaryMask = boundarySize - 1;
  let iovaLen = 0;
  let prev = 0;
  for (let i = 0; i < nents; i++) {
    // Addresses are integers below 2^53, so `x & mask` (ToInt32 keeps x mod 2^32) is exact for
    // masks below 2^32 and avoids a floating-point remainder on the hot path.
    const off = phys[i] & granuleMask;
    const footprint = Math.ceil((length[i] + off) / granule) * granule;
    // pad_len = (mask - iova_len + 1) & mask: the distance to the next boundary (0 on one).
    const pad = small ? (-iovaLen & boundaryMask) >>> 0 : (boundarySize - (iovaLen % boundarySize)) % boundarySize;
    if (pad !== 0 && pad < footprint - 1) {
      iovaLength[prev] += pad;
      iovaLen += pad;
    }
    iovaLength[i] = footprint;
    iovaLen += footprint;
    prev = i;
  }
  return iovaLen;
}

export class IommuDma {
  private readonly rcache: Rcache<number>;
  private readonly allocator: IovaAllocator<number> & { readonly lastAllocHung?: boolean };
  private readonly fq: FlushQueue | null;
  private readonly pageTable: IommuPageTable;
  private readonly granule: number;
  private readonly granuleMask: number;
  private readonly sac: SacMode;
  /** DMA_BIT_MASK(32) >> shift. */
  private readonly limit32Pfn: number;

  /** Statistics. */
  allocCalls = 0;
  allocFailures = 0;
  sac32Attempts = 0;
  sac32Failures = 0;
  /** Allocations the kernel would never have returned from (the 5.19 retry livelock). */
  hangs = 0;
  /** Buffers bounced through swiotlb (untrusted devices). */
  bounced = 0;

  constructor(readonly domain: IommuDmaDomain) {
    if (domain.mode !== 'translated' || domain.rcache === null || domain.allocator === null) {
      throw new IommuDmaError(`dma-iommu needs a translated domain, not ${domain.mode}`);
    }
    this.rcache = domain.rcache;
    this.allocator = domain.allocator;
    this.fq = domain.flushQueue;
    this.pageTable = domain.pageTable;
    this.granule = domain.granule;
    this.granuleMask = domain.granuleMask;
    this.sac = domain.sac;
    this.limit32Pfn = 2 ** (32 - domain.shift) - 1;
  }

  /**
   * iommu_dma_alloc_iova(): `size` bytes (already iova_align()ed) for `dev` on `cpu`; `coherent` uses
   * the coherent mask (dma_alloc_*). Returns the IOVA in bytes, or 0 when nothing fits.
   */
  allocIova(dev: DmaDevice, size: number, cpu: number, coherent = false): number {
    const rcache = this.rcache;
    rcache.currentCpu = cpu;
    this.allocCalls++;
    const pages = rcache.callerRoundup(size / this.granule);
    const above32 = coherent ? dev.coherentLimitAbove32 : dev.limitAbove32;
    let pfn = 0;
    if (sacTry32(this.sac, dev, above32)) {
      this.sac32Attempts++;
      pfn = rcache.allocIovaFast(pages, this.limit32Pfn, false);
      if (pfn === 0) {
        if (rcache.lastAllocHung) {
          this.hangs++;
          this.allocFailures++;
          return 0;
        }
        this.sac32Failures++;
        sacFailed(this.sac, dev, coherent ? dev.coherentLimitBits : dev.limitBits);
      }
    }
    if (pfn === 0) {
      pfn = rcache.allocIovaFast(pages, coherent ? dev.coherentLimitPfn : dev.limitPfn, true);
      if (pfn === 0) {
        if (rcache.lastAllocHung) this.hangs++;
        this.allocFailures++;
        return 0;
      }
    }
    return pfn * this.granule;
  }

  /** iommu_dma_free_iova() without a gather: straight back through free_iova_fast() (map failures). */
  freeIova(iova: number, size: number, cpu: number): void {
    this.rcache.currentCpu = cpu;
    this.rcache.freeIovaFast(iova / this.granule, size / this.granule);
  }

  /** __iommu_dma_unmap(): `dmaAddr` and `size` as the driver passes them (offset included). */
  private unmapRange(dmaAddr: number, size: number, cpu: number): void {
    const off = dmaAddr & this.granuleMask;
    const iova = dmaAddr - off;
    const pages = Math.ceil((size + off) / this.granule);
    const pfn = iova / this.granule;
    const unmapped = this.pageTable.unmapFast(pfn, pages);
    if (this.fq !== null) {
      this.fq.queueIova(cpu, pfn, pages);
    } else {
      this.pageTable.iotlbSync(unmapped);
      this.rcache.currentCpu = cpu;
      this.rcache.freeIovaFast(pfn, pages);
    }
  }

  /**
   * The in-granule offset a buffer keeps after swiotlb_tbl_map_single(): the slot is aligned to the
   * granule (alloc_align_mask = iova_mask) and keeps the bits swiotlbAlignOffset() gives (6.9 kept bit 11).
   */
  private bounceOffset(dev: DmaDevice, phys: number): number {
    return swiotlbAlignOffset(dev, this.granuleMask, phys, this.domain.features);
  }

  /** iommu_dma_map_page(): returns the DMA address or DMA_MAPPING_ERROR. */
  mapPage(dev: DmaDevice, phys: number, size: number, cpu: number): number {
    let off = phys & this.granuleMask;
    if (dev.untrusted && (off !== 0 || size % this.granule !== 0)) {
      off = this.bounceOffset(dev, phys);
      if (!swiotlbBounceFits(size, off, this.granule, this.domain.features)) return DMA_MAPPING_ERROR;
      this.bounced++;
    }
    const granules = Math.ceil((size + off) / this.granule);
    const iova = this.allocIova(dev, granules * this.granule, cpu);
    if (iova === 0) return DMA_MAPPING_ERROR;
    this.pageTable.map(iova / this.granule, granules);
    return iova + off;
  }

  /** iommu_dma_unmap_page(). */
  unmapPage(_dev: DmaDevice, dmaAddr: number, size: number, cpu: number): void {
    this.unmapRange(dmaAddr, size, cpu);
  }

  /**
   * iommu_dma_map_sg(): maps the first sg.nents entries; returns the number of DMA segments (also in
   * sg.mappedCount), or 0 when no IOVA could be allocated (the kernel returns -ENOMEM).
   */
  mapSg(dev: DmaDevice, sg: ScatterList, cpu: number): number {
    const nents = sg.nents;
    if (nents === 0) return (sg.mappedCount = 0);
    if (dev.untrusted) return this.mapSgSwiotlb(dev, sg, cpu);
    const iovaLen = iommuDmaSgLayout(sg, this.granule, dev.segBoundarySize);
    const iova = this.allocIova(dev, iovaLen, cpu);
    if (iova === 0) {
      sg.iova = 0;
      sg.iovaBytes = 0;
      for (let i = 0; i < nents; i++) {
        sg.dmaAddress[i] = DMA_MAPPING_ERROR;
        sg.dmaLength[i] = 0;
      }
      return (sg.mappedCount = 0);
    }
    sg.iova = iova;
    sg.iovaBytes = iovaLen;
    return (sg.mappedCount = this.mapAndFinaliseSg(dev, sg, iova, iovaLen));
  }

  /**
   * iommu_map_sg() and then __finalise_sg() on the laid-out list, in one walk: the two read the same
   * entries and neither depends on the other's result.
   *
   * iommu_map_sg(): each entry now starts at its physical address rounded down to the granule and
   * spans its IOVA footprint (padding included); an entry that continues the previous run physically
   * joins its iommu_map() call. The runs cover the whole IOVA, so the mapped granules are
   * iova_len / granule; only a page table that tracks granules needs each run's place.
   *
   * __finalise_sg(): concatenates what it can; entries past the result get dmaLength 0.
   */
  private mapAndFinaliseSg(dev: DmaDevice, sg: ScatterList, iova: number, iovaLen: number): number {
    const granule = this.granule;
    const granuleMask = granule - 1;
    const boundary = dev.segBoundarySize;
    const small = boundary <= U32;
    const boundaryMask = boundary - 1;
    const maxLen = dev.maxSegmentSize;
    const phys = sg.phys;
    const length = sg.length;
    const iovaLength = sg.iovaLength;
    const dmaAddress = sg.dmaAddress;
    const dmaLength = sg.dmaLength;
    const pageTable = this.pageTable;
    const tracking = pageTable.tracksGranules;
    let runs = 0;
    // The walk counts bytes from the IOVA's start (`at`; the IOVA of entry i is iova + at) rather
    // than carrying the address itself: an address above 2^31 carried round the loop was boxed
    // into a new heap number at every entry (about 300 bytes of garbage per 20-entry list).
    /** The current run's first offset and the physical address just past it. */
    let runStart = 0;
    let runPhysEnd = -1;
    let at = 0;
    let curLen = 0;
    let count = 0;
    let cur = -1;
    for (let i = 0; i < sg.nents; i++) {
      const p = phys[i];
      const off = p & granuleMask;
      const sLength = length[i];
      const sIovaLen = iovaLength[i];
      const sPhys = p - off;
      if (sPhys !== runPhysEnd) {
        if (tracking && runs !== 0) pageTable.recordMapping((iova + runStart) / granule, (at - runStart) / granule);
        runs++;
        runStart = at;
      }
      runPhysEnd = sPhys + sIovaLen;
      dmaAddress[i] = DMA_MAPPING_ERROR;
      dmaLength[i] = 0;
      // max_len - cur_len is unsigned int arithmetic in the kernel.
      const room = maxLen >= curLen ? maxLen - curLen : maxLen - curLen + U32;
      const dma = iova + at;
      const onBoundary = small ? (dma & boundaryMask) === 0 : dma % boundary === 0;
      if (curLen !== 0 && off === 0 && !onBoundary && room >= sLength) {
        curLen += sLength;
      } else {
        cur++;
        curLen = sLength;
        count++;
        dmaAddress[cur] = dma + off;
      }
      dmaLength[cur] = curLen;
      at += sIovaLen;
      if (sLength + off < sIovaLen) curLen = 0;
    }
    if (tracking) pageTable.recordMapping((iova + runStart) / granule, (at - runStart) / granule);
    pageTable.addMapCalls(runs, iovaLen / granule);
    return count;
  }

  /** iommu_dma_map_sg_swiotlb(): one map_page per entry; on failure, what was mapped is unmapped. */
  private mapSgSwiotlb(dev: DmaDevice, sg: ScatterList, cpu: number): number {
    for (let i = 0; i < sg.nents; i++) {
      const addr = this.mapPage(dev, sg.phys[i], sg.length[i], cpu);
      if (addr === DMA_MAPPING_ERROR) {
        for (let j = 0; j < i; j++) this.unmapRange(sg.dmaAddress[j], sg.dmaLength[j], cpu);
        for (let j = 0; j < sg.nents; j++) {
          sg.dmaAddress[j] = DMA_MAPPING_ERROR;
          sg.dmaLength[j] = 0;
        }
        return (sg.mappedCount = 0);
      }
      sg.dmaAddress[i] = addr;
      sg.dmaLength[i] = sg.length[i];
      sg.iovaLength[i] = Math.ceil((sg.length[i] + (addr % this.granule)) / this.granule) * this.granule;
    }
    sg.iova = sg.dmaAddress[0] - (sg.dmaAddress[0] % this.granule);
    sg.iovaBytes = 0;
    for (let i = 0; i < sg.nents; i++) sg.iovaBytes += sg.iovaLength[i];
    return (sg.mappedCount = sg.nents);
  }

  /** iommu_dma_unmap_sg(). */
  unmapSg(dev: DmaDevice, sg: ScatterList, cpu: number): void {
    if (sg.mappedCount === 0) throw new IommuDmaError('unmapSg of a list that is not mapped');
    if (dev.untrusted) {
      for (let i = 0; i < sg.nents; i++) this.unmapRange(sg.dmaAddress[i], sg.dmaLength[i], cpu);
    } else {
      const dmaAddress = sg.dmaAddress;
      const dmaLength = sg.dmaLength;
      const nents = sg.nents;
      const start = dmaAddress[0];
      let last = 0;
      for (let i = 1; i < nents; i++) {
        if (dmaLength[i] === 0) break;
        last = i;
      }
      this.unmapRange(start, dmaAddress[last] + dmaLength[last] - start, cpu);
    }
    sg.mappedCount = 0;
  }

  /** The allocator behind the rcache (for inspection). */
  get iovaAllocator(): IovaAllocator<number> {
    return this.allocator;
  }
}
