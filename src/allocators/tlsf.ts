/**
 * TLSF: two-level segregated fit with the block headers kept outside the managed space.
 *
 * Source. Masmano, Ripoll, Crespo & Real, "TLSF: a New Dynamic Memory Allocator for Real-Time
 * Systems", ECRTS 2004. The free blocks are segregated by size into a two-level table of lists: the
 * first level by the power of two of the size (fl = floor(log2 size)), the second by a linear split of
 * that power-of-two range into 2^SLI equal parts (sl). A bitmap over first levels and one per first
 * level over second levels make finding a non-empty list two find-first-set operations: malloc and
 * free are O(1) with a small constant, whatever the state, which is TLSF's whole point.
 *
 * Design.
 *   - SLI = 5: 32 lists per power of two, so a list spans at most 1/32 of its sizes (sizes below 32
 *     granules get one exact list each, fl = 0, sl = size).
 *   - Good fit: mapping_search() rounds the request up to the next list boundary before indexing
 *     (size + 2^(fl - SLI) - 1), so every block of the list found is big enough and the block at its
 *     head is taken without looking further. What it costs: a block in the request's own list that
 *     would fit is ignored, so TLSF can fail while such a block exists (a false failure, counted by
 *     the fragmentation metrics), and picks blocks up to ~3% (1/32) larger than best fit would.
 *   - Metadata outside the space: IOVA space cannot hold TLSF's in-block headers and footers, so the
 *     headers are records (./segment-store.ts): address-order links replace the physical neighbour
 *     pointers and footers, and a hash table from start pfn to record replaces "header just before
 *     the pointer" for free. Because no header is carved from the space, blocks have no minimum size:
 *     any remainder of one granule or more is split off and returned.
 *   - Alignment by over-asking and trimming: a size-aligned request of s granules (A =
 *     roundup_pow_of_two(s)) asks for s + A - 1, places the range at the first A-aligned pfn of the
 *     block found, and returns the leading and trailing slack to the lists.
 *   - Limits: TLSF has no notion of address. A request whose limit is below endPfn scans the lists
 *     from the same (rounded-up) index upward, block by block, for one whose first aligned position
 *     ends at or below the limit: O(free blocks) in the worst case. The common DMA cases (a 64-bit
 *     limit; a 32-bit limit whose lists hold blocks below 4 GiB first) stay cheap.
 *   - Placement: the lowest aligned position of the block (TLSF carves from the block start); lists
 *     are LIFO.
 * searchSteps counts bitmap words and list entries examined by allocation searches.
 *
 * Shared semantics: granted = asked; reserveIova refuses (false) a range overlapping a live
 * allocation, else reserves its free granules within [startPfn, endPfn]; reserved granules are never
 * handed out or freed and are not ranges for findIova. freeIova/findIova take any pfn of the range,
 * O(1) for its start pfn (what the DMA layer and the rcache pass), O(blocks) for any other.
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import { checkDomain, checkSize } from './free-runs.js';
import { NIL, SEG_ALLOC, SEG_FREE, SEG_RESERVED, SegmentStore } from './segment-store.js';
import { alignUp, ceilLog2, ctz32, fls } from './typed-pool.js';

/** log2 of the second-level lists per first level. */
const SLI = 5;
const SL_COUNT = 1 << SLI;
/** First levels: 0 for sizes below 32, then fl = floor(log2 size) - SLI + 1, sizes below 2^53. */
const FL_COUNT = 49;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class TlsfAllocator implements IovaAllocator<number> {
  readonly name: string = 'tlsf';
  readonly startPfn: number;
  readonly endPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  searchSteps = 0;
  private readonly seg = new SegmentStore();
  private readonly heads = new Int32Array(FL_COUNT * SL_COUNT);
  private readonly slMap = new Int32Array(FL_COUNT);
  /** Non-empty first levels: bit fl of flLo for fl < 32, bit fl - 32 of flHi. */
  private flLo = 0;
  private flHi = 0;
  /** Output of mapping(): first and second level. */
  private mFl = 0;
  private mSl = 0;

  constructor(granule: number, startPfn: number, endPfn: number) {
    checkDomain('tlsf', granule, startPfn, endPfn);
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

  // ---- two-level index ----

  /** mapping_insert(): the list a block of `size` granules belongs on. */
  private mapping(size: number): void {
    if (size < SL_COUNT) {
      this.mFl = 0;
      this.mSl = size;
      return;
    }
    const f = fls(size) - 1;
    this.mFl = f - SLI + 1;
    this.mSl = Math.floor(size / POW2[f - SLI]) - SL_COUNT;
  }

  /** mapping_search(): the first list all of whose blocks hold `size` granules. */
  private mappingSearch(size: number): void {
    this.mapping(size < SL_COUNT ? size : size + POW2[fls(size) - 1 - SLI] - 1);
  }

  private insertFree(s: number): void {
    const seg = this.seg;
    this.mapping(seg.size(s));
    const fl = this.mFl;
    const i = fl * SL_COUNT + this.mSl;
    const h = this.heads[i];
    seg.setList(s, i);
    seg.setListPrev(s, NIL);
    seg.setListNext(s, h);
    if (h !== NIL) seg.setListPrev(h, s);
    else {
      this.slMap[fl] |= 1 << this.mSl;
      if (fl < 32) this.flLo |= 1 << fl;
      else this.flHi |= 1 << (fl - 32);
    }
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
      const fl = (i / SL_COUNT) | 0;
      this.slMap[fl] &= ~(1 << (i & (SL_COUNT - 1)));
      if (this.slMap[fl] === 0) {
        if (fl < 32) this.flLo &= ~(1 << fl);
        else this.flHi &= ~(1 << (fl - 32));
      }
    }
    seg.setList(s, -1);
  }

  /** The lowest non-empty first level >= fl, or -1. */
  private nextFl(fl: number): number {
    if (fl < 32) {
      this.searchSteps++;
      const m = fl === 0 ? this.flLo : this.flLo & ~((1 << fl) - 1);
      if (m !== 0) return ctz32(m);
      fl = 32;
    }
    if (fl >= FL_COUNT) return -1;
    this.searchSteps++;
    const m = this.flHi & ~((1 << (fl - 32)) - 1);
    return m !== 0 ? 32 + ctz32(m) : -1;
  }

  /** The lowest non-empty list at or after (fl, sl) in index order, or -1 (find_suitable_block()). */
  private nextList(fl: number, sl: number): number {
    if (fl >= FL_COUNT) return -1;
    this.searchSteps++;
    const m = sl === 0 ? this.slMap[fl] : this.slMap[fl] & ~((1 << sl) - 1);
    if (m !== 0) return fl * SL_COUNT + ctz32(m);
    const f = this.nextFl(fl + 1);
    if (f < 0) return -1;
    this.searchSteps++;
    return f * SL_COUNT + ctz32(this.slMap[f]);
  }

  /** Takes [p, p + size - 1] out of free block s; the slack on either side goes back to the lists. */
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
    this.mappingSearch(size + align - 1);
    const seg = this.seg;
    if (limit >= this.endPfn) {
      // Good fit: the head of the first non-empty list at or above the rounded-up index.
      const i = this.nextList(this.mFl, this.mSl);
      if (i < 0) return null;
      const s = this.heads[i];
      this.searchSteps++;
      const p = alignUp(seg.start(s), align);
      this.carve(s, p, size);
      return p;
    }
    // Constrained: the same lists, every block, until one holds an aligned fit below the limit.
    for (let i = this.nextList(this.mFl, this.mSl); i >= 0; ) {
      for (let s = this.heads[i]; s !== NIL; s = seg.listNext(s)) {
        this.searchSteps++;
        const p = alignUp(seg.start(s), align);
        if (p + size - 1 <= limit) {
          this.carve(s, p, size);
          return p;
        }
      }
      const fl = (i / SL_COUNT) | 0;
      const sl = i & (SL_COUNT - 1);
      i = sl + 1 < SL_COUNT ? this.nextList(fl, sl + 1) : this.nextList(fl + 1, 0);
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

  /** Checks tiling, coalescing and the two-level index against the lists (for tests). */
  checkInvariants(): void {
    const seg = this.seg;
    seg.checkTiling(this.startPfn, this.endPfn);
    let freeBlocks = 0;
    for (let s = seg.head; s !== NIL; s = seg.next(s)) if (seg.state(s) === SEG_FREE) freeBlocks++;
    let listed = 0;
    for (let fl = 0; fl < FL_COUNT; fl++) {
      let anyInFl = false;
      for (let sl = 0; sl < SL_COUNT; sl++) {
        const i = fl * SL_COUNT + sl;
        const bit = (this.slMap[fl] >>> sl) & 1;
        if ((this.heads[i] !== NIL ? 1 : 0) !== bit) throw new Error(`tlsf: second-level bitmap disagrees with list (${fl}, ${sl})`);
        if (bit) anyInFl = true;
        for (let s = this.heads[i]; s !== NIL; s = seg.listNext(s)) {
          this.mapping(seg.size(s));
          if (seg.state(s) !== SEG_FREE || this.mFl !== fl || this.mSl !== sl) throw new Error(`tlsf: block on the wrong list (${fl}, ${sl})`);
          listed++;
        }
      }
      const flBit = fl < 32 ? (this.flLo >>> fl) & 1 : (this.flHi >>> (fl - 32)) & 1;
      if ((anyInFl ? 1 : 0) !== flBit) throw new Error(`tlsf: first-level bitmap disagrees at ${fl}`);
    }
    if (listed !== freeBlocks) throw new Error('tlsf: free blocks missing from the lists');
  }
}
