/**
 * dma_max_mapping_size() and dma_opt_mapping_size(): the largest mapping a device can take, and the
 * largest that is still "efficient".
 *
 * Kernel:
 * - kernel/dma/mapping.c dma_max_mapping_size() / dma_opt_mapping_size() (a229cc14f339, 6.0):
 *   max = dma_direct_max_mapping_size() for dma-direct devices, else ops->max_mapping_size() if the
 *   ops have one, else SIZE_MAX; opt = min(max, ops->opt_mapping_size() or SIZE_MAX).
 * - drivers/iommu/dma-iommu.c iommu_dma_opt_mapping_size() = iova_rcache_range() (6d9870b7e5de, 6.0):
 *   PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1), 128 KiB with 4 KiB pages — the CPU page size,
 *   not the IOMMU granule. iommu_dma_max_mapping_size() (afc5aa46ed56, 6.9): untrusted devices get
 *   swiotlb_max_mapping_size(), others SIZE_MAX (before 6.9 dma-iommu had no max op: SIZE_MAX).
 * - kernel/dma/direct.c dma_direct_max_mapping_size(): swiotlb_max_mapping_size() when swiotlb is
 *   active and the device is addressing-limited or bouncing is forced, else SIZE_MAX.
 * - kernel/dma/swiotlb.c swiotlb_max_mapping_size(): IO_TLB_SIZE (2 KiB) * IO_TLB_SEGSIZE (128) =
 *   256 KiB, minus roundup(min_align_mask, IO_TLB_SIZE) when the device has a min_align_mask.
 * Passthrough (identity) domains and machines without an IOMMU use dma-direct: opt == max, which is
 * SIZE_MAX unless swiotlb bounces.
 *
 * dma_opt_mapping_size() does not exist before 6.0; for older kernels these functions give what the
 * series that added it defines (the `seed` cap variant applies that series to 5.19).
 */
import { IOVA_RANGE_CACHE_MAX_SIZE } from '../rcache/rcache.js';
import type { DmaDevice } from './device.js';
import type { IommuMode } from './iommu-dma-domain.js';
import type { DmaKernelFeatures } from './kernel-features.js';

/** SIZE_MAX (~(size_t)0): "no limit". */
export const SIZE_MAX = Number.POSITIVE_INFINITY;
/** IO_TLB_SIZE, IO_TLB_SEGSIZE. */
export const IO_TLB_SIZE = 2048;
export const IO_TLB_SEGSIZE = 128;

export type SwiotlbState = 'off' | 'on' | 'force';

export interface DmaPlatform {
  /** `off`: no bounce buffers; `on`: allocated, used when needed; `force`: swiotlb=force. */
  readonly swiotlb: SwiotlbState;
  /** Highest RAM address (dma_get_required_mask() covers it). */
  readonly maxPhysAddress: bigint;
}

export const DEFAULT_PLATFORM: DmaPlatform = { swiotlb: 'on', maxPhysAddress: (1n << 40n) - 1n };

export interface MappingSizeInput {
  readonly mode: IommuMode;
  /** CPU PAGE_SIZE. */
  readonly pageSize: number;
  readonly device: DmaDevice;
  readonly features: DmaKernelFeatures;
  readonly platform?: DmaPlatform;
  /**
   * rcache size classes: IOVA_RANGE_CACHE_MAX_SIZE (6) in mainline. The unmerged max_opt_dma_size
   * knob raised it, and iova_rcache_range() (so the opt size) grew with it.
   */
  readonly rcacheClasses?: number;
}

/** swiotlb_max_mapping_size(). */
export function swiotlbMaxMappingSize(dev: DmaDevice, features: DmaKernelFeatures): number {
  const minAlign = features.swiotlbMinAlignInMax && dev.minAlignMask !== 0 ? Math.ceil(dev.minAlignMask / IO_TLB_SIZE) * IO_TLB_SIZE : 0;
  return IO_TLB_SIZE * IO_TLB_SEGSIZE - minAlign;
}

/**
 * The offset a buffer keeps inside its swiotlb bounce slot (kernel/dma/swiotlb.c
 * swiotlb_align_offset()). Until 6.9: orig & min_align_mask & (IO_TLB_SIZE - 1), so a 4 KiB
 * min_align_mask (NVMe) lost bit 11; from 51b30ecb73b4 (6.9): orig & min_align_mask &
 * (alloc_align_mask | (IO_TLB_SIZE - 1)), with dma-iommu passing alloc_align_mask = iova_mask.
 */
