/**
 * Every kernel change iovasim models, as one table: what changed, in which commit, in which mainline
 * release, and in which point release of each stable line it was backported to. A profile of the
 * IOVA allocator (../allocators/kernel-version.ts) and of the DMA/SCSI/block layers
 * (../dma/kernel-features.ts) is a set of `has(version, change)` questions against this table, so
 * adding a version switch is adding one row here and reading it where the behaviour lives.
 *
 * Rule: version X.Y.Z has a change when X.Y is at or after the change's mainline release, or when the
 * stable line X.Y lists a first point release P and Z >= P. A reverted change is two rows (the change
 * and its revert); a version has the behaviour when it has the change and not the revert.
 *
 * Backports are listed only where a source establishes the point release (the golden traces of
 * ../../../shared/conformance/ for iova.c; stable review mails for the rest). Lines not listed are
 * modelled as not having the backport; the `note` of a row says when that is known to be incomplete.
 *
 * This module imports nothing of ours: every layer may use it.
 */
import { compareKernelVersions, parseKernelVersion, stableLine, type KernelVersion } from './version.js';

export type KernelArea = 'iova' | 'dma-iommu' | 'swiotlb' | 'scsi' | 'libata' | 'block' | 'nvme';

export interface KernelChange {
  /** The switch name the code reads. */
  readonly id: string;
  readonly area: KernelArea;
  /** Mainline commit (12 hex digits), or several joined by '+' when they landed together. */
  readonly commit: string;
  /** The commit's subject line. */
  readonly title: string;
  /** First mainline release that contains it, MAJOR.MINOR. */
  readonly mainline: string;
  /** Stable line MAJOR.MINOR -> first point release that contains the backport. */
  readonly stable: Readonly<Record<string, number>>;
  /** What a model of this kernel does differently with it. */
  readonly effect: string;
  readonly note?: string;
}

