/**
 * The IOVA range cache ("rcache") of drivers/iommu/iova.c, in front of any IovaAllocator.
 *
 * Six size classes (orders 0..5: 1..32 granules). Each CPU holds two magazines per class, `loaded`
 * and `prev`, stacks of freed pfns. A free pushes onto `loaded` (swapping in `prev` when full; when
 * both are full, `loaded` goes to the class's depot and an empty magazine replaces it); an allocation
 * pops from `loaded` (swapping in `prev`, else taking a full magazine from the depot). Cached ranges
 * stay allocated in the tree until a magazine is drained back to it.
 *
 * Versions (see KernelProfile): before 5.17 alloc_iova_fast() takes SIZE as given (the DMA caller
 * rounded it; see callerRoundup()). Magazines hold 128 pfns until 6.0, 127 after. Until 6.7 the
 * depot is a MAX_GLOBAL_MAGS (32, profile.depotSlots) slot array and a further full magazine is
 * drained to the tree at once; from 6.7 it is an unbounded
 * list, and each push arms a delayed work that frees one magazine every 100 ms while the depot holds
 * more magazines than there are online CPUs. Both depots pop the newest magazine first; the global
 * drain frees the array from slot 0 up (5.19) but pops the list newest first (6.7+).
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import type { KernelProfile } from '../allocators/kernel-version.js';
import { orderBase2, pfnArray, roundupPowOfTwo, type PfnArithmetic } from '../allocators/pfn.js';
import { DelayedWork, SimulatedClock } from './delayed-work.js';

/** IOVA_RANGE_CACHE_MAX_SIZE: number of size classes (orders 0..5). */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
/** IOVA_DEPOT_DELAY: 100 ms between trims of one class's depot (6.7+). */
export const IOVA_DEPOT_DELAY_MS = 100;

export class Magazine<P extends number | bigint> {
  size = 0;
  readonly pfns: P[];

  constructor(capacity: number, zero: P) {
    this.pfns = pfnArray(capacity, zero);
  }
}

export class CpuRcache<P extends number | bigint> {
  constructor(
    public loaded: Magazine<P>,
    public prev: Magazine<P>,
  ) {}
}

export class SizeClassRcache<P extends number | bigint> {
  /**
   * Full magazines, newest last (both depot kinds pop the newest first). Made empty from a
   * one-element array of objects: an empty literal is an array of small integers, and the first
   * magazine pushed would change its elements kind, the map of this object's field with it, and V8
   * would throw away the optimised allocation and free paths that had seen the depot empty.
   */
  readonly depot: Magazine<P>[] = [null].slice(0, 0) as unknown as Magazine<P>[];
  readonly cpus: CpuRcache<P>[] = [];
  hits = 0;
  misses = 0;
  constructor(readonly order: number, readonly trimWork: DelayedWork) {}
}

/** An allocator the rcache can report a kernel livelock from (the Linux domain). */
interface MayHang {
  readonly lastAllocHung?: boolean;
}

export class Rcache<P extends number | bigint = number> {
  readonly classes: SizeClassRcache<P>[] = [];
  readonly online: boolean[];
  /** The CPU that makes the calls that follow ("this CPU" in the kernel). */
  currentCpu = 0;
  /** Set when the last allocIovaFast() would never have returned in the kernel. */
  lastAllocHung = false;
  /** free_iova_fast() calls the magazines absorbed (the rest went to the allocator). */
  cachedFrees = 0;
  /** Magazines moved to or from a depot (each one takes the depot lock). */
  depotOperations = 0;
  /** Full magazines freed to the allocator because the array depot was full (pre-6.7). */
  depotOverflows = 0;
  /** Magazines the 6.7+ depot trimmer freed to the allocator. */
  depotTrims = 0;
  /**
   * alloc_iova_fast() calls for a size above the largest class: iova_rcache_get() returns 0 for
   * them without looking (order >= IOVA_RANGE_CACHE_MAX_SIZE) and they always go to the allocator.
   * Counted apart from the classes' misses so a hit rate can be taken over every allocation.
   */
  tooLarge = 0;
  private readonly magazineSize: number;
  private readonly zero: P;
  /** Sizes below this are rounded up to a power of two (the largest class's size, 2^(classes - 1)). */
  private readonly cacheableBelow: P;
  private readonly fastAllocRoundsUp: boolean;

