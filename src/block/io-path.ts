/**
 * The I/O path end to end for one probed host: user buffers -> bios -> split -> merged requests ->
 * scatterlists -> the IOVA each request needs.
 *
 * Each request is one SCSI command / NVMe command, and one dma_map_sg() (spec §4.2): its IOVA length
 * is the sum of the segments' granule footprints plus boundary padding (iommu_dma_map_sg(), §3.5),
 * then alloc_iova_fast() rounds lengths below 32 granules up to a power of two; the rcache holds
 * orders 0..5 (IOVA_RANGE_CACHE_MAX_SIZE = 6), anything larger goes to the allocator's tree.
 */
import { orderBase2, roundupPowOfTwo } from '../allocators/pfn.js';
import { iommuDmaSgLayout } from '../dma/dma-iommu.js';
import { ScatterList } from '../dma/scatterlist.js';
import { IOVA_RANGE_CACHE_MAX_SIZE } from '../rcache/rcache.js';
import { buildDioBios, DEFAULT_PHYS_BASE, type BufferLayout } from './bio-split.js';
import type { HostSetup } from './probe.js';
import { RequestMerger, type BlkRequest, type MergePolicy } from './request-merge.js';
import { blkRqMapSg } from './rq-map-sg.js';

export interface IoPattern {
  /** Bytes per I/O. */
  readonly ioBytes: number;
  /** Back-to-back sequential I/Os submitted under one plug (default 1). */
  readonly count?: number;
  /** Offset of the buffer's first byte within its first physically contiguous chunk. */
  readonly offset?: number;
  /** Physically contiguous chunk size (default the page size: scattered pages). */
  readonly chunkBytes?: number;
  readonly physBase?: number;
  /** First device sector (default 0). */
  readonly sector?: number;
  readonly policy?: MergePolicy;
}

export interface IovaFootprint {
  /** iova_len in bytes (0 when nothing is translated). */
  readonly iovaBytes: number;
  /** iova_len in granules. */
  readonly granules: number;
  /** What alloc_iova_fast() allocates: rounded up to a power of two below 32 granules. */
  readonly allocGranules: number;
  /** order_base_2(granules): the rcache size class. */
  readonly order: number;
  /** order < IOVA_RANGE_CACHE_MAX_SIZE (orders 0..5). */
  readonly rcacheable: boolean;
}

export interface PlannedRequest {
  readonly request: BlkRequest;
  /** Entries blk_rq_map_sg() produced. */
  readonly sgEntries: number;
  /** The request's scatterlist (CPU side), ready for dma_map_sg(). */
  readonly sg: ScatterList;
  /** Null when the host is not behind a translating IOMMU, or the device maps per segment (untrusted). */
  readonly iova: IovaFootprint | null;
}

/** The IOVA one dma_map_sg() of `sg` allocates on this host (null without translation). */
export function iovaFootprint(setup: HostSetup, sg: ScatterList): IovaFootprint | null {
  const iommu = setup.description.iommu;
  if (iommu.mode !== 'translated' || setup.device.untrusted) return null;
  const iovaBytes = iommuDmaSgLayout(sg, iommu.granule, setup.device.segBoundarySize);
  return footprintOfBytes(iovaBytes, iommu.granule);
}

export function footprintOfBytes(iovaBytes: number, granule: number): IovaFootprint {
  const granules = iovaBytes / granule;
  const allocGranules = granules < 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1) ? roundupPowOfTwo(granules) : granules;
  const order = orderBase2(granules);
  return { iovaBytes, granules, allocGranules, order, rcacheable: order < IOVA_RANGE_CACHE_MAX_SIZE };
}

/** The requests an I/O pattern becomes on this host, each with its scatterlist and IOVA footprint. */
export function planIo(setup: HostSetup, pattern: IoPattern): PlannedRequest[] {
  const pageSize = setup.description.iommu.pageSize;
  const lim = setup.limits;
  const count = pattern.count ?? 1;
  const base: BufferLayout = {
    offset: pattern.offset ?? 0,
    chunkBytes: pattern.chunkBytes ?? pageSize,
    physBase: pattern.physBase ?? DEFAULT_PHYS_BASE,
  };
  const merger = new RequestMerger(lim, pageSize, pattern.policy ?? 'plug');
  const sector0 = pattern.sector ?? 0;
  for (let i = 0; i < count; i++) {
    const layout: BufferLayout = { ...base, offset: base.offset + i * pattern.ioBytes };
    for (const bio of buildDioBios(sector0 + (i * pattern.ioBytes) / 512, pattern.ioBytes, layout, pageSize, lim.logicalBlockSize)) {
      merger.submit(bio);
    }
  }
  return merger.flush().map((request) => {
    const sg = new ScatterList(Math.max(4, request.nrPhysSegments));
    const sgEntries = blkRqMapSg(request.bios, lim, pageSize, sg);
    return { request, sgEntries, sg, iova: iovaFootprint(setup, sg) };
  });
}