export const KERNEL_CHANGES: readonly KernelChange[] = [
  // ---- drivers/iommu/iova.c --------------------------------------------------------------------
  {
    id: 'iovaRetryPass',
    area: 'iova',
    commit: '4e89dce72521',
    title: 'iommu/iova: Retry from last rb tree node if iova search fails',
    mainline: '5.11',
    stable: {},
    effect: 'a failed walk below the cached node retries once from the top of the limit down to it (before: the request fails)',
  },
  {
    id: 'iovaFlushFreesDepot',
    area: 'iova',
    commit: '6fa3525b455a',
    title: 'iommu/iova: Free global iova rcache on iova alloc failure',
    mainline: '5.11',
    stable: {},
    effect: "alloc_iova_fast()'s flush-and-retry also frees the depot's magazines (before: only each online CPU's)",
  },
  {
    id: 'iovaFindLimit',
    area: 'iova',
    commit: '371d7955e310',
    title: 'iommu/iova: Improve restart logic',
    mainline: '5.13',
    stable: {},
    effect: 'the retry starts at iova_find_limit(limit) instead of the anchor: same addresses, fewer visits',
  },
  {
    id: 'iovaFastAllocRoundup',
    area: 'iova',
    commit: '972bf252f860',
    title: 'iommu/iova: Move fast alloc size roundup into alloc_iova_fast()',
    mainline: '5.17',
    stable: {},
    effect: 'alloc_iova_fast() rounds cacheable sizes up to a power of two (before: iommu_dma_alloc_iova() did)',
  },
  {
    id: 'iovaMax32ResetOnAnyFree',
    area: 'iova',
    commit: '5b61343b5059',
    title: 'iommu/iova: Improve 32-bit free space estimate',
    mainline: '5.18',
    stable: { '5.15': 33 },
    effect: 'any free below the 32-bit boundary resets max32_alloc_size (before: only a free at or above the cached32 node)',
  },
  {
    id: 'iovaRcacheInitSeparate',
    area: 'iova',
    commit: '32e92d9f6f87',
    title: 'iommu/iova: Separate out rcache init',
    mainline: '5.18',
    stable: {},
    effect: 'rcaches are set up by iova_domain_init_rcaches() (before: inside init_iova_domain()); API only',
  },
  {
    id: 'iovaMagazine127',
    area: 'iova',
    commit: 'b4c9bf178ace',
    title: 'iommu/iova: change IOVA_MAG_SIZE to 127 to save memory',
    mainline: '6.0',
    stable: {},
    effect: 'a magazine holds 127 pfns instead of 128',
  },
  {
    id: 'iovaRetryOverflowFix',
    area: 'iova',
    commit: 'dcdb3ba7e2a8',
    title: 'iommu/iova: Fix alloc iova overflows issue',
    mainline: '6.2',
    stable: { '5.15': 89, '6.1': 7 },
    effect: 'the retry no longer wraps retry_pfn to 0 at the anchor (before: pfns below start_pfn, then a livelock)',
  },
  {
    id: 'iovaDepotList',
    area: 'iova',
    commit: '911aa1245da8+233045378dbb',
    title: 'iommu/iova: Make the rcache depot scale better; Manage the depot list size',
    mainline: '6.7',
    stable: {},
    effect: 'the depot is an unbounded list trimmed every 100 ms (before: MAX_GLOBAL_MAGS = 32 slots)',
  },
  // ---- drivers/iommu/dma-iommu.c, kernel/dma ---------------------------------------------------
  {
    id: 'dmaOptMappingSize',
    area: 'dma-iommu',
    commit: 'a229cc14f339+6d9870b7e5de',
    title: 'dma-mapping: add dma_opt_mapping_size(); dma-iommu: add iommu_dma_opt_mapping_size()',
    mainline: '6.0',
    stable: {},
    effect: 'dma_opt_mapping_size() exists and is the rcache range behind an IOMMU',
    note: 'stable lines later took it as a dependency of the 2024 swiotlb fixes; those point releases are not modelled',
  },
  {
    id: 'dmaSacSticky',
    area: 'dma-iommu',
    commit: '791c2b17fb40',
    title: 'iommu: Optimise PCI SAC address trick',
    mainline: '6.6',
    stable: {},
    effect: 'after one failed 32-bit attempt a device stops trying below 4 GiB (before: every allocation tries)',
  },
  {
    id: 'dmaSingleFlushQueue',
    area: 'dma-iommu',
    commit: '32d5bc8b09c7+9f5b681e2a3f',
    title: 'iommu/dma: Allow a single FQ in addition to per-CPU FQs; Use a large flush queue and timeout for shadow_on_flush',
    mainline: '6.7',
    stable: {},
    effect: 'shadow_on_flush IOMMUs use one 32768-entry flush queue with a 1000 ms timer',
  },
  {
    id: 'dmaUntrustedMaxMappingSize',
    area: 'dma-iommu',
    commit: 'afc5aa46ed56',
    title: 'iommu/dma: Force swiotlb_max_mapping_size on an untrusted device',
    mainline: '6.9',
    stable: {},
    effect: 'dma_max_mapping_size() of an untrusted device is the swiotlb limit (before: SIZE_MAX)',
    note: 'stable-backported to 5.15 and later lines; the point releases are not established here, so not modelled',
  },
  {
    id: 'swiotlbMinAlignInMax',
    area: 'swiotlb',
    commit: '82806744fd7d',
    title: 'swiotlb: max mapping size takes min align mask into account',
    mainline: '5.19',
    stable: { '5.10': 147, '5.15': 72 },
    effect: 'swiotlb_max_mapping_size() subtracts min_align_mask rounded up to IO_TLB_SIZE',
  },
  {
    id: 'swiotlbAlignOffsetKeepsAllocMask',
    area: 'swiotlb',
    commit: '51b30ecb73b4',
    title: 'swiotlb: Fix alignment checks when both allocation and DMA masks are present',
    mainline: '6.9',
    stable: {},
    effect:
      'a bounced buffer keeps orig & min_align_mask & (alloc_align_mask | 2047) as its offset (before: & 2047, so bit 11 was lost for 4 KiB min_align_mask devices such as NVMe)',
  },
  // ---- SCSI, libata ----------------------------------------------------------------------------
  {
    id: 'hisiSasV3HwSectorsCap',
    area: 'scsi',
    commit: 'fce54ed02757',
    title: 'scsi: hisi_sas: Limit max hw sectors for v3 HW',
    mainline: '5.19',
    stable: {},
    effect: 'hisi_sas v3 slave_configure caps max_hw_sectors at (PAGE_SIZE * 32) >> 9 in every IOMMU mode',
    note: 'also carried by 5.10.y until its revert in 5.10.147; the first 5.10.y point release is not established here, so not modelled',
  },
  {
    id: 'hisiSasV3HwSectorsCapReverted',
    area: 'scsi',
    commit: '245050af5d15',
    title: 'scsi: hisi_sas: Revert "scsi: hisi_sas: Limit max hw sectors for v3 HW"',
    mainline: '6.1',
    stable: {},
    effect: 'the hisi_sas v3 cap is gone again (the SCSI core caps with dma_opt_mapping_size() since 6.0)',
  },
  {
    id: 'scsiDmaOptCap',
    area: 'scsi',
    commit: 'bb7d1283e628+608128d391fa+4cbfca5f7750+0568e6122574+a357f7b4583e',
    title: 'DMA mapping changes for SCSI core (v6) and ata: libata: Set __ATA_BASE_SHT max_sectors',
    mainline: '6.0',
    stable: {},
    effect: 'the `merged` cap variant: SAS opt_sectors, sd caps the soft limit, libata caps with the host',
  },
  // ---- block layer -----------------------------------------------------------------------------
  {
    id: 'blockIoOptMaxSectors',
    area: 'block',
    commit: 'a23634644afc+37105615f731',
    title: "block: take io_opt and io_min into account for max_sectors; block: don't reduce max_sectors based on io_opt",
    mainline: '6.11',
    stable: {},
    effect: 'sd sets io_opt from opt_sectors; blk_validate_limits() raises max_sectors to io_opt only above the default cap',
  },
  {
    id: 'blockIoOptPhysicalBlockRound',
    area: 'block',
    commit: '9c0ba14828d6',
    title: '(io_opt rounded down to the physical block size; subject line not verified here)',
    mainline: '6.12',
    stable: {},
    effect: 'blk_validate_limits() rounds io_opt down to a multiple of the physical block size',
    note: 'also in a 6.11.y point release not established here (6.11.y is modelled without it)',
  },
  {
    id: 'blockDefMaxSectors4M',
    area: 'block',
    commit: '9b8b84879d4a',
    title: 'block: Increase BLK_DEF_MAX_SECTORS_CAP',
    mainline: '6.17',
    stable: {},
    effect: 'BLK_DEF_MAX_SECTORS_CAP 2560 -> 8192 sectors (1280 KiB -> 4 MiB)',
    note: 'release inferred from the commit date (June 2025)',
  },
  // ---- NVMe PCI --------------------------------------------------------------------------------
  {
    id: 'nvmeMaxKb8M',
    area: 'nvme',
    commit: '7846c1b5a5db',
    title: 'nvme-pci: place descriptor addresses in iod',
    mainline: '6.3',
    stable: {},
    effect: 'NVME_MAX_KB_SZ 4096 -> 8192 and NVME_MAX_SEGS 127 -> 128',
  },
  {
    id: 'nvmeOptCap',
    area: 'nvme',
    commit: '3710e2b056cb',
    title: 'nvme-pci: clamp max_hw_sectors based on DMA optimized limitation',
    mainline: '6.4',
    stable: {},
    effect: 'max_hw_sectors is capped with dma_opt_mapping_size() (before: dma_max_mapping_size())',
  },
  {
    id: 'nvmeBlkRqDmaMap',
    area: 'nvme',
    commit: '7ce3c1dd78fc+16353f1b0e08',
    title: 'nvme-pci: convert the data mapping to blk_rq_dma_map; nvme-pci: replace NVME_MAX_KB_SZ with NVME_MAX_BYTE',
    mainline: '6.17',
    stable: {},
    effect: 'the PCI driver maps with blk_rq_dma_map; its limits become an 8 MiB maximum and 256 segments',
    note: 'the new mapping path itself (dma_iova_* without a scatterlist) is not modelled, only the limits',
  },
];

