/**
 * What changed in the DMA-mapping, SCSI and block layers between the kernels iovasim models, as
 * switches derived from a MAJOR.MINOR version (the iova.c switches live in
 * ../allocators/kernel-version.ts; this file does not repeat them).
 *
 * Versions and sources (see ../../../shared/spec/linux-iova.md §3, §4, §5.6):
 * - 6.0   dma_opt_mapping_size() (a229cc14f339) and iommu_dma_opt_mapping_size() (6d9870b7e5de);
 *         the SCSI series merged (bb7d1283e628, 608128d391fa, 4cbfca5f7750, 0568e6122574, a357f7b4583e).
 * - 6.4   NVMe caps max_hw_sectors with dma_opt_mapping_size() (3710e2b056cb).
 * - 6.6   the PCI SAC trick becomes a sticky per-device flag (791c2b17fb40).
 * - 6.7   the single 32768-entry flush queue for shadow_on_flush IOMMUs (32d5bc8b09c7, 9f5b681e2a3f).
 * - 6.9   iommu_dma_max_mapping_size(): swiotlb limit for untrusted devices (afc5aa46ed56).
 * - 6.11  sd sets io_opt from shost->opt_sectors and blk_validate_limits() derives max_sectors
 *         (a23634644afc, with hch's follow-up that only an io_opt above the default cap raises it).
 * - 6.17  BLK_DEF_MAX_SECTORS_CAP 2560 -> 8192 sectors (9b8b84879d4a; release inferred from dates).
 */
import { kernelProfile, KernelVersionError, type KernelProfile } from '../allocators/kernel-version.js';

export interface DmaKernelFeatures {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
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
  /** max_sectors comes from blk_validate_limits() with io_opt = opt_sectors << 9 (6.11+). */
  readonly ioOptMaxSectors: boolean;
  /** BLK_DEF_MAX_SECTORS(_CAP): 2560 sectors (1280 KiB) until 6.16, 8192 (4 MiB) from 6.17. */
  readonly blkDefMaxSectors: number;
  /** swiotlb_max_mapping_size() subtracts the rounded min_align_mask (from 5.18; see the report). */
  readonly swiotlbMinAlignInMax: boolean;
}

function parse(text: string): [number, number] {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new KernelVersionError(`kernel version "${text}" is not of the form MAJOR.MINOR (e.g. 5.19, 7.0)`);
  return [Number(match[1]), Number(match[2])];
}

/** Compares two MAJOR.MINOR versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = parse(a);
  const [bm, bn] = parse(b);
  return am !== bm ? am - bm : an - bn;
}

/** The DMA/block switches for a mainline version from 5.13 on (throws KernelVersionError otherwise). */
export function dmaKernelFeatures(versionText: string): DmaKernelFeatures {
  const profile = kernelProfile(versionText);
  const [major, minor] = parse(versionText);
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  return {
    version: profile.version,
    major,
    minor,
    profile,
    optMappingSize: atLeast(6, 0),
    sacSticky: atLeast(6, 6),
    singleFlushQueue: atLeast(6, 7),
    untrustedMaxMappingSize: atLeast(6, 9),
    nvmeOptCap: atLeast(6, 4),
    ioOptMaxSectors: atLeast(6, 11),
    blkDefMaxSectors: atLeast(6, 17) ? 8192 : 2560,
    swiotlbMinAlignInMax: atLeast(5, 18),
  };
}
