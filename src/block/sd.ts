/**
 * The SCSI disk driver's part of the request-size limits: sd_revalidate_disk().
 *
 * Kernel: drivers/scsi/sd.c.
 * - Until 6.10 (read @ 608128d391fa): dev_max = SD_MAX_XFER_BLOCKS if READ/WRITE(16) is used, else
 *   SD_DEF_XFER_BLOCKS (0xffff); min_not_zero with the Block Limits VPD MAXIMUM TRANSFER LENGTH;
 *   max_dev_sectors = that in sectors. rw_max = the OPTIMAL TRANSFER LENGTH if it passes
 *   sd_validate_opt_xfer_size(), else min_not_zero(dev_max, BLK_DEF_MAX_SECTORS); from 608128d391fa
 *   (6.0, the `merged` variant) rw_max = min_not_zero(rw_max, shost->opt_sectors); then
 *   min(rw_max, max_hw_sectors) becomes max_sectors on the first scan.
 * - 6.11+ (a23634644afc): io_opt = shost->opt_sectors << 9 (min_not_zero with a valid OPTIMAL TRANSFER
 *   LENGTH) and max_sectors is left to blk_validate_limits().
 */
import type { DmaKernelFeatures } from '../dma/kernel-features.js';
import { blkValidateMaxSectors, minNotZero, SECTOR_SIZE, type QueueLimits } from './queue-limits.js';
import type { CapVariant, ScsiHost } from './scsi-host.js';

export const SD_DEF_XFER_BLOCKS = 0xffff;
export const SD_MAX_XFER_BLOCKS = 0xffff_ffff;

export interface ScsiDiskDesc {
  readonly logicalBlockSize: number;
  readonly physicalBlockSize: number;
  /** sdp->use_16_for_rw (disks above 2 TiB, or when the device asks). */
  readonly use16ForRw?: boolean;
  /** Block Limits VPD MAXIMUM TRANSFER LENGTH, in logical blocks; 0 = not reported. */
  readonly maxXferBlocks?: number;
  /** Block Limits VPD OPTIMAL TRANSFER LENGTH, in logical blocks; 0 = not reported. */
  readonly optXferBlocks?: number;
}

const U32 = 4294967296;

function logicalToSectors(disk: ScsiDiskDesc, blocks: number): number {
  // sector_t maths, then stored in an unsigned int limit.
  return (blocks * (disk.logicalBlockSize / SECTOR_SIZE)) % U32;
}

/** sd_validate_opt_xfer_size() (the min_xfer check is not modelled). */
function optXferValid(disk: ScsiDiskDesc, devMax: number, pageSize: number): boolean {
  const opt = disk.optXferBlocks ?? 0;
  if (opt === 0 || opt > devMax || opt > SD_DEF_XFER_BLOCKS) return false;
  const bytes = opt * disk.logicalBlockSize;
  return bytes >= pageSize && bytes % disk.physicalBlockSize === 0;
}

/** sd_revalidate_disk() on the first scan: sets max_dev_sectors, io_opt and max_sectors. */
export function sdRevalidateDisk(
  lim: QueueLimits,
  host: ScsiHost | null,
  disk: ScsiDiskDesc,
  features: DmaKernelFeatures,
  variant: CapVariant,
  pageSize: number,
): void {
  let devMax = disk.use16ForRw ? SD_MAX_XFER_BLOCKS : SD_DEF_XFER_BLOCKS;
  devMax = minNotZero(devMax, disk.maxXferBlocks ?? 0);
  lim.maxDevSectors = logicalToSectors(disk, devMax);
  const optValid = optXferValid(disk, devMax, pageSize);
  const optSectors = variant === 'merged' && host !== null ? host.optSectors : 0;
  if (features.ioOptMaxSectors) {
    lim.ioOpt = (optSectors * SECTOR_SIZE) % U32;
    if (optValid) lim.ioOpt = minNotZero(lim.ioOpt, (disk.optXferBlocks ?? 0) * disk.logicalBlockSize);
    blkValidateMaxSectors(lim, features.blkDefMaxSectors, pageSize, features.ioOptPhysicalBlockRound);
    return;
  }
  let rwMax: number;
  if (optValid) {
    lim.ioOpt = (disk.optXferBlocks ?? 0) * disk.logicalBlockSize;
    rwMax = logicalToSectors(disk, disk.optXferBlocks ?? 0);
  } else {
    lim.ioOpt = 0;
    rwMax = minNotZero(logicalToSectors(disk, devMax), features.blkDefMaxSectors);
  }
  if (variant === 'merged') rwMax = minNotZero(rwMax, optSectors);
  lim.maxSectors = Math.min(rwMax, lim.maxHwSectors);
}
