/**
 * vmem: instant-fit allocation over power-of-two segregated free lists.
 *
 * Source. Bonwick & Adams, "Magazines and Vmem: Extending the Slab Allocator to Many CPUs and
 * Arbitrary Resources", USENIX 2001, §4 (the resource allocator behind Solaris' vmem_alloc(), later
 * FreeBSD's sys/kern/subr_vmem.c). The paper's point is that a general resource allocator, IOVA space
 * included, can be O(1) and low-fragmentation at once; its magazine layer is what Linux's IOVA rcache
 * copies (../rcache/rcache.ts), so here is the layer that was left out.
 *
 * Design (the paper's, with IOVA constraints added).
 *   - Boundary tags: segments (free, allocated or reserved) tile [startPfn, endPfn], doubly linked
 *     in address order (./segment-store.ts), so a freed segment coalesces with free neighbours in
 *     O(1). The tags live outside the space, and allocated segments are found by start pfn through a
 *     hash table, as in the paper. Splitting, freeing with coalescing, reserving, findIova and stats
 *     are shared with TLSF (./segment-allocator.ts); this file is the lists and the search.
 *   - Segregated free lists: list i holds the free segments of 2^i to 2^(i+1) - 1 granules; a bitmap
 *     (two 32-bit words) says which lists are non-empty.
 *   - Instant fit: a request that needs n granules takes the head of the first non-empty list i with
 *     2^i >= n, found with one find-first-set on the bitmap. Every segment there is big enough, so
 *     no list is searched: O(1) for allocation and for free. The price is that a segment of list
 *     floor(log2 n) that would fit is ignored while a larger list has one, which splits larger
 *     segments than best fit would (docs/allocators.md shows what that does to a 32-bit space under
 *     the ageing workload).
 *   - Alignment: a size-aligned request of s granules (A = roundup_pow_of_two(s)) needs n = s + A - 1
 *     granules to be sure of an aligned fit in any segment, so alignment stays instant-fit but looks
 *     one list higher.
 *   - Constrained allocation. A limit below endPfn (vmem's `maxaddr`) is not something the lists
 *     know. Such a request first tries the head of each non-empty list from the instant-fit one up
 *     (at most 53 heads); if none lies low enough, or if instant fit found no list at all, it falls
 *     back to scanning every segment of every list that may hold a fit (lists floor(log2 s) and up),
 *     checking size, alignment and limit exactly, as vmem_xalloc() does for constrained requests.
 *     That fallback is O(free segments) but makes the allocator exact: it fails only when no free,
 *     aligned run below the limit exists (no false failures). The DMA layer's common case, a 64-bit
 *     limit, is unconstrained; a 32-bit limit scans only when the heads it sees lie above 4 GiB.
 *   - Placement: the highest aligned position of the chosen segment at or below the limit (top-down,
 *     as Linux), the rest returns to the lists. Lists are LIFO: the last freed segment is reused first.
 * searchSteps counts bitmap words and list entries examined by allocation searches.
 *
 * Shared semantics: granted = asked; reserveIova refuses (false) a range overlapping a live
 * allocation, else reserves its free granules within [startPfn, endPfn]; reserved granules are never
 * handed out or freed and are not ranges for findIova. freeIova/findIova take any pfn of the range,
 * O(1) for its start pfn (what the DMA layer and the rcache pass), O(segments) for any other.
 */
import { checkSize } from './free-runs.js';
import { SegmentListAllocator } from './segment-allocator.js';
import { NIL, SEG_FREE } from './segment-store.js';
import { alignDown, ceilLog2, ctz32, fls } from './typed-pool.js';
import { argumentError } from './arguments.js';