export function swiotlbAlignOffset(dev: DmaDevice, allocAlignMask: number, orig: number, features: DmaKernelFeatures): number {
  const keep = features.swiotlbAlignOffsetKeepsAllocMask ? allocAlignMask | (IO_TLB_SIZE - 1) : IO_TLB_SIZE - 1;
  // The masks are below 2^31, so the low bits of a JavaScript number are exact.
  return orig % (keep + 1) & dev.minAlignMask & keep;
}

/**
 * Whether swiotlb_tbl_map_single() finds slots for a dma-iommu bounce of `size` bytes with in-slot
 * `offset`: at most IO_TLB_SEGSIZE slots of IO_TLB_SIZE. Until 6.9 it asks for iova_align(size) +
 * offset bytes; from 6.9 (51b30ecb73b4 and the series around it) for ALIGN(size + offset, granule).
 */
export function swiotlbBounceFits(size: number, offset: number, granule: number, features: DmaKernelFeatures): boolean {
  const alignUp = (bytes: number, to: number): number => Math.ceil(bytes / to) * to;
  const bytes = features.swiotlbAlignOffsetKeepsAllocMask ? alignUp(size + offset, granule) : alignUp(size, granule) + offset;
  return Math.ceil(bytes / IO_TLB_SIZE) <= IO_TLB_SEGSIZE;
}

/** iommu_dma_opt_mapping_size() = iova_rcache_range(): PAGE_SIZE << (classes - 1). */
export function iommuDmaOptMappingSize(pageSize: number, rcacheClasses = IOVA_RANGE_CACHE_MAX_SIZE): number {
  return pageSize * 2 ** (rcacheClasses - 1);
}

/** iommu_dma_max_mapping_size() (6.9+); SIZE_MAX before (no op). */
export function iommuDmaMaxMappingSize(dev: DmaDevice, features: DmaKernelFeatures): number {
  if (features.untrustedMaxMappingSize && dev.untrusted) return swiotlbMaxMappingSize(dev, features);
  return SIZE_MAX;
}

/** dma_get_required_mask() for dma-direct: the low mask covering the highest RAM address. */
export function dmaRequiredMask(maxPhysAddress: bigint): bigint {
  const bits = maxPhysAddress === 0n ? 1 : maxPhysAddress.toString(2).length;
  return (1n << BigInt(bits)) - 1n;
}

/** dma_direct_max_mapping_size(). */
export function dmaDirectMaxMappingSize(dev: DmaDevice, features: DmaKernelFeatures, platform: DmaPlatform = DEFAULT_PLATFORM): number {
  if (platform.swiotlb === 'off') return SIZE_MAX;
  if (platform.swiotlb === 'force' || dev.addressingLimited(dmaRequiredMask(platform.maxPhysAddress))) {
    return swiotlbMaxMappingSize(dev, features);
  }
  return SIZE_MAX;
}

/** dma_max_mapping_size(). */
export function dmaMaxMappingSize(input: MappingSizeInput): number {
  if (input.mode !== 'translated') return dmaDirectMaxMappingSize(input.device, input.features, input.platform);
  return iommuDmaMaxMappingSize(input.device, input.features);
}

/** dma_opt_mapping_size(): min(dma_max_mapping_size(), the ops' opt size or SIZE_MAX). */
export function dmaOptMappingSize(input: MappingSizeInput): number {
  const max = dmaMaxMappingSize(input);
  const opt = input.mode === 'translated' ? iommuDmaOptMappingSize(input.pageSize, input.rcacheClasses) : SIZE_MAX;
  return Math.min(max, opt);
}

/**
 * `bytes >> SECTOR_SHIFT` as a kernel `min_t(unsigned int, x, size >> 9)` sees it: the shifted size_t
 * truncated to 32 bits, so SIZE_MAX >> 9 becomes 0xFFFFFFFF.
 */
export function bytesToSectorsU32(bytes: number): number {
  if (bytes === SIZE_MAX) return 0xffff_ffff;
  return Math.floor(bytes / 512) % 4294967296;
}

/** "131072 (128 KiB)" or "SIZE_MAX (no limit)". */
export function formatMappingSize(bytes: number): string {
  if (bytes === SIZE_MAX) return 'SIZE_MAX (no limit)';
  return `${bytes} (${formatBinary(bytes)})`;
}

/** 131072 -> "128 KiB", 1310720 -> "1280 KiB", 4194304 -> "4 MiB". */
export function formatBinary(bytes: number): string {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
