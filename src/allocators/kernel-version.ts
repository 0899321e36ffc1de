/**
 * What drivers/iommu/iova.c does differently in a given kernel, as the switches the IOVA domain and
 * the rcache read. The switches come from the one table of kernel changes (../kernel/changes.ts), so
 * a stable point release such as 5.15.89 gets exactly the backports it had. Golden traces of 5.10,
 * 5.11, 5.15, 5.15.89, 5.19, 6.1, 6.1.7, 6.6, 6.12 and 7.0 prove them (../shared/conformance/).
 */
import { hasChange } from '../kernel/changes.js';
import { KernelVersionError, parseKernelVersion } from '../kernel/version.js';

export { KernelVersionError };

export interface KernelProfile {
  /** Version text as given, e.g. "5.19" or "5.15.89". */
  readonly version: string;
  /** IOVA_MAG_SIZE: 128 until 6.0, then 127 (b4c9bf178ace). */
  readonly magazineSize: number;
  /**
   * The retry pass of __alloc_and_insert_iova_range() (4e89dce72521, 5.11). `false` is 5.10, or the
   * pass reverted — the what-if of the 2021 thread.
   */
  readonly retryPass: boolean;
  /** alloc_iova_fast()'s flush-and-retry frees the depot too (6fa3525b455a, 5.11); before, only the CPUs' magazines. */
  readonly flushFreesDepot: boolean;
  /** The retry starts at iova_find_limit() (371d7955e310, 5.13); before, at the anchor. */
  readonly retryFromFindLimit: boolean;
  /** Before dcdb3ba7e2a8 (6.2, 5.15.89, 6.1.7): retry_pfn = cached.pfn_hi + 1, which wraps to 0 at the anchor. */
  readonly retryOverflowBug: boolean;
  /**
   * max32_alloc_size is reset by any free below the 32-bit boundary (5b61343b5059, 5.18, 5.15.33);
   * before, only by a free that moves cached32_node (one at or above it).
   */
  readonly max32ResetOnAnyFree: boolean;
  /** alloc_iova_fast() rounds cacheable sizes up to a power of two (972bf252f860, 5.17); before, its caller did. */
  readonly fastAllocRoundsUp: boolean;
  /** init_iova_domain() sets up the rcaches itself (until 32e92d9f6f87, 5.18). */
  readonly rcacheInitInDomain: boolean;
  /** Depot per size class: a fixed array until 6.7, then an unbounded list with a trimmer. */
  readonly depot: 'array' | 'list';
  /** MAX_GLOBAL_MAGS: the array depot's slots (32 in every kernel that has the array). */
  readonly depotSlots: number;
}

/** MAX_GLOBAL_MAGS before 6.7. */
export const MAX_GLOBAL_MAGS = 32;

/** The oldest kernel the switches reach back to (the 5.10 LTS, before the retry pass). */
export const OLDEST_MODELLED = '5.10';

/** The switches of iova.c for a kernel version from 5.10 on, MAJOR.MINOR or MAJOR.MINOR.PATCH. */
export function kernelProfile(versionText: string, overrides: Partial<Omit<KernelProfile, 'version'>> = {}): KernelProfile {
  const v = parseKernelVersion(versionText);
  if (v.major < 5 || (v.major === 5 && v.minor < 10)) {
    throw new KernelVersionError(`kernel version ${v.text} is older than the first modelled (${OLDEST_MODELLED})`);
  }
  const has = (id: string): boolean => hasChange(v, id);
  return {
    version: v.text,
    magazineSize: has('iovaMagazine127') ? 127 : 128,
    retryPass: has('iovaRetryPass'),
    flushFreesDepot: has('iovaFlushFreesDepot'),
    retryFromFindLimit: has('iovaFindLimit'),
    retryOverflowBug: has('iovaRetryPass') && !has('iovaRetryOverflowFix'),
    max32ResetOnAnyFree: has('iovaMax32ResetOnAnyFree'),
    fastAllocRoundsUp: has('iovaFastAllocRoundup'),
    rcacheInitInDomain: !has('iovaRcacheInitSeparate'),
    depot: has('iovaDepotList') ? 'list' : 'array',
    depotSlots: MAX_GLOBAL_MAGS,
    ...overrides,
  };
}
