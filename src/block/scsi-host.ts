/**
 * A SCSI host (struct Scsi_Host) from its template, and the three ways the DMA mapping limits have
 * capped it.
 *
 * Kernel: drivers/scsi/hosts.c scsi_host_alloc() (template max_sectors 0 -> SCSI_DEFAULT_MAX_SECTORS
 * 1024; max_segment_size 0 -> BLK_MAX_SEGMENT_SIZE 65536; dma_boundary 0 -> 0xffffffff) and
 * scsi_add_host_with_dma(); drivers/scsi/scsi_lib.c __scsi_init_queue(); drivers/scsi/
 * scsi_transport_sas.c sas_host_setup(); include/linux/libata.h __ATA_BASE_SHT.
 *
 * Cap variants (spec §4.1; "DMA mapping changes for SCSI core", John Garry, 2022):
 * - `none` — before the series (5.19): __scsi_init_queue() caps shost->max_sectors with
 *   dma_max_mapping_size() >> 9 for every queue it sets up.
 * - `seed` — the series as posted (v1..v3, May-June 2022): scsi_add_host_with_dma() caps every host's
 *   max_sectors with dma_opt_mapping_size() >> 9; libata caps its device max_sectors with the host's
 *   (v3 patch 4). Bart Van Assche objected (SRP arrays, UFS behind IOMMUs), so it changed.
 * - `merged` — what shipped in 6.0: scsi_add_host_with_dma() caps with dma_max_mapping_size() (moved
 *   there from __scsi_init_queue(), bb7d1283e628); SAS hosts set opt_sectors = min(max_sectors,
 *   dma_opt_mapping_size() >> 9) in sas_host_setup() (4cbfca5f7750); sd caps the soft max_sectors
 *   with it (608128d391fa; from 6.11 it becomes io_opt instead); libata caps device max_sectors with
 *   the host's (0568e6122574); and libata templates set max_sectors = ATA_MAX_SECTORS_LBA48
 *   (a357f7b4583e, 6.0-rc2) so that cap does not shrink LBA48 disks to 1024 sectors.
 */
import { bytesToSectorsU32 } from '../dma/mapping-size.js';
import {
  BLK_MAX_SEGMENT_SIZE,
  blkQueueMaxHwSectors,
  blkQueueMaxSegments,
  blkQueueMaxSegmentSize,
  blkQueueSegmentBoundary,
  blkQueueVirtBoundary,
  type QueueLimits,
} from './queue-limits.js';

export type CapVariant = 'seed' | 'merged' | 'none';
export const CAP_VARIANTS: readonly CapVariant[] = ['seed', 'merged', 'none'];

/** `sas`: a SAS HBA (scsi_transport_sas); `ata`: a libata host (__ATA_BASE_SHT); `scsi`: any other. */
export type HostTransport = 'sas' | 'ata' | 'scsi';

export const SCSI_DEFAULT_MAX_SECTORS = 1024;
/** SG_MAX_SEGMENTS: the most segments __scsi_init_queue() allows. */
export const SG_MAX_SEGMENTS = 2048;
export const SCSI_DEFAULT_DMA_BOUNDARY = 0xffff_ffffn;
/** ATA_MAX_SECTORS_LBA48, which __ATA_BASE_SHT sets as max_sectors from a357f7b4583e. */
export const ATA_TEMPLATE_MAX_SECTORS_LBA48 = 65535;

/** The limit-related fields of struct scsi_host_template (0 or absent = the midlayer default). */
export interface HostTemplate {
  readonly name: string;
  readonly transport: HostTransport;
  readonly maxSectors?: number;
  readonly sgTablesize: number;
  readonly maxSegmentSize?: number;
  readonly dmaBoundary?: bigint;
  readonly virtBoundaryMask?: number;
  readonly canQueue: number;
  readonly nrHwQueues?: number;
}

export interface ScsiHost {
  readonly template: HostTemplate;
  maxSectors: number;
  /** Scsi_Host.opt_sectors (6.0+, SAS transport only); 0 = unset. */
  optSectors: number;
  sgTablesize: number;
  maxSegmentSize: number;
  dmaBoundary: bigint;
  virtBoundaryMask: number;
  canQueue: number;
  nrHwQueues: number;
  /** How max_sectors got its value, step by step. */
  readonly trail: string[];
}

