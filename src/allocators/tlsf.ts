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
 *     any remainder of one granule or more is split off and returned. Splitting, freeing with
 *     coalescing, reserving, findIova and stats are shared with vmem (./segment-allocator.ts); this
 *     file is the two-level index and the search.
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
import { checkSize } from './free-runs.js';
import { SegmentListAllocator } from './segment-allocator.js';
import { NIL, SEG_FREE } from './segment-store.js';
import { alignUp, ceilLog2, ctz32, fls } from './typed-pool.js';
import { argumentError } from './arguments.js';

/** log2 of the second-level lists per first level. */
const SLI = 5;
const SL_COUNT = 1 << SLI;
/** First levels: 0 for sizes below 32, then fl = floor(log2 size) - SLI + 1, sizes below 2^53. */
const FL_COUNT = 49;
/** POW2[k] = 2^k, k = 0..63. */
const POW2 = new Float64Array(64).map((_, k) => 2 ** k);

export class TlsfAllocator extends SegmentListAllocator {
  private readonly heads = new Int32Array(FL_COUNT * SL_COUNT);
  private readonly slMap = new Int32Array(FL_COUNT);
  /** Non-empty first levels: bit fl of flLo for fl < 32, bit fl - 32 of flHi. */
  private flLo = 0;
  private flHi = 0;
  /** Output of mapping(): first and second level. */
  private mFl = 0;
  private mSl = 0;

  constructor(granule: number, startPfn: number, endPfn: number) {
    super('tlsf', granule, startPfn, endPfn);
    this.insertFree(this.seg.head);
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

  protected override insertFree(s: number): void {
    this.mapping(this.seg.size(s));
    const fl = this.mFl;
    if (this.seg.pushList(this.heads, fl * SL_COUNT + this.mSl, s)) {
      this.slMap[fl] |= 1 << this.mSl;
      if (fl < 32) this.flLo |= 1 << fl;
      else this.flHi |= 1 << (fl - 32);
    }
  }

  protected override removeFree(s: number): void {
    const i = this.seg.pullList(this.heads, s);
    if (this.heads[i] === NIL) {
      const fl = (i / SL_COUNT) | 0;
      this.slMap[fl] &= ~(1 << (i & (SL_COUNT - 1)));
      if (this.slMap[fl] === 0) {
        if (fl < 32) this.flLo &= ~(1 << fl);
        else this.flHi &= ~(1 << (fl - 32));
      }
    }
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

  // ---- IovaAllocator ----

  override allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    checkSize(this.name, size);
    if (typeof limitPfn !== 'number') throw argumentError(this.name, 'limitPfn', limitPfn, 'number');
    if (typeof sizeAligned !== 'boolean') throw argumentError(this.name, 'sizeAligned', sizeAligned, 'boolean');
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