/** Lists 0..52: every size below 2^53. */
const LISTS = 53;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class VmemAllocator extends SegmentListAllocator {
  private readonly heads = new Int32Array(LISTS);
  /** Non-empty lists: bit i of mapLo for i < 32, bit i - 32 of mapHi. */
  private mapLo = 0;
  private mapHi = 0;

  constructor(granule: number, startPfn: number, endPfn: number) {
    super('vmem', granule, startPfn, endPfn);
    this.insertFree(this.seg.head);
  }

  // ---- free lists ----

  protected override insertFree(s: number): void {
    const i = fls(this.seg.size(s)) - 1;
    if (this.seg.pushList(this.heads, i, s)) {
      if (i < 32) this.mapLo |= 1 << i;
      else this.mapHi |= 1 << (i - 32);
    }
  }

  protected override removeFree(s: number): void {
    const i = this.seg.pullList(this.heads, s);
    if (this.heads[i] === NIL) {
      if (i < 32) this.mapLo &= ~(1 << i);
      else this.mapHi &= ~(1 << (i - 32));
    }
  }

  /** The lowest non-empty list >= i, or -1 (one or two bitmap words). */
  private nextList(i: number): number {
    if (i < 32) {
      this.searchSteps++;
      const m = i === 0 ? this.mapLo : this.mapLo & ~((1 << i) - 1);
      if (m !== 0) return ctz32(m);
      i = 32;
    }
    if (i >= LISTS) return -1;
    this.searchSteps++;
    const m = this.mapHi & ~((1 << (i - 32)) - 1);
    return m !== 0 ? 32 + ctz32(m) : -1;
  }

  /** Where segment s can hold an aligned fit at or below limit (its highest), or -1. */
  private fitIn(s: number, size: number, limit: number, align: number): number {
    const seg = this.seg;
    const a = seg.start(s);
    const e = a + seg.size(s) - 1;
    const p = alignDown((e < limit ? e : limit) - size + 1, align);
    return p >= a ? p : -1;
  }

  // ---- IovaAllocator ----

  override allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    checkSize(this.name, size);
    if (typeof limitPfn !== 'number') throw argumentError(this.name, 'limitPfn', limitPfn, 'number');
    if (typeof sizeAligned !== 'boolean') throw argumentError(this.name, 'sizeAligned', sizeAligned, 'boolean');
    const limit = limitPfn < this.endPfn ? limitPfn : this.endPfn;
    if (limit - size + 1 < this.startPfn) return null;
    const align = sizeAligned ? POW2[ceilLog2(size)] : 1;
    const constrained = limit < this.endPfn;
    const seg = this.seg;
    // Instant fit: heads of the lists whose every segment holds size + align - 1 granules.
    for (let i = this.nextList(ceilLog2(size + align - 1)); i >= 0; i = this.nextList(i + 1)) {
      const s = this.heads[i];
      this.searchSteps++;
      const p = this.fitIn(s, size, limit, align);
      if (p >= 0) {
        this.carve(s, p, size);
        return p;
      }
      if (!constrained) break;
    }
    // Fallback: every segment that may be long enough, checked exactly.
    for (let i = this.nextList(fls(size) - 1); i >= 0; i = this.nextList(i + 1)) {
      for (let s = this.heads[i]; s !== NIL; s = seg.listNext(s)) {
        this.searchSteps++;
        const p = this.fitIn(s, size, limit, align);
        if (p >= 0) {
          this.carve(s, p, size);
          return p;
        }
      }
    }
    return null;
  }

  /** Checks tiling, coalescing and the lists against the bitmap (for tests). */
  checkInvariants(): void {
    const seg = this.seg;
    seg.checkTiling(this.startPfn, this.endPfn);
    let freeSegments = 0;
    for (let s = seg.head; s !== NIL; s = seg.next(s)) if (seg.state(s) === SEG_FREE) freeSegments++;
    let listed = 0;
    for (let i = 0; i < LISTS; i++) {
      const bit = i < 32 ? (this.mapLo >>> i) & 1 : (this.mapHi >>> (i - 32)) & 1;
      if ((this.heads[i] !== NIL ? 1 : 0) !== bit) throw new Error(`vmem: bitmap disagrees with list ${i}`);
      for (let s = this.heads[i]; s !== NIL; s = seg.listNext(s)) {
        if (seg.state(s) !== SEG_FREE || fls(seg.size(s)) - 1 !== i) throw new Error(`vmem: segment on the wrong list ${i}`);
        listed++;
      }
    }
    if (listed !== freeSegments) throw new Error('vmem: free segments missing from the lists');
  }
}
