/**
 * The interface every IOVA allocator implements, so that the rcache and the DMA layer can sit in
 * front of Linux's domain or any alternative without change.
 *
 * Units are granules ("pfns"): an allocation of `size` granules occupies [pfnLo, pfnLo + size - 1].
 * Limits are inclusive (`limitPfn` is the highest pfn the range may end on), as in the kernel's
 * alloc_iova(). With `sizeAligned`, pfnLo is a multiple of roundup_pow_of_two(size), as in Linux.
 *
 * P is the pfn type: `number` for every domain whose pfns stay below 2^53 (all 4 KiB-granule domains),
 * `bigint` for the rare domain that needs all 64 bits. Alternative allocators only implement `number`.
 */
export interface IovaRange<P extends number | bigint = number> {
  readonly pfnLo: P;
  readonly pfnHi: P;
}

export interface AllocatorStats {
  /** Ranges handed out by alloc and not freed (reservations not counted). */
  liveRanges: number;
  /** Granules inside [startPfn, endPfn] that are neither allocated nor reserved. */
  freeGranules: number;
  /** Largest run of free granules inside [startPfn, endPfn]. */
  largestFreeBlock: number;
  /** Largest run of free granules that ends below the 32-bit boundary (dma32BitPfn). */
  largestFreeBlockBelow32: number;
  /** Cumulative search steps (tree nodes, list entries or bitmap words examined). */
  searchSteps: number;
}

export interface IovaAllocator<P extends number | bigint = number> {
  readonly name: string;
  /** Lowest allocatable pfn. */
  readonly startPfn: P;
  /** Pfn of the 4 GiB boundary for this granule (2^32 / granule). */
  readonly dma32BitPfn: P;
  /** Cumulative search steps; the cost model charges time per step. */
  readonly searchSteps: number;
  /** alloc_iova(): the new range's pfnLo, or null when nothing fits. */
  allocIova(size: P, limitPfn: P, sizeAligned: boolean): P | null;
  /** free_iova(): frees the range containing pfn; false when no range holds it. */
  freeIova(pfn: P): boolean;
  /** reserve_iova(): marks [pfnLo, pfnHi] as never allocatable; false when refused. */
  reserveIova(pfnLo: P, pfnHi: P): boolean;
  /** find_iova(): the range containing pfn, or null. */
  findIova(pfn: P): IovaRange<P> | null;
  /** Occupancy figures over [startPfn, endPfn] (endPfn: the highest pfn the caller cares about). */
  stats(endPfn: P): AllocatorStats;
}
