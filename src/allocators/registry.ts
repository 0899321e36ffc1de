/**
 * The one factory for every IOVA allocator iovasim knows: benches, the DMA layer, the simulator and
 * tests all build allocators here, by name. 'linux' is the bit-exact model of drivers/iommu/iova.c (./iova-domain.ts); the others
 * are the alternatives of ./buddy.ts, ./gap-tree.ts, ./vmem.ts and ./tlsf.ts.
 */
import type { IovaAllocator } from './allocator.js';
import { BuddyAllocator } from './buddy.js';
import { GapTreeAllocator } from './gap-tree.js';
import { IovaDomain } from './iova-domain.js';
import { kernelProfile, type KernelProfile } from './kernel-version.js';
import { numberPfn } from './pfn.js';
import { TlsfAllocator } from './tlsf.js';
import { VmemAllocator } from './vmem.js';

export const ALLOCATOR_NAMES = ['linux', 'buddy', 'gap-tree', 'vmem', 'tlsf'] as const;
export type AllocatorName = (typeof ALLOCATOR_NAMES)[number];

export interface AllocatorOptions {
  /** Granule in bytes (a power of two up to 4096); default 4096. */
  readonly granule?: number;
  /** Lowest allocatable pfn; default 1 (dma-iommu never hands out pfn 0). */
  readonly startPfn?: number;
  /**
   * Highest pfn managed; default 2^36 - 1 (a 48-bit space at 4 KiB). Linux's domain has no such
   * bound (only the limit of each request caps it), so 'linux' ignores it.
   */
  readonly endPfn?: number;
  /** Kernel version modelled by 'linux' (5.10 or later, MAJOR.MINOR[.PATCH]); default '7.0'. Ignored when `profile` is given. */
  readonly version?: string;
  /** The kernel profile 'linux' follows (as the DMA layer derives it); default kernelProfile(version). */
  readonly profile?: KernelProfile;
  /**
   * 'linux' only: false models the retry pass of __alloc_and_insert_iova_range() reverted
   * (4e89dce72521), the what-if of the 2021 thread; default: the profile's (true).
   */
  readonly retryPass?: boolean;
}

export function isAllocatorName(name: string): name is AllocatorName {
  return (ALLOCATOR_NAMES as readonly string[]).includes(name);
}

/** The highest pfn of a 48-bit IOVA space for the given granule. */
export function defaultEndPfn(granule: number): number {
  return 2 ** (48 - (31 - Math.clz32(granule))) - 1;
}

export function createAllocator(name: AllocatorName, options: AllocatorOptions = {}): IovaAllocator<number> {
  const granule = options.granule ?? 4096;
  const startPfn = options.startPfn ?? 1;
  const endPfn = options.endPfn ?? defaultEndPfn(granule);
  switch (name) {
    case 'linux': {
      const profile = options.profile ?? kernelProfile(options.version ?? '7.0');
      const withRetry = options.retryPass === undefined || options.retryPass === profile.retryPass ? profile : { ...profile, retryPass: options.retryPass };
      return new IovaDomain(numberPfn, withRetry, granule, startPfn);
    }
    case 'buddy':
      return new BuddyAllocator(granule, startPfn, endPfn);
    case 'gap-tree':
      return new GapTreeAllocator(granule, startPfn, endPfn);
    case 'vmem':
      return new VmemAllocator(granule, startPfn, endPfn);
    case 'tlsf':
      return new TlsfAllocator(granule, startPfn, endPfn);
    default:
      throw new Error(`unknown allocator "${String(name)}" (known: ${ALLOCATOR_NAMES.join(', ')})`);
  }
}
