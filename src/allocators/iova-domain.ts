/**
 * Linux's IOVA domain: drivers/iommu/iova.c without the rcache (which lives in ../rcache/).
 *
 * Ranges live in a red-black tree keyed by pfnLo, with an anchor node [~0, ~0] that is always last.
 * Allocation is a top-down first fit that starts below a cached node (one for requests limited to
 * 32 bits, one for the rest) and walks predecessors until a gap fits; when that fails it may retry
 * once from the limit down to the cached node (the "retry pass"; 5.11+, from the anchor until 5.12 and
 * from iova_find_limit() since 5.13; 5.10 has none). Failures of 32-bit requests are
 * remembered in max32_alloc_size so that later requests of that size or more fail without a walk.
 * Function and field names follow the kernel's; the pfn type P is number or bigint (see ./pfn.ts).
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import type { KernelProfile } from './kernel-version.js';
import { flsLong, type PfnArithmetic } from './pfn.js';
import { NIL, RbTree, type RbHandle } from './rbtree.js';
import { argumentError } from './arguments.js';

/** A range in the domain's tree (a handle of ./rbtree.ts; NIL for none). Read it with `domain.tree.pfnLo(node)`. */
export type IovaNode = RbHandle;

export class IovaDomainError extends Error {}

/**
 * Sees an allocation walk step by step (the explorer draws it). Read-only: it must not change the
 * domain. While one is attached, long walks are not skipped, so every rb_prev() step is reported.
 */
export interface IovaWalkObserver<P extends number | bigint> {
  /** One loop iteration: the walk stood on the range [pfnLo, pfnHi], its candidate was `newPfn`; pass 0, or 1 for the retry. */
  step(pfnLo: P, pfnHi: P, newPfn: P, pass: number): void;
}

/** Steps of a pass taken one by one before the walk may skip ahead (skipping has a fixed cost). */
const WALK_STEPS_BEFORE_SKIP = 8;

export class IovaDomain<P extends number | bigint = number> implements IovaAllocator<P> {
  readonly name = 'linux';
  readonly tree: RbTree<P>;
  readonly anchor: IovaNode;
  readonly granule: number;
  readonly shift: number;
  readonly startPfn: P;
  readonly dma32BitPfn: P;
  max32AllocSize: P;
  cachedNode: IovaNode;
  cached32Node: IovaNode;
  /** rb_prev() calls made by allocation walks: the tree's search steps. */
  visits = 0;
  /** Set by the last alloc that would never return in the kernel (the 5.19 livelock). */
  lastAllocHung = false;
  /**
   * Skip long walks through the augmented tree (number pfns). Results and visit counts are the
   * same either way; off, the walk takes every rb_prev() step, as the kernel does (benchmarks that
   * time the algorithm itself turn it off).
   */
  skipLongWalks = true;
  /** Null except while the explorer watches an allocation (see IovaWalkObserver). */
  walkObserver: IovaWalkObserver<P> | null = null;
  /** Ranges handed out by alloc and not yet freed (reservations excluded). */
  private liveAllocations = 0;
  // Version switches read on every allocation or free, copied out of the profile.
  private readonly max32ResetOnAnyFree: boolean;
  private readonly retryFromFindLimit: boolean;

  constructor(
    readonly arith: PfnArithmetic<P>,
    readonly profile: KernelProfile,
    granule: number,
    startPfn: P,
  ) {
    if (!Number.isInteger(granule) || granule < 1 || granule > 4096 || (granule & (granule - 1)) !== 0) {
      throw new IovaDomainError(`granule ${granule} is not a power of two between 1 and 4096 (PAGE_SIZE)`);
    }
    // Number pfns get an augmented tree, so long walks can be skipped over (see walkStop).
    this.max32ResetOnAnyFree = profile.max32ResetOnAnyFree;
    this.retryFromFindLimit = profile.retryFromFindLimit;
    this.tree = new RbTree<P>(arith.kind === 'number', arith.kind === 'bigint');
    this.granule = granule;
    this.shift = 31 - Math.clz32(granule);
    this.startPfn = startPfn;
    this.dma32BitPfn = arith.of(2 ** (32 - this.shift));
    this.max32AllocSize = this.dma32BitPfn;
    this.anchor = this.tree.newNode(arith.u64Max, arith.u64Max);
    this.tree.insert(this.anchor);
    this.cachedNode = this.anchor;
    this.cached32Node = this.anchor;
  }

