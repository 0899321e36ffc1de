/**
 * Binary buddy allocator over the whole IOVA space.
 *
 * Source. Knowlton, "A fast storage allocator" (CACM 1965) and Knuth, TAOCP vol. 1, §2.5, algorithms
 * R and S: every block has order k (2^k granules) and a naturally aligned address (a multiple of
 * 2^k); a block of order k + 1 splits into two "buddies" of order k, whose addresses differ only in
 * bit k, and two free buddies always coalesce back. Bart Van Assche suggested it for Linux's IOVAs in
 * 2022 (see the spec, §5.3); Linux's page allocator (mm/page_alloc.c) is the best-known one.
 *
 * Design. Knuth keeps one free list per order and a tag bit per block, which needs a record for every
 * block of the space (Linux: a struct page per pfn). For a 2^36-granule space that is too much, and
 * free lists cannot honour a limit without scanning. So the blocks are the leaves of a sparse binary
 * trie over the address space: the root is the block of order R = fls(endPfn) at address 0, an
 * internal node is a split block, and a leaf is a free, allocated or reserved block (granules outside
 * [startPfn, endPfn] are reserved leaves). Only split blocks have children, so the trie holds O(live
 * blocks x levels) nodes; its depth is at most R (36 for a 48-bit space at 4 KiB), independent of how
 * many ranges are live. Each node keeps a bitmask of the orders of the free leaves below it (two
 * 32-bit words), which plays the role of Knuth's free lists.
 * Allocation of `size` takes order k = ceil(log2(size)). It walks the path towards the limit once;
 * the nodes hanging off that path below the limit, and the one free leaf straddling it (which can
 * still give an order-k block ending at or below the limit), are the candidates. Knuth's rule picks
 * the smallest free order j >= k any candidate holds (best fit by order, which keeps large blocks
 * whole); ties go to the highest address, like Linux's top-down search. The chosen order-j leaf is
 * split j - k times (the halves not taken become free leaves, as in algorithm R). Free is a descent to
 * the leaf, then coalescing upward while the buddy is a free leaf (algorithm S). Every operation is
 * O(R): flat in the number of live ranges.
 *
 * Cost. A request that is not a power of two takes the next power of two: asking 2^m + 1 granules
 * grants 2^(m+1), almost twice; grantedGranules - askedGranules counts this internal waste (Linux's
 * rcache already rounds sizes below 32 granules up, so the extra waste is for sizes >= 33 that are not
 * powers of two, e.g. a 132 KiB mapping takes 256 KiB). Every block is naturally aligned whether or
 * not the caller asked for alignment. A request also fails when the free space that would fit it
 * straddles a buddy boundary (e.g. 3 aligned granules free under the limit but not the 4th): such
 * "false failures" are possible for sizes that are not powers of two, for unaligned requests and at
 * the limit; never for a power-of-two, size-aligned request, because all free granules of an aligned
 * 2^k block always coalesce into one free block of order >= k. searchSteps counts trie nodes examined
 * by allocation searches.
 *
 * Shared semantics: reserveIova refuses (false) a range overlapping a live allocation, otherwise
 * reserves its free granules within [startPfn, endPfn]; reserved granules are never handed out or
 * freed and are not ranges for findIova; findIova and freeIova work on the granted block.
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import { checkDomain, checkSize, FreeRunAccumulator } from './free-runs.js';
import { alignDown, ceilLog2, ctz32, fls, growFloat64, growInt32, growUint8 } from './typed-pool.js';
import { argumentError } from './arguments.js';

const NIL = 0;
const ROOT = 1;
const FREE = 0;
const ALLOC = 1;
const RESERVED = 2;
const SPLIT = 3;
const NO_ORDER = 99;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class BuddyAllocator implements IovaAllocator<number> {
  readonly name: string = 'buddy';
  readonly startPfn: number;
  readonly endPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  /** Order of the root block (2^rootOrder > endPfn). */
  readonly rootOrder: number;
  searchSteps = 0;
  liveRanges = 0;
  askedGranules = 0;
  grantedGranules = 0;

  // Trie nodes, struct of arrays. Node 1 is the root; children come in pairs (2i, 2i + 1).
  private child = new Int32Array(0);
  private parent = new Int32Array(0);
  private state = new Uint8Array(0);
  private order = new Uint8Array(0);
  private base = new Float64Array(0);
  private asked = new Float64Array(0);
  /** Orders of the free leaves in the subtree: bit k of maskLo for k < 32, bit k - 32 of maskHi. */
  private maskLo = new Int32Array(0);
  private maskHi = new Int32Array(0);
  private capacity = 0;
  private nextPair = 1;
  private readonly freePairs: number[] = [];
  /** Candidate subtrees of one search (path siblings), lowest address first. */
  private candidates = new Int32Array(128);

  constructor(granule: number, startPfn: number, endPfn: number) {
    checkDomain('buddy', granule, startPfn, endPfn);
    this.granule = granule;
    this.startPfn = startPfn;
    this.endPfn = endPfn;
    this.dma32BitPfn = 2 ** (32 - (31 - Math.clz32(granule)));
    this.rootOrder = Math.max(1, fls(endPfn));
    this.grow(256);
    this.state[ROOT] = FREE;
    this.order[ROOT] = this.rootOrder;
    this.base[ROOT] = 0;
    this.refresh(ROOT);
    if (startPfn > 0) this.mark(ROOT, 0, startPfn - 1, RESERVED);
    const top = POW2[this.rootOrder] - 1;
    if (endPfn < top) this.mark(ROOT, endPfn + 1, top, RESERVED);
  }

  // ---- node pool ----

  private grow(capacity: number): void {
    this.child = growInt32(this.child, capacity);
    this.parent = growInt32(this.parent, capacity);
    this.state = growUint8(this.state, capacity);
    this.order = growUint8(this.order, capacity);
    this.base = growFloat64(this.base, capacity);
    this.asked = growFloat64(this.asked, capacity);
    this.maskLo = growInt32(this.maskLo, capacity);
    this.maskHi = growInt32(this.maskHi, capacity);
    this.capacity = capacity;
  }

  /** Splits leaf n into two free children (algorithm R's halving); returns the lower child. */
  private split(n: number): number {
    let pair = this.freePairs.pop();
    if (pair === undefined) {
      pair = this.nextPair++;
      if (2 * pair + 2 > this.capacity) this.grow(this.capacity * 2);
    }
    const c = 2 * pair;
    const o = this.order[n] - 1;
    const b = this.base[n];
    this.child[n] = c;
    this.state[n] = SPLIT;
    for (let i = 0; i < 2; i++) {
      const x = c + i;
      this.child[x] = NIL;
      this.parent[x] = n;
      this.state[x] = FREE;
      this.order[x] = o;
      this.base[x] = i === 0 ? b : b + POW2[o];
      this.asked[x] = 0;
      this.setLeafMask(x);
    }
    return c;
  }

  /** Turns split node n back into a leaf of the given state, releasing its children. */
  private join(n: number, state: number): void {
    this.freePairs.push(this.child[n] >> 1);
    this.child[n] = NIL;
    this.state[n] = state;
  }

  private setLeafMask(n: number): void {
    const o = this.order[n];
    if (this.state[n] !== FREE) {
      this.maskLo[n] = 0;
      this.maskHi[n] = 0;
    } else if (o < 32) {
      this.maskLo[n] = 1 << o;
      this.maskHi[n] = 0;
    } else {
      this.maskLo[n] = 0;
      this.maskHi[n] = 1 << (o - 32);
    }
  }

  /** Recomputes n's mask from its children (or its own state); true if it changed. */
  private refresh(n: number): boolean {
    const c = this.child[n];
    const lo = this.maskLo[n];
    const hi = this.maskHi[n];
    if (c === NIL) this.setLeafMask(n);
    else {
      this.maskLo[n] = this.maskLo[c] | this.maskLo[c + 1];
      this.maskHi[n] = this.maskHi[c] | this.maskHi[c + 1];
    }
    return lo !== this.maskLo[n] || hi !== this.maskHi[n];
  }

  /** Refreshes masks from n up: through `through` (an ancestor of n) always, then while they change. */
  private refreshUpwards(n: number, through: number): void {
    let passed = false;
    for (let x = n; x !== NIL; x = this.parent[x]) {
      const changed = this.refresh(x);
      if (x === through) passed = true;
      else if (passed && !changed) return;
    }
  }

  /** The smallest free order >= k held in n's subtree, or NO_ORDER. */
  private minFreeOrder(n: number, k: number): number {
    if (k < 32) {
      const lo = k === 0 ? this.maskLo[n] : this.maskLo[n] & ~((1 << k) - 1);
      if (lo !== 0) return ctz32(lo);
      const hi = this.maskHi[n];
      return hi !== 0 ? 32 + ctz32(hi) : NO_ORDER;
    }
    const hi = this.maskHi[n] & ~((1 << (k - 32)) - 1);
    return hi !== 0 ? 32 + ctz32(hi) : NO_ORDER;
  }

  private hasOrder(n: number, j: number): boolean {
    return j < 32 ? (this.maskLo[n] & (1 << j)) !== 0 : (this.maskHi[n] & (1 << (j - 32))) !== 0;
  }

  /**
   * Sets every granule of [lo, hi] below node n to `state` (reserve), splitting leaves that are only
   * partly covered and merging back children that end in one state. Leaves that are not free keep
   * their state (callers check for live allocations first).
   */
  private mark(n: number, lo: number, hi: number, state: number): void {
    const b = this.base[n];
    const e = b + POW2[this.order[n]] - 1;
    if (hi < b || lo > e) return;
    if (this.child[n] === NIL) {
      if (this.state[n] !== FREE) return;
      if (lo <= b && hi >= e) {
        this.state[n] = state;
        this.setLeafMask(n);
        return;
      }
      this.split(n);
    }
    const c = this.child[n];
    this.mark(c, lo, hi, state);
    this.mark(c + 1, lo, hi, state);
    if (this.child[c] === NIL && this.child[c + 1] === NIL && this.state[c] === this.state[c + 1] && this.state[c] !== ALLOC) {
      this.join(n, this.state[c]);
    }
    this.refresh(n);
  }

  /** Whether a live allocation overlaps [lo, hi] below node n. */
  private overlapsLive(n: number, lo: number, hi: number): boolean {
    const b = this.base[n];
    const e = b + POW2[this.order[n]] - 1;
    if (hi < b || lo > e) return false;
    const c = this.child[n];
    if (c === NIL) return this.state[n] === ALLOC;
    return this.overlapsLive(c, lo, hi) || this.overlapsLive(c + 1, lo, hi);
  }

  /** The leaf holding pfn, or NIL outside the root block. */
  private leafOf(pfn: number): number {
    if (pfn < 0 || pfn >= POW2[this.rootOrder]) return NIL;
    let n = ROOT;
    for (let c = this.child[n]; c !== NIL; c = this.child[n]) {
      n = pfn < this.base[c + 1] ? c : c + 1;
    }
    return n;
  }

  // ---- IovaAllocator ----

  allocIova(size: number, limitPfn: number, _sizeAligned: boolean): number | null {
    checkSize(this.name, size);
    if (typeof limitPfn !== 'number') throw argumentError(this.name, 'limitPfn', limitPfn, 'number');
    if (typeof _sizeAligned !== 'boolean') throw argumentError(this.name, 'sizeAligned', _sizeAligned, 'boolean');
    const k = ceilLog2(size);
    if (k > this.rootOrder) return null;
    const blockSize = POW2[k];
    const limit = limitPfn < this.endPfn ? limitPfn : this.endPfn;
    if (limit + 1 < blockSize) return null;
    const state = this.state;
    const child = this.child;
    const base = this.base;
    let steps = 0;
    // 1. Walk towards the limit; collect the subtrees wholly below it (lowest first) and at the end
    //    either a subtree wholly below it or the free leaf that straddles it.
    let count = 0;
    let n = ROOT;
    let straddle = NIL;
    for (;;) {
      steps++;
      const o = this.order[n];
      if (base[n] + POW2[o] - 1 <= limit) {
        this.candidates[count++] = n;
        break;
      }
      const c = child[n];
      if (c === NIL) {
        if (state[n] === FREE && o > k && alignDown(limit - blockSize + 1, blockSize) >= base[n]) straddle = n;
        break;
      }
      if (limit >= base[c + 1]) {
        this.candidates[count++] = c;
        n = c + 1;
      } else {
        n = c;
      }
    }
    // 2. Knuth's rule: the smallest free order >= k; among equals, the highest address.
    let best = NIL;
    let bestOrder = straddle !== NIL ? this.order[straddle] : NO_ORDER;
    for (let i = count - 1; i >= 0; i--) {
      steps++;
      const j = this.minFreeOrder(this.candidates[i], k);
      if (j < bestOrder) {
        bestOrder = j;
        best = this.candidates[i];
      }
    }
    let leaf: number;
    let target: number;
    if (best !== NIL) {
      // 3a. Right-first descent to the highest free leaf of order bestOrder; take its top block.
      leaf = best;
      for (let c = child[leaf]; c !== NIL; c = child[leaf]) {
        steps++;
        leaf = this.hasOrder(c + 1, bestOrder) ? c + 1 : c;
      }
      target = base[leaf] + POW2[bestOrder] - blockSize;
    } else if (straddle !== NIL) {
      // 3b. The straddling leaf: the highest aligned block that ends at or below the limit.
      leaf = straddle;
      target = alignDown(limit - blockSize + 1, blockSize);
    } else {
      this.searchSteps += steps;
      return null;
    }
    this.searchSteps += steps;
    // 4. Split down to order k towards the target block.
    const chosen = leaf;
    while (this.order[leaf] > k) {
      const c = this.split(leaf);
      leaf = target < this.base[c + 1] ? c : c + 1;
    }
    this.state[leaf] = ALLOC;
    this.asked[leaf] = size;
    this.refreshUpwards(leaf, chosen);
    this.liveRanges++;
    this.askedGranules += size;
    this.grantedGranules += blockSize;
    return target;
  }

  freeIova(pfn: number): boolean {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
    let n = this.leafOf(pfn);
    if (n === NIL || this.state[n] !== ALLOC) return false;
    this.liveRanges--;
    this.askedGranules -= this.asked[n];
    this.grantedGranules -= POW2[this.order[n]];
    this.state[n] = FREE;
    this.setLeafMask(n);
    // Algorithm S: coalesce while the buddy is a free leaf.
    for (let p = this.parent[n]; p !== NIL; p = this.parent[n]) {
      const c = this.child[p];
      if (this.child[c] !== NIL || this.child[c + 1] !== NIL || this.state[c] !== FREE || this.state[c + 1] !== FREE) break;
      this.join(p, FREE);
      n = p;
    }
    this.refreshUpwards(n, n);
    return true;
  }

  reserveIova(pfnLo: number, pfnHi: number): boolean {
    if (typeof pfnLo !== 'number') throw argumentError(this.name, 'pfnLo', pfnLo, 'number');
    if (typeof pfnHi !== 'number') throw argumentError(this.name, 'pfnHi', pfnHi, 'number');
    if (!(pfnLo <= pfnHi)) return false;
    const lo = pfnLo < this.startPfn ? this.startPfn : pfnLo;
    const hi = pfnHi > this.endPfn ? this.endPfn : pfnHi;
    if (lo > hi) return true;
    if (this.overlapsLive(ROOT, lo, hi)) return false;
    this.mark(ROOT, lo, hi, RESERVED);
    return true;
  }

  findIova(pfn: number): IovaRange<number> | null {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
    const n = this.leafOf(pfn);
    if (n === NIL || this.state[n] !== ALLOC) return null;
    return { pfnLo: this.base[n], pfnHi: this.base[n] + POW2[this.order[n]] - 1 };
  }

  stats(endPfn: number): AllocatorStats {
    if (typeof endPfn !== 'number') throw argumentError(this.name, 'endPfn', endPfn, 'number');
    const acc = new FreeRunAccumulator(this.startPfn, Math.min(endPfn, this.endPfn), this.dma32BitPfn);
    const stack: number[] = [ROOT];
    while (stack.length > 0) {
      const n = stack.pop() as number;
      const c = this.child[n];
      if (c !== NIL) {
        stack.push(c + 1, c);
      } else if (this.state[n] === FREE) {
        acc.add(this.base[n], this.base[n] + POW2[this.order[n]] - 1);
      }
    }
    return acc.finish(this.liveRanges, this.searchSteps);
  }

  /** Trie nodes in use (for tests and reports). */
  get nodeCount(): number {
    return 1 + 2 * (this.nextPair - 1 - this.freePairs.length);
  }

  /** Checks masks, links and that no two free buddies are left uncoalesced (for tests). */
  checkInvariants(): void {
    const visit = (n: number): void => {
      const c = this.child[n];
      if (c === NIL) {
        if (this.state[n] === SPLIT) throw new Error('buddy: split node without children');
      } else {
        if (this.parent[c] !== n || this.parent[c + 1] !== n) throw new Error('buddy: bad parent link');
        if (this.order[c] !== this.order[n] - 1 || this.base[c + 1] !== this.base[c] + POW2[this.order[c]]) throw new Error('buddy: bad child block');
        visit(c);
        visit(c + 1);
        if (this.child[c] === NIL && this.child[c + 1] === NIL && this.state[c] === FREE && this.state[c + 1] === FREE) {
          throw new Error(`buddy: free buddies at ${this.base[c]} not coalesced`);
        }
      }
      const lo = this.maskLo[n];
      const hi = this.maskHi[n];
      this.refresh(n);
      if (lo !== this.maskLo[n] || hi !== this.maskHi[n]) throw new Error(`buddy: stale mask at ${this.base[n]}`);
    };
    visit(ROOT);
  }
}
