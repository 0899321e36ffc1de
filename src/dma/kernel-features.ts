/**
 * What the DMA-mapping, SCSI, libata, block and NVMe layers do differently in a given kernel, as the
 * switches the code of ../dma/ and ../block/ reads. Every switch is a question to the one table of
 * kernel changes (../kernel/changes.ts: commit, mainline release, stable backports), the same table
 * the iova.c switches (../allocators/kernel-version.ts) come from. Adding a switch: a row there, a
 * field here.
 *
 * Not modelled, whatever the version: the 6.15+ dma-iommu rework around dma_iova_* and the 6.17
 * NVMe blk_rq_dma_map path map without a scatterlist; here every kernel maps through the same
 * iommu_dma_map_sg()/map_page() model, and only those kernels' limits change.
 */
import { kernelProfile, type KernelProfile } from '../allocators/kernel-version.js';
import { hasChange } from '../kernel/changes.js';
import { compareKernelVersions, KernelVersionError, parseKernelVersion } from '../kernel/version.js';

export { KernelVersionError };

export interface DmaKernelFeatures {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** The stable point release (0 for the mainline release). */
  readonly patch: number;
  /** The iova.c switches for the same version. */
  readonly profile: KernelProfile;
  /** dma_opt_mapping_size() and the iommu opt op exist (6.0+). */
  readonly optMappingSize: boolean;
  /** The first 32-bit IOVA attempt is a sticky per-device flag (6.6+); before, it is tried every time. */
  readonly sacSticky: boolean;
  /** dev->iommu->shadow_on_flush selects one global 32768-slot queue with a 1000 ms timer (6.7+). */
  readonly singleFlushQueue: boolean;
  /** iommu_dma_max_mapping_size() returns the swiotlb limit for untrusted devices (6.9+). */
  readonly untrustedMaxMappingSize: boolean;
  /** NVMe PCI caps max_hw_sectors with dma_opt_mapping_size() instead of the max (6.4+). */
  readonly nvmeOptCap: boolean;
  /** NVME_MAX_KB_SZ: 4096 up to 6.2, 8192 from 6.3 (7846c1b5a5db), 8 MiB (NVME_MAX_BYTE) from 6.17. */
  readonly nvmeMaxKb: number;
  /** NVME_MAX_SEGS: 127 up to 6.2, 128 from 6.3, 256 from 6.17 (blk_rq_dma_map conversion). */
  readonly nvmeMaxSegments: number;
  /** max_sectors comes from blk_validate_limits() with io_opt = opt_sectors << 9 (6.11+). */
  readonly ioOptMaxSectors: boolean;
  /** blk_validate_limits() rounds io_opt down to the physical block size (9c0ba14828d6, 6.12). */
  readonly ioOptPhysicalBlockRound: boolean;
  /** BLK_DEF_MAX_SECTORS(_CAP): 2560 sectors (1280 KiB) until 6.16, 8192 (4 MiB) from 6.17. */
  readonly blkDefMaxSectors: number;
  /** swiotlb_max_mapping_size() subtracts the rounded min_align_mask (82806744fd7d, 5.19; 5.10.147, 5.15.72). */
  readonly swiotlbMinAlignInMax: boolean;
  /** A bounce keeps orig & min_align_mask & (alloc_align_mask | 2047) as offset (51b30ecb73b4, 6.9); before, & 2047. */
  readonly swiotlbAlignOffsetKeepsAllocMask: boolean;
  /** hisi_sas v3 slave_configure caps max_hw_sectors at 32 pages (fce54ed02757, 5.19; reverted in 6.1). */
  readonly hisiSasV3HwSectorsCap: boolean;
}

/** Compares two kernel versions (MAJOR.MINOR or MAJOR.MINOR.PATCH): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  return compareKernelVersions(parseKernelVersion(a), parseKernelVersion(b));
}

/** The DMA/block switches for a kernel version from 5.10 on (throws KernelVersionError otherwise). */
export function dmaKernelFeatures(versionText: string): DmaKernelFeatures {
  const profile = kernelProfile(versionText);
  const v = parseKernelVersion(versionText);
  const has = (id: string): boolean => hasChange(v, id);
  const nvmeBlkRqDmaMap = has('nvmeBlkRqDmaMap');
  const nvme8M = has('nvmeMaxKb8M');
  return {
    version: profile.version,
    major: v.major,
    minor: v.minor,
    patch: v.patch,
    profile,
    optMappingSize: has('dmaOptMappingSize'),
    sacSticky: has('dmaSacSticky'),
    singleFlushQueue: has('dmaSingleFlushQueue'),
    untrustedMaxMappingSize: has('dmaUntrustedMaxMappingSize'),
    nvmeOptCap: has('nvmeOptCap'),
    nvmeMaxKb: nvmeBlkRqDmaMap || nvme8M ? 8192 : 4096,
    nvmeMaxSegments: nvmeBlkRqDmaMap ? 256 : nvme8M ? 128 : 127,
    ioOptMaxSectors: has('blockIoOptMaxSectors'),
    ioOptPhysicalBlockRound: has('blockIoOptPhysicalBlockRound'),
    blkDefMaxSectors: has('blockDefMaxSectors4M') ? 8192 : 2560,
    swiotlbMinAlignInMax: has('swiotlbMinAlignInMax'),
    swiotlbAlignOffsetKeepsAllocMask: has('swiotlbAlignOffsetKeepsAllocMask'),
    hisiSasV3HwSectorsCap: has('hisiSasV3HwSectorsCap') && !has('hisiSasV3HwSectorsCapReverted'),
  };
}