  get searchSteps(): number {
    return this.visits;
  }

  /** Ranges in the tree, anchor not counted. */
  get nodeCount(): number {
    return this.tree.size - 1;
  }

  private getCachedRbnode(limitPfn: P): IovaNode {
    return limitPfn <= this.dma32BitPfn ? this.cached32Node : this.cachedNode;
  }

  private cachedRbnodeInsertUpdate(node: IovaNode): void {
    if (this.tree.pfnHi(node) < this.dma32BitPfn) this.cached32Node = node;
    else this.cachedNode = node;
  }

  /** __cached_rbnode_delete_update(): runs before the erase, so rb_next(free) is still valid. */
  private cachedRbnodeDeleteUpdate(free: IovaNode): void {
    const tree = this.tree;
    const cached32 = this.cached32Node;
    const freeLo = tree.pfnLo(free);
    if (free === cached32 || (tree.pfnHi(free) < this.dma32BitPfn && freeLo >= tree.pfnLo(cached32))) {
      this.cached32Node = tree.next(free);
      // Before 5b61343b5059 (5.18; 5.15.33) only a free that moves cached32_node resets the estimate.
      if (!this.max32ResetOnAnyFree) this.max32AllocSize = this.dma32BitPfn;
    }
    if (this.max32ResetOnAnyFree && freeLo < this.dma32BitPfn) this.max32AllocSize = this.dma32BitPfn;
    if (freeLo >= tree.pfnLo(this.cachedNode)) this.cachedNode = tree.next(free);
  }

  /**
   * iova_find_limit() (5.13+): where the retry pass starts. Above 32 bits, the anchor; otherwise the
   * lowest range at or above the limit. (The kernel's descent can stop one range lower, at a range
   * straddling the limit; that changes only the visit count, never an address.)
   */
  private iovaFindLimit(limitPfn: P): IovaNode {
    if (limitPfn > this.dma32BitPfn) return this.anchor;
    return this.tree.lowerBound(limitPfn);
  }

  /**
   * __alloc_and_insert_iova_range(): `limitPfn` is exclusive here. Returns the new node or NIL;
   * sets lastAllocHung when the kernel would loop forever (the walk is then undone).
   */
  private allocAndInsertIovaRange(size: P, limitPfn: P, sizeAligned: boolean): IovaNode {
    const arith = this.arith;
    const tree = this.tree;
    const alignment = arith.alignment(sizeAligned ? flsLong(arith.sub(size, arith.one)) : 0);
    this.lastAllocHung = false;
    if (limitPfn <= this.dma32BitPfn && size >= this.max32AllocSize) return NIL;

    const visitsAtStart = this.visits;
    // Any walk that terminates visits each range at most once per pass, and there are two passes.
    const maxVisits = 2 * (tree.size + 1);
    let curr: IovaNode = this.getCachedRbnode(limitPfn);
    const retryPfn = this.profile.retryOverflowBug ? arith.add(tree.pfnHi(curr), arith.one) : tree.pfnHi(curr);
    let highPfn = limitPfn;
    let lowPfn = this.startPfn;
    // Where the walk gives up early. Without the retry pass (5.10, or reverted) the loop has no
    // `new_pfn >= low_pfn` test and walks on until a gap fits, the tree ends or the candidate
    // wraps; 4e89dce72521 (5.11) added the test with the pass. The result is the same, the visits not.
    let walkLow = this.profile.retryPass ? lowPfn : arith.zero;
    let newPfn: P;
    let prev: IovaNode;
    let visits = this.visits;
    const observer = this.walkObserver;
    const augmented = tree.augmented && this.skipLongWalks && observer === null;
    let pass = 0;
    for (;;) {
      let stepsThisPass = 0;
      do {
        let currNode = curr;
        // Past the first few steps of a long walk, and once every node lies below the candidate's
        // ceiling, jump straight to the node where the walk stops, counting the steps in between.
        if (augmented && ++stepsThisPass > WALK_STEPS_BEFORE_SKIP && tree.pfnLo(currNode) <= highPfn) {
          const stop = this.walkStop(currNode, size, walkLow, alignment);
          visits += tree.rank(currNode) - tree.rank(stop);
          currNode = stop;
        }
        const currLo = tree.pfnLo(currNode);
        if (currLo < highPfn) highPfn = currLo;
        newPfn = arith.alignDown(arith.sub(highPfn, size), alignment);
        prev = currNode;
        curr = tree.prev(currNode);
        visits++;
        if (observer !== null) observer.step(currLo, tree.pfnHi(currNode), newPfn, pass);
      } while (curr !== NIL && newPfn <= tree.pfnHi(curr) && newPfn >= walkLow);

      if (highPfn >= size && newPfn >= lowPfn) break;
      if (this.profile.retryPass && lowPfn === this.startPfn && retryPfn < limitPfn) {
        if (visits - visitsAtStart > maxVisits) {
          this.lastAllocHung = true;
          return NIL;
        }
        highPfn = limitPfn;
        lowPfn = this.profile.retryOverflowBug ? retryPfn : arith.add(retryPfn, arith.one);
        walkLow = lowPfn;
        // 5.11-5.12 restart from the anchor; 371d7955e310 (5.13) from iova_find_limit().
        curr = this.retryFromFindLimit ? this.iovaFindLimit(limitPfn) : this.anchor;
        pass = 1;
        continue;
      }
      this.visits = visits;
      this.max32AllocSize = size;
      return NIL;
    }
    this.visits = visits;
    const node = tree.newNode(newPfn, arith.sub(arith.add(newPfn, size), arith.one));
    tree.insert(node, prev);
    this.cachedRbnodeInsertUpdate(node);
    return node;
  }