/** The DMA device's mapping sizes as the SCSI midlayer reads them. */
export interface HostDmaSizes {
  /** dma_max_mapping_size(dma_dev). */
  readonly max: number;
  /** dma_opt_mapping_size(dma_dev). */
  readonly opt: number;
}

/** scsi_host_alloc(): the template's limits with the midlayer's defaults. */
export function scsiHostAlloc(template: HostTemplate, variant: CapVariant): ScsiHost {
  const trail: string[] = [];
  let maxSectors = template.maxSectors ?? 0;
  if (maxSectors === 0 && template.transport === 'ata' && variant === 'merged') {
    maxSectors = ATA_TEMPLATE_MAX_SECTORS_LBA48;
    trail.push(`__ATA_BASE_SHT max_sectors = ATA_MAX_SECTORS_LBA48 = ${maxSectors} (a357f7b4583e)`);
  }
  if (maxSectors === 0) {
    maxSectors = SCSI_DEFAULT_MAX_SECTORS;
    trail.push(`template max_sectors unset: SCSI_DEFAULT_MAX_SECTORS = ${maxSectors}`);
  } else if (trail.length === 0) {
    trail.push(`template max_sectors = ${maxSectors}`);
  }
  return {
    template,
    maxSectors,
    optSectors: 0,
    sgTablesize: template.sgTablesize,
    maxSegmentSize: template.maxSegmentSize || BLK_MAX_SEGMENT_SIZE,
    dmaBoundary: template.dmaBoundary || SCSI_DEFAULT_DMA_BOUNDARY,
    virtBoundaryMask: template.virtBoundaryMask ?? 0,
    canQueue: template.canQueue,
    nrHwQueues: template.nrHwQueues ?? 1,
    trail,
  };
}

/** min_t(unsigned int, a, bytes >> SECTOR_SHIFT). */
function capSectors(current: number, bytes: number): number {
  return Math.min(current, bytesToSectorsU32(bytes));
}

/** scsi_add_host_with_dma(): the per-host cap (`seed`: opt; `merged`: max; `none`: nothing here). */
export function scsiAddHostWithDma(host: ScsiHost, sizes: HostDmaSizes, variant: CapVariant): void {
  if (variant === 'none') return;
  const bytes = variant === 'seed' ? sizes.opt : sizes.max;
  const before = host.maxSectors;
  host.maxSectors = capSectors(host.maxSectors, bytes);
  const fn = variant === 'seed' ? 'dma_opt_mapping_size' : 'dma_max_mapping_size';
  host.trail.push(`scsi_add_host_with_dma: min(${before}, ${fn} >> 9) = ${host.maxSectors}`);
}

/** sas_host_setup() (`merged` only): opt_sectors = min(max_sectors, dma_opt_mapping_size >> 9). */
export function sasHostSetup(host: ScsiHost, sizes: HostDmaSizes, variant: CapVariant): void {
  if (variant !== 'merged' || host.template.transport !== 'sas') return;
  host.optSectors = capSectors(host.maxSectors, sizes.opt);
  host.trail.push(`sas_host_setup: opt_sectors = min(${host.maxSectors}, dma_opt_mapping_size >> 9) = ${host.optSectors}`);
}

/**
 * __scsi_init_queue(): the queue limits from the host, and what it pushes back onto the DMA device
 * (dma_set_seg_boundary(), dma_set_max_seg_size()). Returns the device's new segment limits.
 */
export function scsiInitQueue(
  host: ScsiHost,
  lim: QueueLimits,
  sizes: HostDmaSizes,
  variant: CapVariant,
  pageSize: number,
  defMaxSectors: number,
): { segBoundaryMask: bigint; maxSegmentSize: number } {
  blkQueueMaxSegments(lim, Math.min(host.sgTablesize, SG_MAX_SEGMENTS));
  if (variant === 'none') {
    const before = host.maxSectors;
    host.maxSectors = capSectors(host.maxSectors, sizes.max);
    host.trail.push(`__scsi_init_queue: min(${before}, dma_max_mapping_size >> 9) = ${host.maxSectors}`);
  }
  blkQueueMaxHwSectors(lim, host.maxSectors, pageSize, defMaxSectors);
  blkQueueSegmentBoundary(lim, host.dmaBoundary, pageSize);
  blkQueueMaxSegmentSize(lim, host.maxSegmentSize, pageSize);
  blkQueueVirtBoundary(lim, host.virtBoundaryMask);
  return { segBoundaryMask: host.dmaBoundary, maxSegmentSize: lim.maxSegmentSize };
}