  constructor(
    readonly allocator: IovaAllocator<P> & MayHang,
    readonly arith: PfnArithmetic<P>,
    readonly profile: KernelProfile,
    readonly cpuCount: number,
    readonly clock: SimulatedClock = new SimulatedClock(),
    /**
     * Number of size classes: IOVA_RANGE_CACHE_MAX_SIZE (6) in mainline. Larger values model the
     * never-merged `max_opt_dma_size` knob (2021-22), which cached orders beyond 5.
     */
    readonly cacheClasses: number = IOVA_RANGE_CACHE_MAX_SIZE,
  ) {
    if (!Number.isInteger(cpuCount) || cpuCount < 1) throw new RangeError(`cpu count ${cpuCount} must be a positive integer`);
    if (!Number.isInteger(cacheClasses) || cacheClasses < 1 || cacheClasses > 30) throw new RangeError(`rcache size classes ${cacheClasses} must be a whole number from 1 to 30`);
    this.magazineSize = profile.magazineSize;
    this.zero = arith.zero;
    this.cacheableBelow = arith.of(2 ** (cacheClasses - 1));
    this.fastAllocRoundsUp = profile.fastAllocRoundsUp;
    this.online = new Array<boolean>(cpuCount).fill(true);
    for (let order = 0; order < cacheClasses; order++) {
      const rcache: SizeClassRcache<P> = new SizeClassRcache<P>(order, new DelayedWork(() => this.depotWork(rcache)));
      for (let cpu = 0; cpu < cpuCount; cpu++) rcache.cpus.push(new CpuRcache(this.newMagazine(), this.newMagazine()));
      this.classes.push(rcache);
    }
  }

  private newMagazine(): Magazine<P> {
    return new Magazine<P>(this.magazineSize, this.zero);
  }

  get onlineCpuCount(): number {
    let count = 0;
    for (const up of this.online) if (up) count++;
    return count;
  }

  /** alloc_iova_fast(): returns the pfn, or 0 when nothing was found. */
  allocIovaFast(size: P, limitPfn: P, flushRcache: boolean): P {
    const arith = this.arith;
    // Rounding cacheable sizes up keeps every magazine of one class holding one size.
    // Before 972bf252f860 (5.17) iommu_dma_alloc_iova() rounded instead, and SIZE came here as is.
    const roundedSize = this.fastAllocRoundsUp && size < this.cacheableBelow ? roundupPowOfTwo(size) : size;
    this.lastAllocHung = false;
    const cached = this.rcacheGet(roundedSize, arith.add(limitPfn, arith.one));
    if (cached !== this.zero) return cached;
    let mayFlush = flushRcache;
    for (;;) {
      const pfn = this.allocator.allocIova(roundedSize, limitPfn, true);
      if (pfn !== null) return pfn;
      if (this.allocator.lastAllocHung) {
        this.lastAllocHung = true;
        return this.zero;
      }
      if (!mayFlush) return this.zero;
      mayFlush = false;
      for (let cpu = 0; cpu < this.cpuCount; cpu++) if (this.online[cpu]) this.freeCpuCachedIovas(cpu);
      // free_global_cached_iovas() joined the flush in 6fa3525b455a (5.11); 5.10 leaves the depot alone.
      if (this.profile.flushFreesDepot) this.freeGlobalCachedIovas();
    }
  }

  /**
   * The size a DMA-layer caller passes to allocIovaFast(): before 972bf252f860 (5.17)
   * iommu_dma_alloc_iova() rounded cacheable sizes up to a power of two itself; from 5.17
   * alloc_iova_fast() does, and the caller passes the size unchanged. Either way the DMA layer ends
   * up with the same ranges.
   */
  callerRoundup(size: P): P {
    if (this.fastAllocRoundsUp || size >= this.cacheableBelow) return size;
    return roundupPowOfTwo(size);
  }

  /** free_iova_fast(): caches pfn in its size class, or frees it to the allocator. */
  freeIovaFast(pfn: P, size: P): void {
    const order = orderBase2(size);
    if (order >= this.cacheClasses || !this.rcacheInsert(this.classes[order], pfn)) this.allocator.freeIova(pfn);
    else this.cachedFrees++;
  }

  /** iova_rcache_get() + __iova_rcache_get(); `limitPfn` is exclusive. */
  private rcacheGet(size: P, limitPfn: P): P {
    const order = orderBase2(size);
    if (order >= this.cacheClasses) {
      this.tooLarge++;
      return this.zero;
    }
    const rcache = this.classes[order];
    const cpuRcache = rcache.cpus[this.currentCpu];
    if (cpuRcache.loaded.size === 0) {
      if (cpuRcache.prev.size !== 0) {
        const swap = cpuRcache.prev;
        cpuRcache.prev = cpuRcache.loaded;
        cpuRcache.loaded = swap;
      } else if (rcache.depot.length > 0) {
        cpuRcache.loaded = this.depotPop(rcache);
      } else {
        rcache.misses++;
        return this.zero;
      }
    }
    const pfn = this.magazinePop(cpuRcache.loaded, this.arith.sub(limitPfn, size));
    if (pfn === this.zero) rcache.misses++;
    else rcache.hits++;
    return pfn;
  }

