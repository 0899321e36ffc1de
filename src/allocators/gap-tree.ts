/**
 * Gap tree: top-down first fit in O(log n) worst case, alignment included.
 *
 * Source. The ranges live, as in Linux's iova.c, in a red-black tree keyed by address; the idea of
 * augmenting each node with the largest free gap of its subtree is the one FreeBSD's IOMMU address
 * allocator uses (sys/dev/iommu/iommu_gas.c: an RB tree of entries, each with `free_down`, the
 * largest free space below it in its subtree, found with RB_AUGMENT). The red-black tree is the
 * textbook one (Cormen et al., ch. 13), with the augmented values recomputed on every rotation and
 * along the changed path (Cormen et al., ch. 14, "augmenting data structures").
 *
 * Design. Nodes are allocated or reserved ranges in address order, plus two sentinels: one just
 * below startPfn and one just above endPfn. Every node owns the gap below it, [gapLo, lo - 1], where
 * gapLo is its predecessor's hi + 1, so the gaps and the nodes are in the same order and the
 * sentinel above endPfn owns the top gap. Each node caches, for its subtree:
 *   - G, the longest gap, which answers unaligned requests exactly (a gap fits s iff it is >= s), and
 *   - for size-aligned requests (alignment A = 2^k >= s > A/2), two more numbers. A gap [a, b] of
 *     length L holds an aligned fit iff fit_A = b + 1 - alignUp(a, A) >= s. If G >= s + A - 1 the
 *     longest gap fits whatever its position; if G < s nothing fits. Only in between does position
 *     matter, and then (G + 1) / 2 < A < 2G: at most two orders k, fixed by G. The node keeps
 *     min(fit_A, A) maximised over its subtree for exactly those two orders ("the band of G"; values
 *     of A / 2 or less are stored as 0, as no request of that order can use them). A
 *     child's G is at most its parent's, so a parent's band order is either in the child's band
 *     (use the child's number) or so high that every gap of the child is shorter than A / 2 (the
 *     child cannot fit it). Three numbers per node therefore make "does this subtree hold an aligned
 *     fit of s?" an exact O(1) test, where keeping fit_A for every order would cost ~40 per node.
 * Allocation looks for the highest fitting address at or below the limit, as Linux's walk does but
 * from the limit instead of a cached node: one descent along the path to limit + 1 collects the O(log
 * n) subtrees that lie wholly below the limit (and the one gap that straddles it, clipped), then the
 * first of them, from the top, whose cached numbers say "fits" is entered and descended right-first
 * to its highest fitting gap. Two descents and a rebalance: O(log n) worst case, whatever the
 * alignment, the limit or the layout; free is a lookup, a delete and a path update, also O(log n).
 *
 * Answer to the question: yes, it returns exactly the address a plain top-down first fit from
 * the limit returns (the highest aligned pfn p with [p, p + size - 1] free and p + size - 1 <= limit),
 * because every test above is exact; test/allocators checks it against a bitmap scan on every
 * allocation. It follows that it never fails while a fitting aligned gap exists (no false failures).
 * Linux returns other addresses (it searches below its cached node first) and fails falsely by design.
 *
 * Cost. Six 8-byte, three 4-byte and three 1-byte fields per range (~63 bytes in typed arrays, no
 * objects); per allocation or free, one climb that refreshes the cached numbers (it stops where they
 * stop changing, once past the nodes whose own inputs changed) and one rebalance.
 * Against Linux's walk, which is O(1) while the cached node sits just above free space, it is slower
 * when Linux is lucky and exponentially faster when it is not (a full or fragmented 32-bit space).
 * searchSteps counts nodes examined by allocation searches (not by frees), like Linux's rb_prev count.
 *
 * Semantics shared by the alternatives: granted = asked (alignment slack stays free); reserveIova
 * refuses (false, no change) a range that overlaps a live allocation, and otherwise reserves the free
 * granules of the range clipped to [startPfn, endPfn]; reserved granules are never handed out, never
 * freed (freeIova on them is false) and are not ranges for findIova.
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import { checkDomain, checkSize, FreeRunAccumulator } from './free-runs.js';
import { alignDown, alignUp, ceilLog2, fls, growFloat64, growInt32, growUint8 } from './typed-pool.js';
import { argumentError } from './arguments.js';

const NIL = 0;
const KIND_ALLOC = 0;
const KIND_RESERVED = 1;
const KIND_SENTINEL = 2;
const STACK_DEPTH = 128;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class GapTreeAllocator implements IovaAllocator<number> {
  readonly name: string = 'gap-tree';
  readonly startPfn: number;
  readonly endPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  searchSteps = 0;
  /** Live ranges handed out by allocIova and the granules they were asked for and granted. */
  liveRanges = 0;
  askedGranules = 0;
  grantedGranules = 0;

  // Node records, struct of arrays; record 0 is NIL.
  private left = new Int32Array(0);
  private right = new Int32Array(0);
  private parent = new Int32Array(0);
  private red = new Uint8Array(0);
  private kind = new Uint8Array(0);
  private lo = new Float64Array(0);
  private hi = new Float64Array(0);
  /** First pfn of the gap below the node (its predecessor's hi + 1). */
  private gapLo = new Float64Array(0);
  /** Subtree maxima: longest gap, and min(fit_A, A) for the two band orders of that gap length. */
  private maxGap = new Float64Array(0);
  private fitA = new Float64Array(0);
  private fitB = new Float64Array(0);
  /** band(maxGap), cached. */
  private bandOf = new Uint8Array(0);
  private capacity = 0;
  private used = 1;
  private freeList = NIL;
  private root = NIL;
  private readonly top: number;
  private readonly stack = new Int32Array(STACK_DEPTH);
  /** Where the last successful findFit() places the range. */
  private fitPfn = 0;

  constructor(granule: number, startPfn: number, endPfn: number) {
    checkDomain('gap-tree', granule, startPfn, endPfn);
    this.granule = granule;
    this.startPfn = startPfn;
    this.endPfn = endPfn;
    this.dma32BitPfn = 2 ** (32 - (31 - Math.clz32(granule)));
    this.grow(64);
    const bottom = this.newNode(startPfn - 1, startPfn - 1, KIND_SENTINEL);
    this.gapLo[bottom] = startPfn - 1;
    this.root = bottom;
    this.red[bottom] = 0;
    this.update(bottom);
    this.top = this.newNode(endPfn + 1, endPfn + 1, KIND_SENTINEL);
    this.gapLo[this.top] = startPfn;
    this.insertBefore(this.top, bottom, true);
  }

  // ---- record pool ----

  private grow(capacity: number): void {
    this.left = growInt32(this.left, capacity);
    this.right = growInt32(this.right, capacity);
    this.parent = growInt32(this.parent, capacity);
    this.red = growUint8(this.red, capacity);
    this.kind = growUint8(this.kind, capacity);
    this.lo = growFloat64(this.lo, capacity);
    this.hi = growFloat64(this.hi, capacity);
    this.gapLo = growFloat64(this.gapLo, capacity);
    this.maxGap = growFloat64(this.maxGap, capacity);
    this.fitA = growFloat64(this.fitA, capacity);
    this.fitB = growFloat64(this.fitB, capacity);
    this.bandOf = growUint8(this.bandOf, capacity);
    this.capacity = capacity;
  }

  private newNode(lo: number, hi: number, kind: number): number {
    let n = this.freeList;
    if (n !== NIL) this.freeList = this.right[n];
    else {
      if (this.used === this.capacity) this.grow(this.capacity * 2);
      n = this.used++;
    }
    this.left[n] = NIL;
    this.right[n] = NIL;
    this.parent[n] = NIL;
    this.red[n] = 1;
    this.kind[n] = kind;
    this.lo[n] = lo;
    this.hi[n] = hi;
    return n;
  }

  private releaseNode(n: number): void {
    this.right[n] = this.freeList;
    this.freeList = n;
  }

  // ---- augmentation ----

  /** The lower band order for a subtree whose longest gap is g: the smallest k with 2^(k+1) > g + 1. */
  private static band(g: number): number {
    return fls(g + 1) - 1;
  }

  /**
   * min(fit_A, A) of the node's own gap for A = 2^k (how much of an aligned A-block's prefix it
   * holds), or 0 when that is at most A / 2: requests of order k ask for more than A / 2, so smaller
   * values never decide anything, and zeroing them makes the subtree maxima independent of the shape.
   */
  private ownFit(n: number, k: number): number {
    const align = POW2[k];
    const v = this.lo[n] - alignUp(this.gapLo[n], align);
    return v * 2 <= align ? 0 : v < align ? v : align;
  }

  /** The subtree maximum of min(fit_A, A) for A = 2^k, where k is at least the subtree's band. */
  private subtreeFit(n: number, k: number): number {
    if (n === NIL) return 0;
    const b = this.bandOf[n];
    if (k === b) return this.fitA[n];
    if (k === b + 1) return this.fitB[n];
    return k < b ? POW2[k] : 0;
  }

  /** Recomputes the node's cached subtree numbers from its own gap and its children; true if changed. */
  private update(n: number): boolean {
    const l = this.left[n];
    const r = this.right[n];
    let g = this.lo[n] - this.gapLo[n];
    if (l !== NIL && this.maxGap[l] > g) g = this.maxGap[l];
    if (r !== NIL && this.maxGap[r] > g) g = this.maxGap[r];
    const b = GapTreeAllocator.band(g);
    let fa = this.ownFit(n, b);
    let fb = this.ownFit(n, b + 1);
    if (l !== NIL) {
      const la = this.subtreeFit(l, b);
      const lb = this.subtreeFit(l, b + 1);
      if (la > fa) fa = la;
      if (lb > fb) fb = lb;
    }
    if (r !== NIL) {
      const ra = this.subtreeFit(r, b);
      const rb = this.subtreeFit(r, b + 1);
      if (ra > fa) fa = ra;
      if (rb > fb) fb = rb;
    }
    const changed = g !== this.maxGap[n] || fa !== this.fitA[n] || fb !== this.fitB[n];
    this.maxGap[n] = g;
    this.fitA[n] = fa;
    this.fitB[n] = fb;
    this.bandOf[n] = b;
    return changed;
  }

  /**
   * Refreshes the cached numbers from n upwards while they change. `through` is an ancestor of n
   * whose own inputs changed as well (its gap, or its children): when the climb from n stops below
   * it, it resumes at `through` (the nodes in between only depend on n's side, which stopped
   * changing). NIL when there is no such node.
   */
  private updateUpwards(n: number, through: number): void {
    let passed = through === NIL;
    let x = n;
    while (x !== NIL) {
      const changed = this.update(x);
      if (x === through) passed = true;
      if (!changed) {
        if (passed) return;
        passed = true;
        if (x !== through) {
          x = through;
          continue;
        }
      }
      x = this.parent[x];
    }
  }

  /** Exact: does the subtree hold an aligned (A = 2^k, s > A / 2, or A = 1) fit of s? */
  private subtreeFits(n: number, size: number, align: number, k: number): boolean {
    if (n === NIL) return false;
    const g = this.maxGap[n];
    if (g < size) return false;
    if (align === 1 || g >= size + align - 1) return true;
    return this.subtreeFit(n, k) >= size;
  }

  // ---- red-black tree ----

  private rotateLeft(x: number): void {
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const y = right[x];
    right[x] = left[y];
    if (left[y] !== NIL) parent[left[y]] = x;
    const p = parent[x];
    parent[y] = p;
    if (p === NIL) this.root = y;
    else if (x === left[p]) left[p] = y;
    else right[p] = y;
    left[y] = x;
    parent[x] = y;
    this.update(x);
    this.update(y);
  }

  private rotateRight(x: number): void {
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const y = left[x];
    left[x] = right[y];
    if (right[y] !== NIL) parent[right[y]] = x;
    const p = parent[x];
    parent[y] = p;
    if (p === NIL) this.root = y;
    else if (x === right[p]) right[p] = y;
    else left[p] = y;
    right[y] = x;
    parent[x] = y;
    this.update(x);
    this.update(y);
  }

  /**
   * Links node n as the in-order neighbour of `at` (predecessor when `before`), then restores the
   * cached numbers along the path (the caller has already set both nodes' gapLo) and rebalances.
   */
  private insertBefore(n: number, at: number, after = false): void {
    let p: number;
    if (!after) {
      if (this.left[at] === NIL) {
        p = at;
        this.left[p] = n;
      } else {
        p = this.left[at];
        while (this.right[p] !== NIL) p = this.right[p];
        this.right[p] = n;
      }
    } else if (this.right[at] === NIL) {
      p = at;
      this.right[p] = n;
    } else {
      p = this.right[at];
      while (this.left[p] !== NIL) p = this.left[p];
      this.left[p] = n;
    }
    this.parent[n] = p;
    // n is new (its record's old numbers mean nothing), so the climb starts at its parent; `at` is
    // an ancestor of n and its gap shrank.
    this.update(n);
    this.updateUpwards(p, at);
    this.insertFixup(n);
  }

  private insertFixup(z: number): void {
    const red = this.red;
    const parent = this.parent;
    let node = z;
    let p = parent[node];
    while (p !== NIL && red[p] === 1) {
      const g = parent[p];
      if (p === this.left[g]) {
        const u = this.right[g];
        if (u !== NIL && red[u] === 1) {
          red[p] = 0;
          red[u] = 0;
          red[g] = 1;
          node = g;
        } else {
          if (node === this.right[p]) {
            node = p;
            this.rotateLeft(node);
          }
          const q = parent[node];
          red[q] = 0;
          red[g] = 1;
          this.rotateRight(g);
        }
      } else {
        const u = this.left[g];
        if (u !== NIL && red[u] === 1) {
          red[p] = 0;
          red[u] = 0;
          red[g] = 1;
          node = g;
        } else {
          if (node === this.left[p]) {
            node = p;
            this.rotateRight(node);
          }
          const q = parent[node];
          red[q] = 0;
          red[g] = 1;
          this.rotateLeft(g);
        }
      }
      p = parent[node];
    }
    red[this.root] = 0;
  }

  private transplant(u: number, v: number): void {
    const p = this.parent[u];
    if (p === NIL) this.root = v;
    else if (u === this.left[p]) this.left[p] = v;
    else this.right[p] = v;
    if (v !== NIL) this.parent[v] = p;
  }

  private successor(n: number): number {
    let x = this.right[n];
    if (x !== NIL) {
      while (this.left[x] !== NIL) x = this.left[x];
      return x;
    }
    let c = n;
    x = this.parent[n];
    while (x !== NIL && c === this.right[x]) {
      c = x;
      x = this.parent[x];
    }
    return x;
  }

  /** Unlinks z; its gap and range join its successor's gap. */
  private erase(z: number): void {
    const left = this.left;
    const right = this.right;
    const succ = this.successor(z);
    this.gapLo[succ] = this.gapLo[z];
    let x: number;
    let xParent: number;
    let removedRed = this.red[z] === 1;
    if (left[z] === NIL) {
      x = right[z];
      xParent = this.parent[z];
      this.transplant(z, x);
    } else if (right[z] === NIL) {
      x = left[z];
      xParent = this.parent[z];
      this.transplant(z, x);
    } else {
      const y = succ;
      removedRed = this.red[y] === 1;
      x = right[y];
      if (this.parent[y] === z) {
        xParent = y;
      } else {
        xParent = this.parent[y];
        this.transplant(y, right[y]);
        right[y] = right[z];
        this.parent[right[y]] = y;
      }
      this.transplant(z, y);
      left[y] = left[z];
      this.parent[left[y]] = y;
      this.red[y] = this.red[z];
    }
    // Refresh every node whose subtree lost z or whose gap grew (succ). When z had only a right
    // child, succ sits inside it, below xParent; otherwise succ is xParent or one of its ancestors.
    if (left[z] === NIL && x !== NIL) this.updateUpwards(succ, xParent);
    else this.updateUpwards(xParent, succ);
    if (!removedRed) this.eraseFixup(x, xParent);
    this.releaseNode(z);
  }

  private eraseFixup(x0: number, xParent0: number): void {
    const red = this.red;
    let x = x0;
    let p = xParent0;
    while (x !== this.root && (x === NIL || red[x] === 0)) {
      if (x === this.left[p]) {
        let w = this.right[p];
        if (red[w] === 1) {
          red[w] = 0;
          red[p] = 1;
          this.rotateLeft(p);
          w = this.right[p];
        }
        const wl = this.left[w];
        const wr = this.right[w];
        if ((wl === NIL || red[wl] === 0) && (wr === NIL || red[wr] === 0)) {
          red[w] = 1;
          x = p;
          p = this.parent[p];
        } else {
          if (wr === NIL || red[wr] === 0) {
            red[wl] = 0;
            red[w] = 1;
            this.rotateRight(w);
            w = this.right[p];
          }
          red[w] = red[p];
          red[p] = 0;
          if (this.right[w] !== NIL) red[this.right[w]] = 0;
          this.rotateLeft(p);
          x = this.root;
          p = NIL;
        }
      } else {
        let w = this.left[p];
        if (red[w] === 1) {
          red[w] = 0;
          red[p] = 1;
          this.rotateRight(p);
          w = this.left[p];
        }
        const wl = this.left[w];
        const wr = this.right[w];
        if ((wl === NIL || red[wl] === 0) && (wr === NIL || red[wr] === 0)) {
          red[w] = 1;
          x = p;
          p = this.parent[p];
        } else {
          if (wl === NIL || red[wl] === 0) {
            red[wr] = 0;
            red[w] = 1;
            this.rotateLeft(w);
            w = this.left[p];
          }
          red[w] = red[p];
          red[p] = 0;
          if (this.left[w] !== NIL) red[this.left[w]] = 0;
          this.rotateRight(p);
          x = this.root;
          p = NIL;
        }
      }
    }
    if (x !== NIL) red[x] = 0;
  }

  // ---- search ----

  /**
   * The node whose gap holds the highest aligned fit of `size` at or below `limit` (fitPfn set), or
   * NIL. `limit` is already clipped to endPfn. Counts examined nodes into searchSteps.
   */
  private findFit(size: number, limit: number, align: number): number {
    const lo = this.lo;
    const gapLo = this.gapLo;
    const stack = this.stack;
    const k = align === 1 ? 0 : ceilLog2(align);
    let steps = 0;
    let sp = 0;
    let straddle = NIL;
    // Descent along limit + 1: nodes whose gap ends at or below the limit go on the stack (deepest on
    // top = highest address); the last node passed on the left is the one whose gap may straddle.
    for (let n = this.root; n !== NIL; ) {
      steps++;
      if (lo[n] <= limit + 1) {
        stack[sp++] = n;
        n = this.right[n];
      } else {
        straddle = n;
        n = this.left[n];
      }
    }
    let found = NIL;
    if (straddle !== NIL && gapLo[straddle] <= limit) {
      const p = alignDown(limit - size + 1, align);
      if (p >= gapLo[straddle]) {
        this.fitPfn = p;
        found = straddle;
      }
    }
    while (found === NIL && sp > 0) {
      const n = stack[--sp];
      const p = alignDown(lo[n] - size, align);
      if (p >= gapLo[n]) {
        this.fitPfn = p;
        found = n;
        break;
      }
      let c = this.left[n];
      steps++;
      if (!this.subtreeFits(c, size, align, k)) continue;
      // Right-first descent to the highest fitting gap of a subtree known to hold one.
      for (;;) {
        steps++;
        const r = this.right[c];
        if (this.subtreeFits(r, size, align, k)) {
          c = r;
          continue;
        }
        const q = alignDown(lo[c] - size, align);
        if (q >= gapLo[c]) {
          this.fitPfn = q;
          found = c;
          break;
        }
        c = this.left[c];
        if (c === NIL) throw new Error('gap-tree: cached subtree numbers promised a fit that is not there');
      }
    }
    this.searchSteps += steps;
    return found;
  }

  /** Inserts [p, p + size - 1] of the given kind into the gap of node `at`, which must hold it. */
  private occupy(at: number, p: number, size: number, kind: number): number {
    const n = this.newNode(p, p + size - 1, kind);
    this.gapLo[n] = this.gapLo[at];
    this.gapLo[at] = p + size;
    this.insertBefore(n, at);
    return n;
  }

  /** The node holding pfn (sentinels included), or NIL. */
  private lookup(pfn: number): number {
    let n = this.root;
    while (n !== NIL) {
      if (pfn < this.lo[n]) n = this.left[n];
      else if (pfn > this.hi[n]) n = this.right[n];
      else return n;
    }
    return NIL;
  }

  /** The lowest node with lo > pfn (never NIL for pfn <= endPfn: the top sentinel). */
  private above(pfn: number): number {
    let n = this.root;
    let best = NIL;
    while (n !== NIL) {
      if (this.lo[n] > pfn) {
        best = n;
        n = this.left[n];
      } else {
        n = this.right[n];
      }
    }
    return best;
  }

  // ---- IovaAllocator ----

  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    checkSize(this.name, size);
    if (typeof limitPfn !== 'number') throw argumentError(this.name, 'limitPfn', limitPfn, 'number');
    if (typeof sizeAligned !== 'boolean') throw argumentError(this.name, 'sizeAligned', sizeAligned, 'boolean');
    const limit = limitPfn < this.endPfn ? limitPfn : this.endPfn;
    if (limit - size + 1 < this.startPfn) return null;
    const align = sizeAligned ? 2 ** ceilLog2(size) : 1;
    const at = this.findFit(size, limit, align);
    if (at === NIL) return null;
    const p = this.fitPfn;
    this.occupy(at, p, size, KIND_ALLOC);
    this.liveRanges++;
    this.askedGranules += size;
    this.grantedGranules += size;
    return p;
  }

  freeIova(pfn: number): boolean {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
    const n = this.lookup(pfn);
    if (n === NIL || this.kind[n] !== KIND_ALLOC) return false;
    const size = this.hi[n] - this.lo[n] + 1;
    this.erase(n);
    this.liveRanges--;
    this.askedGranules -= size;
    this.grantedGranules -= size;
    return true;
  }

  reserveIova(pfnLo: number, pfnHi: number): boolean {
    if (typeof pfnLo !== 'number') throw argumentError(this.name, 'pfnLo', pfnLo, 'number');
    if (typeof pfnHi !== 'number') throw argumentError(this.name, 'pfnHi', pfnHi, 'number');
    if (!(pfnLo <= pfnHi)) return false;
    const lo = pfnLo < this.startPfn ? this.startPfn : pfnLo;
    const hi = pfnHi > this.endPfn ? this.endPfn : pfnHi;
    if (lo > hi) return true;
    // Refuse if a live allocation overlaps; nodes overlapping [lo, hi] start from the one above lo - 1.
    for (let n = this.lookup(lo) !== NIL ? this.lookup(lo) : this.above(lo); n !== NIL && this.lo[n] <= hi; n = this.successor(n)) {
      if (this.kind[n] === KIND_ALLOC) return false;
    }
    // Reserve the free part of every gap that meets [lo, hi].
    for (let n = this.above(lo); n !== NIL && this.gapLo[n] <= hi; n = this.successor(n)) {
      const a = this.gapLo[n] > lo ? this.gapLo[n] : lo;
      const b = this.lo[n] - 1 < hi ? this.lo[n] - 1 : hi;
      if (a <= b) this.occupy(n, a, b - a + 1, KIND_RESERVED);
    }
    return true;
  }

  findIova(pfn: number): IovaRange<number> | null {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
    const n = this.lookup(pfn);
    if (n === NIL || this.kind[n] !== KIND_ALLOC) return null;
    return { pfnLo: this.lo[n], pfnHi: this.hi[n] };
  }

  stats(endPfn: number): AllocatorStats {
    if (typeof endPfn !== 'number') throw argumentError(this.name, 'endPfn', endPfn, 'number');
    const acc = new FreeRunAccumulator(this.startPfn, Math.min(endPfn, this.endPfn), this.dma32BitPfn);
    let n = this.root;
    while (this.left[n] !== NIL) n = this.left[n];
    for (; n !== NIL; n = this.successor(n)) acc.add(this.gapLo[n], this.lo[n] - 1);
    return acc.finish(this.liveRanges, this.searchSteps);
  }

  // ---- exact free-space queries (used by the fragmentation auditor) ----

  /** Whether an aligned fit of `size` at or below `limitPfn` exists; searchSteps is not charged. */
  hasFit(size: number, limitPfn: number, sizeAligned: boolean): boolean {
    const limit = limitPfn < this.endPfn ? limitPfn : this.endPfn;
    if (size < 1 || limit - size + 1 < this.startPfn) return false;
    const steps = this.searchSteps;
    const found = this.findFit(size, limit, sizeAligned ? 2 ** ceilLog2(size) : 1) !== NIL;
    this.searchSteps = steps;
    return found;
  }

  /** The address allocIova would return, without allocating; null when nothing fits. */
  peekFit(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    const limit = limitPfn < this.endPfn ? limitPfn : this.endPfn;
    if (size < 1 || limit - size + 1 < this.startPfn) return null;
    const steps = this.searchSteps;
    const found = this.findFit(size, limit, sizeAligned ? 2 ** ceilLog2(size) : 1);
    this.searchSteps = steps;
    return found === NIL ? null : this.fitPfn;
  }

  /** Marks exactly [lo, hi] allocated (as a live range) if it is wholly free; false otherwise. */
  claim(lo: number, hi: number): boolean {
    if (lo > hi || lo < this.startPfn || hi > this.endPfn) return false;
    const n = this.above(hi);
    if (n === NIL || this.gapLo[n] > lo || this.lo[n] <= hi) return false;
    this.occupy(n, lo, hi - lo + 1, KIND_ALLOC);
    this.liveRanges++;
    this.askedGranules += hi - lo + 1;
    this.grantedGranules += hi - lo + 1;
    return true;
  }

  /** Live node count, sentinels excluded (for tests). */
  get nodeCount(): number {
    let count = 0;
    let n = this.root;
    while (this.left[n] !== NIL) n = this.left[n];
    for (; n !== NIL; n = this.successor(n)) if (this.kind[n] !== KIND_SENTINEL) count++;
    return count;
  }

  /** Checks red-black shape and every cached number against a recomputation (for tests). */
  checkInvariants(): void {
    const visit = (n: number, p: number): number => {
      if (n === NIL) return 1;
      if (this.parent[n] !== p) throw new Error(`gap-tree: bad parent at ${this.lo[n]}`);
      if (this.red[n] === 1 && p !== NIL && this.red[p] === 1) throw new Error('gap-tree: red node with red parent');
      const lh = visit(this.left[n], n);
      const rh = visit(this.right[n], n);
      if (lh !== rh) throw new Error('gap-tree: unequal black heights');
      const g = this.maxGap[n];
      const a = this.fitA[n];
      const b = this.fitB[n];
      this.update(n);
      if (g !== this.maxGap[n] || a !== this.fitA[n] || b !== this.fitB[n]) throw new Error(`gap-tree: stale cached numbers at ${this.lo[n]}`);
      return lh + (this.red[n] === 1 ? 0 : 1);
    };
    if (this.red[this.root] === 1) throw new Error('gap-tree: red root');
    visit(this.root, NIL);
    let prevHi = -Infinity;
    let n = this.root;
    while (this.left[n] !== NIL) n = this.left[n];
    for (let first = true; n !== NIL; n = this.successor(n), first = false) {
      if (!first && this.gapLo[n] !== prevHi + 1) throw new Error(`gap-tree: gapLo of ${this.lo[n]} is not its predecessor's hi + 1`);
      if (this.lo[n] > this.hi[n] || this.gapLo[n] > this.lo[n]) throw new Error('gap-tree: malformed node');
      prevHi = this.hi[n];
    }
  }
}