  /**
   * The node at which the allocation walk, stepping down from `from` with its ceiling at each
   * node's pfnLo, stops: the first whose step finds an aligned fit above its predecessor, or drops
   * below `low` (or below `size`, where the kernel's subtraction wraps), or has no predecessor.
   * Only gaps of at least `size` can fit, so it searches the augmented tree for those and checks
   * each exactly (alignment can still miss). Number pfns only.
   */
  private walkStop(from: IovaNode, size: P, lowPfn: P, alignment: P): IovaNode {
    const tree = this.tree;
    const sizeNumber = size as number;
    const align = alignment as number;
    // A node with pfnLo below this ends the walk: its candidate falls under low (or wraps).
    const floor = (Math.ceil((lowPfn as number) / align) * align + sizeNumber) as P;
    const failing = tree.pfnLo(from) < floor ? from : tree.lastBelow(floor);
    let start = from;
    for (;;) {
      const candidate = tree.lastWithGapFrom(start, sizeNumber);
      if (candidate === NIL || (failing !== NIL && tree.pfnLo(candidate) <= tree.pfnLo(failing))) return failing;
      const before = tree.prev(candidate);
      if (before === NIL || this.arith.alignDown(this.arith.sub(tree.pfnLo(candidate), size), alignment) > tree.pfnHi(before)) return candidate;
      start = before;
    }
  }

  /** alloc_iova(): limitPfn inclusive. The new range's node, or NIL. */
  allocIovaNode(size: P, limitPfn: P, sizeAligned: boolean): IovaNode {
    return this.allocAndInsertIovaRange(size, this.arith.add(limitPfn, this.arith.one), sizeAligned);
  }

  allocIova(size: P, limitPfn: P, sizeAligned: boolean): P | null {
    if (typeof size !== typeof this.startPfn) throw argumentError(this.name, 'size', size, typeof this.startPfn);
    if (typeof limitPfn !== typeof this.startPfn) throw argumentError(this.name, 'limitPfn', limitPfn, typeof this.startPfn);
    if (typeof sizeAligned !== 'boolean') throw argumentError(this.name, 'sizeAligned', sizeAligned, 'boolean');
    const node = this.allocAndInsertIovaRange(size, this.arith.add(limitPfn, this.arith.one), sizeAligned);
    if (node === NIL) return null;
    this.liveAllocations++;
    return this.tree.pfnLo(node);
  }

  /** find_iova() */
  findIova(pfn: P): IovaRange<P> | null {
    if (typeof pfn !== typeof this.startPfn) throw argumentError(this.name, 'pfn', pfn, typeof this.startPfn);
    const node = this.tree.findContaining(pfn);
    return node === NIL ? null : { pfnLo: this.tree.pfnLo(node), pfnHi: this.tree.pfnHi(node) };
  }

