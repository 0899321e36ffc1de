/**
 * A request queue's limits (struct queue_limits) and the setters that derive them.
 *
 * Kernel: block/blk-settings.c.
 * - 5.19 (and until the atomic queue-limits API): blk_queue_max_hw_sectors() raises the value to one
 *   page, rounds it to the logical block size and sets max_sectors = min(min_not_zero(max_hw,
 *   max_dev_sectors), BLK_DEF_MAX_SECTORS = 2560) (d2be537c3ba3, 2015); blk_queue_max_segments(),
 *   blk_queue_max_segment_size() (at least PAGE_SIZE), blk_queue_segment_boundary() (at least
 *   PAGE_SIZE - 1), blk_queue_virt_boundary() (a virt boundary lifts max_segment_size to UINT_MAX),
 *   blk_queue_logical_block_size() (rounds max_sectors and max_hw_sectors down).
 * - 6.11+ blk_validate_limits() (a23634644afc + "block: don't reduce max_sectors based on io_opt"):
 *   max_sectors = min(max_hw', max_user_sectors) if set; else min(max_hw', io_opt >> 9) if io_opt >
 *   BLK_DEF_MAX_SECTORS_CAP << 9; else min(max_hw', io_min >> 9) if io_min is above that cap; else
 *   min(max_hw', BLK_DEF_MAX_SECTORS_CAP) — with max_hw' = min_not_zero(max_hw, max_dev_sectors),
 *   rounded down to the logical block size. io_opt is rounded down to the physical block size from
 *   9c0ba14828d6 (6.12; not in 6.11.0).
 * - BLK_DEF_MAX_SECTORS_CAP = 8192 (4 MiB) from 9b8b84879d4a (~6.17), 2560 before.
 */

export const SECTOR_SIZE = 512;
/** BLK_SAFE_MAX_SECTORS: the default max_hw_sectors when a driver sets none. */
export const BLK_SAFE_MAX_SECTORS = 255;
/** BLK_MAX_SEGMENTS: the default max_segments. */
export const BLK_MAX_SEGMENTS = 128;
/** BLK_MAX_SEGMENT_SIZE: the odd historic 64 KiB default. */
export const BLK_MAX_SEGMENT_SIZE = 65536;
/** BLK_SEG_BOUNDARY_MASK. */
export const BLK_SEG_BOUNDARY_MASK = 0xffff_ffffn;
export const UINT_MAX = 0xffff_ffff;

export interface QueueLimits {
  logicalBlockSize: number;
  physicalBlockSize: number;
  maxHwSectors: number;
  maxSectors: number;
  /** Set by sd from the device's block-count limit; 0 = none. */
  maxDevSectors: number;
  /** A value written to max_sectors_kb (6.10+ remembers it); 0 = none. */
  maxUserSectors: number;
  maxSegments: number;
  maxSegmentSize: number;
  segBoundaryMask: bigint;
  /** segBoundaryMask + 1, as a number. */
  segBoundarySize: number;
  /** 0 = none; NVMe sets NVME_CTRL_PAGE_SIZE - 1. */
  virtBoundaryMask: number;
  ioMin: number;
  ioOpt: number;
}

/** blk_set_default_limits(). */
export function defaultQueueLimits(): QueueLimits {
  return {
    logicalBlockSize: SECTOR_SIZE,
    physicalBlockSize: SECTOR_SIZE,
    maxHwSectors: BLK_SAFE_MAX_SECTORS,
    maxSectors: BLK_SAFE_MAX_SECTORS,
    maxDevSectors: 0,
    maxUserSectors: 0,
    maxSegments: BLK_MAX_SEGMENTS,
    maxSegmentSize: BLK_MAX_SEGMENT_SIZE,
    segBoundaryMask: BLK_SEG_BOUNDARY_MASK,
    segBoundarySize: Number(BLK_SEG_BOUNDARY_MASK + 1n),
    virtBoundaryMask: 0,
    ioMin: 0,
    ioOpt: 0,
  };
}