  /**
   * iova_magazine_pop(): the most recently pushed pfn not above maxPfn, removed by moving the top
   * entry into its slot; 0 (and no change) when none qualifies.
   */
  private magazinePop(magazine: Magazine<P>, maxPfn: P): P {
    const pfns = magazine.pfns;
    let i = magazine.size - 1;
    while (pfns[i] > maxPfn) {
      if (i === 0) return this.zero;
      i--;
    }
    const pfn = pfns[i];
    pfns[i] = pfns[--magazine.size];
    return pfn;
  }

  /** __iova_rcache_insert(); returns false when the pfn must go back to the allocator. */
  private rcacheInsert(rcache: SizeClassRcache<P>, pfn: P): boolean {
    const cpuRcache = rcache.cpus[this.currentCpu];
    const capacity = this.magazineSize;
    let overflow: Magazine<P> | null = null;
    if (cpuRcache.loaded.size === capacity) {
      if (cpuRcache.prev.size !== capacity) {
        const swap = cpuRcache.prev;
        cpuRcache.prev = cpuRcache.loaded;
        cpuRcache.loaded = swap;
      } else {
        this.depotOperations++;
        if (this.profile.depot === 'list') {
          rcache.depot.push(cpuRcache.loaded);
          rcache.trimWork.schedule(this.clock, IOVA_DEPOT_DELAY_MS);
        } else if (rcache.depot.length < this.profile.depotSlots) {
          rcache.depot.push(cpuRcache.loaded);
        } else {
          overflow = cpuRcache.loaded;
          this.depotOverflows++;
        }
        cpuRcache.loaded = this.newMagazine();
      }
    }
    const loaded = cpuRcache.loaded;
    loaded.pfns[loaded.size++] = pfn;
    // 5.19 drains the overflowing magazine after pushing, once the CPU's lock is dropped.
    if (overflow !== null) this.magazineFreePfns(overflow);
    return true;
  }

  /** iova_depot_pop() / depot[--depot_size]: the newest full magazine. */
  private depotPop(rcache: SizeClassRcache<P>): Magazine<P> {
    const magazine = rcache.depot.pop() as Magazine<P>;
    this.depotOperations++;
    magazine.size = this.magazineSize;
    return magazine;
  }

  /** iova_magazine_free_pfns(): each pfn's range goes back to the allocator, in index order. */
  private magazineFreePfns(magazine: Magazine<P>): void {
    const pfns = magazine.pfns;
    for (let i = 0; i < magazine.size; i++) this.allocator.freeIova(pfns[i]);
    magazine.size = 0;
  }

  /** iova_depot_work_func() (6.7+): trims one magazine while the depot outnumbers the online CPUs. */
  private depotWork(rcache: SizeClassRcache<P>): void {
    if (rcache.depot.length <= this.onlineCpuCount) return;
    this.depotTrims++;
    this.magazineFreePfns(this.depotPop(rcache));
    rcache.trimWork.schedule(this.clock, IOVA_DEPOT_DELAY_MS);
  }

  /** free_cpu_cached_iovas(): empties one CPU's magazines of every class (loaded, then prev). */
  freeCpuCachedIovas(cpu: number): void {
    for (const rcache of this.classes) {
      const cpuRcache = rcache.cpus[cpu];
      this.magazineFreePfns(cpuRcache.loaded);
      this.magazineFreePfns(cpuRcache.prev);
    }
  }

  /** free_global_cached_iovas(): drains every depot magazine (5.19: slot 0 first; 6.7+: newest first). */
  freeGlobalCachedIovas(): void {
    for (const rcache of this.classes) {
      const depot = rcache.depot;
      if (this.profile.depot === 'array') {
        for (const magazine of depot) this.magazineFreePfns(magazine);
        depot.length = 0;
      } else {
        while (depot.length > 0) this.magazineFreePfns(this.depotPop(rcache));
      }
    }
  }

  /** iova_cpuhp_dead(): the CPU has gone offline; its magazines go back to the allocator. */
  cpuDead(cpu: number): void {
    this.online[cpu] = false;
    this.freeCpuCachedIovas(cpu);
  }

  /** Advances the simulated clock, running the depot trimmers that fall due. */
  tick(ms: number): void {
    this.clock.advance(ms);
  }
}