  /** The node whose range holds pfn, or NIL. */
  findIovaNode(pfn: P): IovaNode {
    return this.tree.findContaining(pfn);
  }

  /** remove_iova() + free_iova_mem(). The anchor is never removed. */
  removeIova(node: IovaNode): void {
    this.cachedRbnodeDeleteUpdate(node);
    this.tree.erase(node);
    this.tree.release(node);
  }

  /** free_iova(): frees the range holding pfn; false when none does (or it is the anchor). */
  freeIova(pfn: P): boolean {
    if (typeof pfn !== typeof this.startPfn) throw argumentError(this.name, 'pfn', pfn, typeof this.startPfn);
    const node = this.tree.findContaining(pfn);
    if (node === NIL || node === this.anchor) return false;
    this.removeIova(node);
    if (this.liveAllocations > 0) this.liveAllocations--;
    return true;
  }

  /**
   * reserve_iova(): ranges overlapping [pfnLo, pfnHi] are stretched down in place to cover it; only
   * what is left above the last overlapped range becomes a new node. Cached nodes are not touched.
   * Returns false for pfns the kernel refuses (above ~0UL >> shift).
   */
  reserveIova(pfnLo: P, pfnHi: P): boolean {
    if (typeof pfnLo !== typeof this.startPfn) throw argumentError(this.name, 'pfnLo', pfnLo, typeof this.startPfn);
    if (typeof pfnHi !== typeof this.startPfn) throw argumentError(this.name, 'pfnHi', pfnHi, typeof this.startPfn);
    const maxPfn = this.arith.u64MaxShiftedRight(this.shift);
    if (pfnLo > maxPfn || pfnHi > maxPfn) return false;
    const tree = this.tree;
    let lo = pfnLo;
    let overlap = false;
    for (let node = tree.first(); node !== NIL; node = tree.next(node)) {
      const nodeHi = tree.pfnHi(node);
      if (lo <= nodeHi && pfnHi >= tree.pfnLo(node)) {
        if (lo < tree.pfnLo(node)) tree.setPfnLo(node, lo);
        if (pfnHi > nodeHi) lo = this.arith.add(nodeHi, this.arith.one);
        if (lo >= tree.pfnLo(node) && pfnHi <= nodeHi) return true;
        overlap = true;
      } else if (overlap) {
        break;
      }
    }
    const node = tree.newNode(lo, pfnHi);
    if (!tree.insert(node)) tree.release(node);
    return true;
  }

  /** In-order ranges, anchor excluded. */
  *ranges(): Generator<IovaRange<P>> {
    const tree = this.tree;
    for (let node = tree.first(); node !== NIL && node !== this.anchor; node = tree.next(node)) {
      yield { pfnLo: tree.pfnLo(node), pfnHi: tree.pfnHi(node) };
    }
  }

  stats(endPfn: P): AllocatorStats {
    if (typeof endPfn !== typeof this.startPfn) throw argumentError(this.name, 'endPfn', endPfn, typeof this.startPfn);
    const arith = this.arith;
    const toNumber = (p: P): number => Number(arith.toBigInt(p));
    let free = 0;
    let largest = 0;
    let largest32 = 0;
    let nextFree = toNumber(this.startPfn);
    const end = toNumber(endPfn);
    const dma32 = toNumber(this.dma32BitPfn);
    const noteGap = (lo: number, hi: number): void => {
      if (hi < lo) return;
      const length = hi - lo + 1;
      free += length;
      if (length > largest) largest = length;
      const below32 = Math.min(hi, dma32 - 1) - lo + 1;
      if (below32 > largest32) largest32 = below32;
    };
    for (const range of this.ranges()) {
      const lo = toNumber(range.pfnLo);
      const hi = toNumber(range.pfnHi);
      if (lo > end) break;
      noteGap(nextFree, Math.min(lo - 1, end));
      nextFree = Math.max(nextFree, hi + 1);
    }
    noteGap(nextFree, end);
    return {
      liveRanges: this.liveAllocations,
      freeGranules: free,
      largestFreeBlock: largest,
      largestFreeBlockBelow32: largest32,
      searchSteps: this.visits,
    };
  }
}