export function minNotZero(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

function roundDown(x: number, multiple: number): number {
  return x - (x % multiple);
}

/** blk_queue_max_hw_sectors() as in 5.19: also resets max_sectors to the default cap. */
export function blkQueueMaxHwSectors(lim: QueueLimits, maxHwSectors: number, pageSize: number, defMaxSectors: number): void {
  let maxHw = maxHwSectors;
  if (maxHw * SECTOR_SIZE < pageSize) maxHw = pageSize / SECTOR_SIZE;
  const lbs = lim.logicalBlockSize / SECTOR_SIZE;
  maxHw = roundDown(maxHw, lbs);
  lim.maxHwSectors = maxHw;
  let maxSectors = minNotZero(maxHw, lim.maxDevSectors);
  maxSectors = Math.min(maxSectors, defMaxSectors);
  lim.maxSectors = roundDown(maxSectors, lbs);
}

/** blk_queue_max_segments(): at least 1. */
export function blkQueueMaxSegments(lim: QueueLimits, maxSegments: number): void {
  lim.maxSegments = Math.max(1, maxSegments);
}

/** blk_queue_max_segment_size(): at least PAGE_SIZE. */
export function blkQueueMaxSegmentSize(lim: QueueLimits, size: number, pageSize: number): void {
  lim.maxSegmentSize = Math.max(size, pageSize);
}

/** blk_queue_segment_boundary(): at least PAGE_SIZE - 1. */
export function blkQueueSegmentBoundary(lim: QueueLimits, mask: bigint, pageSize: number): void {
  const min = BigInt(pageSize - 1);
  lim.segBoundaryMask = mask < min ? min : mask;
  lim.segBoundarySize = Number(lim.segBoundaryMask + 1n);
}

/** blk_queue_virt_boundary(): a virt boundary means no segment size limit. */
export function blkQueueVirtBoundary(lim: QueueLimits, mask: number): void {
  lim.virtBoundaryMask = mask;
  if (mask !== 0) lim.maxSegmentSize = UINT_MAX;
}

/** blk_queue_logical_block_size() (+ physical): rounds the sector limits down to whole blocks. */
export function blkQueueBlockSizes(lim: QueueLimits, logical: number, physical: number): void {
  lim.logicalBlockSize = logical;
  lim.physicalBlockSize = Math.max(physical, logical);
  const lbs = logical / SECTOR_SIZE;
  lim.maxHwSectors = roundDown(lim.maxHwSectors, lbs);
  lim.maxSectors = roundDown(lim.maxSectors, lbs);
}

/**
 * The max_sectors part of blk_validate_limits() (6.11+). `roundIoOpt`: io_opt is first rounded down
 * to the physical block size (9c0ba14828d6: 6.12, not 6.11.0).
 */
export function blkValidateMaxSectors(lim: QueueLimits, defMaxSectorsCap: number, pageSize: number, roundIoOpt = true): void {
  if (roundIoOpt) lim.ioOpt = roundDown(lim.ioOpt, lim.physicalBlockSize);
  const lbs = lim.logicalBlockSize / SECTOR_SIZE;
  lim.maxHwSectors = roundDown(lim.maxHwSectors, lbs);
  const maxHw = minNotZero(lim.maxHwSectors, lim.maxDevSectors);
  const cap = defMaxSectorsCap * SECTOR_SIZE;
  let maxSectors: number;
  if (lim.maxUserSectors !== 0) {
    if (lim.maxUserSectors < pageSize / SECTOR_SIZE) throw new RangeError(`max_user_sectors ${lim.maxUserSectors} is below one page`);
    maxSectors = Math.min(maxHw, lim.maxUserSectors);
  } else if (lim.ioOpt > cap) {
    maxSectors = Math.min(maxHw, Math.floor(lim.ioOpt / SECTOR_SIZE));
  } else if (lim.ioMin > cap) {
    maxSectors = Math.min(maxHw, Math.floor(lim.ioMin / SECTOR_SIZE));
  } else {
    maxSectors = Math.min(maxHw, defMaxSectorsCap);
  }
  lim.maxSectors = roundDown(maxSectors, lbs);
}

/** The sysfs view: max_hw_sectors_kb, max_sectors_kb, ... */
export interface SysfsQueueView {
  readonly max_hw_sectors_kb: number;
  readonly max_sectors_kb: number;
  readonly max_segments: number;
  readonly max_segment_size: number;
  readonly optimal_io_size: number;
  readonly logical_block_size: number;
}

export function sysfsView(lim: QueueLimits): SysfsQueueView {
  return {
    max_hw_sectors_kb: Math.floor(lim.maxHwSectors / 2),
    max_sectors_kb: Math.floor(lim.maxSectors / 2),
    max_segments: lim.maxSegments,
    max_segment_size: lim.maxSegmentSize,
    optimal_io_size: lim.ioOpt,
    logical_block_size: lim.logicalBlockSize,
  };
}
