/**
 * What the vmem and TLSF allocators share: both tile [startPfn, endPfn] with boundary-tag segments
 * (./segment-store.ts) and keep the free ones on segregated lists; they differ only in how the lists
 * are indexed and searched. This base class holds the domain figures, the segment store and every
 * operation that does not search the lists: splitting a segment (carve, reserve), free with O(1)
 * coalescing, findIova and stats. A subclass supplies the list index (insertFree/removeFree) and
 * allocIova, and puts the initial free segment (seg.head) on its lists once its own fields exist.
 *
 * Shared semantics: granted = asked; reserveIova refuses (false) a range overlapping a live
 * allocation, else reserves its free granules within [startPfn, endPfn]; reserved granules are never
 * handed out or freed and are not ranges for findIova. freeIova/findIova take any pfn of the range,
 * O(1) for its start pfn (what the DMA layer and the rcache pass), O(segments) for any other.
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from './allocator.js';
import { checkDomain } from './free-runs.js';
import { NIL, SEG_ALLOC, SEG_FREE, SEG_RESERVED, SegmentStore } from './segment-store.js';
import { argumentError } from './arguments.js';

export abstract class SegmentListAllocator implements IovaAllocator<number> {
  readonly name: string;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  searchSteps = 0;
  protected readonly seg = new SegmentStore();

  /** Checks the domain and creates the one free segment that tiles it (seg.head), not yet listed. */
  protected constructor(name: string, granule: number, startPfn: number, endPfn: number) {
    checkDomain(name, granule, startPfn, endPfn);
    this.name = name;
    this.granule = granule;
    this.startPfn = startPfn;
    this.endPfn = endPfn;
    this.dma32BitPfn = 2 ** (32 - (31 - Math.clz32(granule)));
    this.seg.head = this.seg.create(startPfn, endPfn - startPfn + 1, SEG_FREE);
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

  /** Puts free segment s on the free list its size belongs to. */
  protected abstract insertFree(s: number): void;
  /** Takes free segment s off its free list. */
  protected abstract removeFree(s: number): void;

  /**
   * Takes free segment s off the lists and shrinks it to [lo, hi] (within it); the pieces on either
   * side become free segments of their own, on the lists. The caller sets s's new state.
   */
  private isolate(s: number, lo: number, hi: number): void {
    this.removeFree(s);
    const seg = this.seg;
    const a = seg.start(s);
    const e = a + seg.size(s) - 1;
    if (lo > a) {
      const low = seg.create(a, lo - a, SEG_FREE);
      seg.linkBefore(low, s);
      this.insertFree(low);
    }
    if (hi < e) {
      const high = seg.create(hi + 1, e - hi, SEG_FREE);
      seg.linkAfter(high, s);
      this.insertFree(high);
    }
    seg.setStart(s, lo);
    seg.setSize(s, hi - lo + 1);
  }

  /** Allocates [p, p + size - 1] out of free segment s; the slack on either side goes back to the lists. */
  protected carve(s: number, p: number, size: number): void {
    this.isolate(s, p, p + size - 1);
    this.seg.markAllocated(s, size);
  }

  abstract allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null;

  freeIova(pfn: number): boolean {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
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
    if (typeof pfnLo !== 'number') throw argumentError(this.name, 'pfnLo', pfnLo, 'number');
    if (typeof pfnHi !== 'number') throw argumentError(this.name, 'pfnHi', pfnHi, 'number');
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
      this.isolate(s, a > lo ? a : lo, e < hi ? e : hi);
      seg.setState(s, SEG_RESERVED);
    }
    return true;
  }

  findIova(pfn: number): IovaRange<number> | null {
    if (typeof pfn !== 'number') throw argumentError(this.name, 'pfn', pfn, 'number');
    return this.seg.findRange(pfn);
  }

  stats(endPfn: number): AllocatorStats {
    if (typeof endPfn !== 'number') throw argumentError(this.name, 'endPfn', endPfn, 'number');
    return this.seg.stats(this.startPfn, Math.min(endPfn, this.endPfn), this.dma32BitPfn, this.searchSteps);
  }
}
