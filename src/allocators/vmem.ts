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
 *     hash table, as in the paper.
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
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import { checkDomain, checkSize } from './free-runs.js';
import { NIL, SEG_ALLOC, SEG_FREE, SEG_RESERVED, SegmentStore } from './segment-store.js';
import { alignDown, ceilLog2, ctz32, fls } from './typed-pool.js';

/** Lists 0..52: every size below 2^53. */
const LISTS = 53;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class VmemAllocator implements IovaAllocator<number> {
  readonly name: string = 'vmem';
  readonly startPfn: number;
  readonly endPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  searchSteps = 0;
  private readonly seg = new SegmentStore();
  private readonly heads = new Int32Array(LISTS);
  /** Non-empty lists: bit i of mapLo for i < 32, bit i - 32 of mapHi. */
  private mapLo = 0;
  private mapHi = 0;

  constructor(granule: number, startPfn: number, endPfn: number) {
    checkDomain('vmem', granule, startPfn, endPfn);
    this.granule = granule;
    this.startPfn = startPfn;
    this.endPfn = endPfn;
    this.dma32BitPfn = 2 ** (32 - (31 - Math.clz32(granule)));
    const s = this.seg.create(startPfn, endPfn - startPfn + 1, SEG_FREE);
    this.seg.head = s;
    this.insertFree(s);
  }

  get liveRanges(): number {
    return this.seg.liveRanges;
  }

  get askedGranules(): number {
    return this.seg.askedGranules;
  }

  get grantedGranules(): number {
    return this.seg.grantedGranules;
  }

  // ---- free lists ----

  private insertFree(s: number): void {
    const seg = this.seg;
    const i = fls(seg.size(s)) - 1;
    const h = this.heads[i];
    seg.setList(s, i);
    seg.setListPrev(s, NIL);
    seg.setListNext(s, h);
    if (h !== NIL) seg.setListPrev(h, s);
    else if (i < 32) this.mapLo |= 1 << i;
    else this.mapHi |= 1 << (i - 32);
    this.heads[i] = s;
  }

  private removeFree(s: number): void {
    const seg = this.seg;
    const i = seg.list(s);
    const p = seg.listPrev(s);
    const x = seg.listNext(s);
    if (p === NIL) this.heads[i] = x;
    else seg.setListNext(p, x);
    if (x !== NIL) seg.setListPrev(x, p);
    if (this.heads[i] === NIL) {
      if (i < 32) this.mapLo &= ~(1 << i);
      else this.mapHi &= ~(1 << (i - 32));
    }
    seg.setList(s, -1);
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

  /** Takes [p, p + size - 1] out of free segment s; the pieces around it go back to the lists. */
  private carve(s: number, p: number, size: number): void {
    this.removeFree(s);
    const seg = this.seg;
    const a = seg.start(s);
    const e = a + seg.size(s) - 1;
    if (p > a) {
      const low = seg.create(a, p - a, SEG_FREE);
      seg.linkBefore(low, s);
      this.insertFree(low);
    }
    if (p + size - 1 < e) {
      const high = seg.create(p + size, e - (p + size - 1), SEG_FREE);
      seg.linkAfter(high, s);
      this.insertFree(high);
    }
    seg.setStart(s, p);
    seg.setSize(s, size);
    seg.markAllocated(s, size);
  }

  // ---- IovaAllocator ----

  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    checkSize(this.name, size);
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

  freeIova(pfn: number): boolean {
    const seg = this.seg;
    const s = seg.find(pfn);
    if (s === NIL || seg.state(s) !== SEG_ALLOC) return false;
    seg.markFree(s);
    const p = seg.prev(s);
    if (p !== NIL && seg.state(p) === SEG_FREE) {
      this.removeFree(p);
      seg.setStart(s, seg.start(p));
      seg.setSize(s, seg.size(s) + seg.size(p));
      seg.unlink(p);
      seg.release(p);
    }
    const x = seg.next(s);
    if (x !== NIL && seg.state(x) === SEG_FREE) {
      this.removeFree(x);
      seg.setSize(s, seg.size(s) + seg.size(x));
      seg.unlink(x);
      seg.release(x);
    }
    this.insertFree(s);
    return true;
  }

  reserveIova(pfnLo: number, pfnHi: number): boolean {
    if (!(pfnLo <= pfnHi)) return false;
    const lo = pfnLo < this.startPfn ? this.startPfn : pfnLo;
    const hi = pfnHi > this.endPfn ? this.endPfn : pfnHi;
    if (lo > hi) return true;
    const seg = this.seg;
    if (seg.overlapsLive(lo, hi)) return false;
    for (let s = seg.head; s !== NIL && seg.start(s) <= hi; s = seg.next(s)) {
      const a = seg.start(s);
      const e = a + seg.size(s) - 1;
      if (seg.state(s) !== SEG_FREE || e < lo) continue;
      const ra = a > lo ? a : lo;
      const rb = e < hi ? e : hi;
      this.removeFree(s);
      if (ra > a) {
        const low = seg.create(a, ra - a, SEG_FREE);
        seg.linkBefore(low, s);
        this.insertFree(low);
      }
      if (rb < e) {
        const high = seg.create(rb + 1, e - rb, SEG_FREE);
        seg.linkAfter(high, s);
        this.insertFree(high);
      }
      seg.setStart(s, ra);
      seg.setSize(s, rb - ra + 1);
      seg.setState(s, SEG_RESERVED);
    }
    return true;
  }

  findIova(pfn: number): IovaRange<number> | null {
    return this.seg.findRange(pfn);
  }

  stats(endPfn: number): AllocatorStats {
    return this.seg.stats(this.startPfn, Math.min(endPfn, this.endPfn), this.dma32BitPfn, this.searchSteps);
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