const BY_ID = new Map<string, KernelChange>(KERNEL_CHANGES.map((change) => [change.id, change]));

function mainlineVersion(change: KernelChange): KernelVersion {
  return parseKernelVersion(change.mainline);
}

/** Whether `version` contains the change (in mainline, or backported to its stable line). */
export function hasChange(version: KernelVersion, id: string): boolean {
  const change = BY_ID.get(id);
  if (change === undefined) throw new Error(`no kernel change "${id}" in KERNEL_CHANGES`);
  if (compareKernelVersions({ ...version, patch: 0 }, mainlineVersion(change)) >= 0) return true;
  const point = change.stable[stableLine(version)];
  return point !== undefined && version.patch >= point;
}

/** The rows a version has, in table order. */
export function changesIn(version: KernelVersion): KernelChange[] {
  return KERNEL_CHANGES.filter((change) => hasChange(version, change.id));
}

/** The rows that first appear in `version` compared with `previous` (what changed going from one to the other). */
export function changesBetween(previous: KernelVersion, version: KernelVersion): KernelChange[] {
  return KERNEL_CHANGES.filter((change) => hasChange(version, change.id) && !hasChange(previous, change.id));
}

export function kernelChange(id: string): KernelChange {
  const change = BY_ID.get(id);
  if (change === undefined) throw new Error(`no kernel change "${id}" in KERNEL_CHANGES`);
  return change;
}
