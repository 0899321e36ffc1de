/**
 * Fragmentation metrics common to every IovaAllocator.
 *
 *   - External fragmentation: 1 - largest free block / total free granules (0 when nothing is free or
 *     everything free is one block; near 1 when the free space is dust). Computed from stats(), over
 *     the whole space or over the part below 32 bits.
 *   - Failures with free space ("false failures"): an allocation that failed although a free run held
 *     a fitting range: [p, p + size - 1] free, p >= startPfn, p + size - 1 <= limit, and p a multiple
 *     of roundup_pow_of_two(size) when size-aligned. Linux has them by design (max32_alloc_size fails
 *     32-bit requests of a size that failed once, until a range below 4 GiB is freed; the cached node
 *     hides space), buddy has them for sizes that are not powers of two, TLSF when its good-fit
 *     rounding skips the one list that holds a fit. The FailureAuditor decides, exactly, by mirroring
 *     the allocator's occupancy in a gap tree (./gap-tree.ts, whose search is an exact top-down first
 *     fit) and asking it. It is meant for audit runs, not for timed ones.
 *   - Internal waste: granted - asked granules over the live ranges (buddy grants powers of two; the
 *     others, Linux included, grant what was asked: alignment slack stays free).
 */
import type { AllocatorStats, IovaAllocator } from './allocator.js';
import { GapTreeAllocator } from './gap-tree.js';

/** Allocators that grant more than asked report both sums over their live ranges. */
export interface GrantAccounting {
  readonly askedGranules: number;
  readonly grantedGranules: number;
}

export function hasGrantAccounting(allocator: object): allocator is GrantAccounting {
  return 'askedGranules' in allocator && 'grantedGranules' in allocator;
}

/** 1 - largest free block / free granules; 0 when nothing is free. */
export function externalFragmentation(stats: Pick<AllocatorStats, 'freeGranules' | 'largestFreeBlock'>): number {
  return stats.freeGranules === 0 ? 0 : 1 - stats.largestFreeBlock / stats.freeGranules;
}

/** Granted minus asked granules over the live ranges; 0 for allocators that grant what is asked. */
export function internalWaste(allocator: IovaAllocator<number>): number {
  return hasGrantAccounting(allocator) ? allocator.grantedGranules - allocator.askedGranules : 0;
}

export interface FragmentationReport {
  readonly freeGranules: number;
  readonly largestFreeBlock: number;
  readonly externalFragmentation: number;
  readonly internalWaste: number;
  readonly failures: number;
  readonly falseFailures: number;
}

/**
 * Follows every allocation, free and reservation of one allocator in an exact mirror, so that each
 * failure can be classified as genuine (nothing fits) or false (a fitting aligned run existed).
 */
export class FailureAuditor {
  failures = 0;
  falseFailures = 0;
  private readonly mirror: GapTreeAllocator;

  constructor(granule: number, startPfn: number, endPfn: number) {
    this.mirror = new GapTreeAllocator(granule, startPfn, endPfn);
  }

  /** After a successful reserveIova(lo, hi) on the audited allocator. */
  reserved(lo: number, hi: number): void {
    this.mirror.reserveIova(lo, hi);
  }

  /**
   * After allocIova returned pfn: mirrors the granted range (findIova's, else [pfn, pfn + size - 1]).
   * Throws when the range was not free: the allocator handed out space it had already handed out.
   */
  allocated(allocator: IovaAllocator<number>, pfn: number, size: number): void {
    const range = allocator.findIova(pfn);
    const lo = range === null ? pfn : range.pfnLo;
    const hi = range === null ? pfn + size - 1 : range.pfnHi;
    if (!this.mirror.claim(lo, hi)) throw new Error(`${allocator.name}: allocated [${lo}, ${hi}], which is not free`);
  }

  /** After freeIova(pfn) succeeded. */
  freed(pfn: number): void {
    this.mirror.freeIova(pfn);
  }

  /** After allocIova(size, limitPfn, sizeAligned) returned null. */
  failed(size: number, limitPfn: number, sizeAligned: boolean): void {
    this.failures++;
    if (this.mirror.hasFit(size, limitPfn, sizeAligned)) this.falseFailures++;
  }

  /** The report for the audited allocator's current state over [startPfn, endPfn]. */
  report(allocator: IovaAllocator<number>, endPfn: number): FragmentationReport {
    const stats = allocator.stats(endPfn);
    return {
      freeGranules: stats.freeGranules,
      largestFreeBlock: stats.largestFreeBlock,
      externalFragmentation: externalFragmentation(stats),
      internalWaste: internalWaste(allocator),
      failures: this.failures,
      falseFailures: this.falseFailures,
    };
  }
}
