/**
 * Occupancy figures (AllocatorStats) from free runs reported in address order, shared by the
 * alternative allocators so that all of them define "largest free block" the way IovaDomain.stats()
 * does: the longest run of address-contiguous free granules inside [startPfn, endPfn] (adjacent free
 * blocks are one run even when the allocator keeps them apart, e.g. two buddies of different parents),
 * and below 32 bits the longest part of a run that lies below dma32BitPfn.
 */
import type { AllocatorStats } from './allocator.js';

export class FreeRunAccumulator {
  private runLo = 0;
  private runHi = -2;
  private free = 0;
  private largest = 0;
  private largest32 = 0;

  constructor(
    private readonly windowLo: number,
    private readonly windowHi: number,
    private readonly dma32BitPfn: number,
  ) {}

  /** Adds the free granules [lo, hi]; calls must come in increasing address order. */
  add(lo: number, hi: number): void {
    const a = lo < this.windowLo ? this.windowLo : lo;
    const b = hi > this.windowHi ? this.windowHi : hi;
    if (a > b) return;
    if (a === this.runHi + 1) {
      this.runHi = b;
      return;
    }
    this.flush();
    this.runLo = a;
    this.runHi = b;
  }

  private flush(): void {
    if (this.runHi < this.runLo) return;
    const length = this.runHi - this.runLo + 1;
    this.free += length;
    if (length > this.largest) this.largest = length;
    const below32 = Math.min(this.runHi, this.dma32BitPfn - 1) - this.runLo + 1;
    if (below32 > this.largest32) this.largest32 = below32;
    this.runHi = this.runLo - 1;
  }

  finish(liveRanges: number, searchSteps: number): AllocatorStats {
    this.flush();
    return {
      liveRanges,
      freeGranules: this.free,
      largestFreeBlock: this.largest,
      largestFreeBlockBelow32: this.largest32,
      searchSteps,
    };
  }
}

/** Checks the constructor arguments every alternative allocator takes. */
export function checkDomain(name: string, granule: number, startPfn: number, endPfn: number): void {
  if (!Number.isInteger(granule) || granule < 1 || granule > 4096 || (granule & (granule - 1)) !== 0) {
    throw new RangeError(`${name}: granule ${granule} is not a power of two between 1 and 4096`);
  }
  if (!Number.isSafeInteger(startPfn) || startPfn < 0) throw new RangeError(`${name}: startPfn ${startPfn} is not a whole number >= 0`);
  if (!Number.isSafeInteger(endPfn) || endPfn < startPfn || endPfn >= 2 ** 52) {
    throw new RangeError(`${name}: endPfn ${endPfn} must be a whole number from startPfn (${startPfn}) to below 2^52`);
  }
}

/** Checks an allocation size: a whole number of granules, at least 1. */
export function checkSize(name: string, size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`${name}: size ${size} is not a whole number of granules >= 1`);
}
