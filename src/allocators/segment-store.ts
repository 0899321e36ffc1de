/**
 * Boundary tags kept outside the managed space, shared by the vmem and TLSF allocators.
 *
 * Both allocators describe the space as segments (vmem's term; TLSF says blocks) that tile
 * [startPfn, endPfn] in address order: free, allocated or reserved. A memory allocator keeps the tags
 * in the memory it manages; IOVA space holds nothing, so the tags are records here: start, size and
 * state, the links to the address neighbours (the boundary tags proper, which make coalescing O(1)),
 * two link fields and a list number for the owning allocator's free lists (pushList, pullList), and
 * a hash from the start pfn of every allocated segment to its record (vmem's allocated-segment hash
 * table), which makes a free by start pfn O(1). A free or lookup by a pfn inside a segment, which the DMA layer
 * never does, has no index to use and walks the segments in address order: O(segments).
 *
 * Layout: one Float64Array, eight numbers (64 bytes) per record, so that touching a record costs one
 * or two cache lines rather than one per field; with a million live segments that is what keeps an
 * operation's cost close to flat. Reserving and occupancy figures walk the address list (rare).
 */
import type { AllocatorStats, IovaRange } from './allocator.js';
import { FreeRunAccumulator } from './free-runs.js';
import { PfnIndexMap } from './pfn-index-map.js';
import { growFloat64 } from './typed-pool.js';

export const NIL = 0;
export const SEG_FREE = 0;
export const SEG_ALLOC = 1;
export const SEG_RESERVED = 2;

const STRIDE = 8;
const START = 0;
const SIZE = 1;
const ASKED = 2;
const PREV = 3;
const NEXT = 4;
const LIST_PREV = 5;
const LIST_NEXT = 6;
/** state + 4 * (list + 1) */
const META = 7;

export class SegmentStore {
  private rec = new Float64Array(0);
  /** Lowest segment. */
  head = NIL;
  readonly byStart = new PfnIndexMap(1024);
  liveRanges = 0;
  askedGranules = 0;
  grantedGranules = 0;
  private capacity = 0;
  private used = 1;
  private freeRecords = NIL;

  constructor() {
    this.grow(256);
  }

  private grow(capacity: number): void {
    this.rec = growFloat64(this.rec, capacity * STRIDE);
    this.capacity = capacity;
  }

  start(s: number): number {
    return this.rec[s * STRIDE + START];
  }
  setStart(s: number, v: number): void {
    this.rec[s * STRIDE + START] = v;
  }
  size(s: number): number {
    return this.rec[s * STRIDE + SIZE];
  }
  setSize(s: number, v: number): void {
    this.rec[s * STRIDE + SIZE] = v;
  }
  prev(s: number): number {
    return this.rec[s * STRIDE + PREV];
  }
  next(s: number): number {
    return this.rec[s * STRIDE + NEXT];
  }
  listPrev(s: number): number {
    return this.rec[s * STRIDE + LIST_PREV];
  }
  setListPrev(s: number, v: number): void {
    this.rec[s * STRIDE + LIST_PREV] = v;
  }
  listNext(s: number): number {
    return this.rec[s * STRIDE + LIST_NEXT];
  }
  setListNext(s: number, v: number): void {
    this.rec[s * STRIDE + LIST_NEXT] = v;
  }
  state(s: number): number {
    return this.rec[s * STRIDE + META] & 3;
  }
  setState(s: number, state: number): void {
    const i = s * STRIDE + META;
    this.rec[i] = this.rec[i] - (this.rec[i] & 3) + state;
  }
  /** The free-list number the owner put the segment on, or -1. */
  list(s: number): number {
    return (this.rec[s * STRIDE + META] >> 2) - 1;
  }
  setList(s: number, list: number): void {
    const i = s * STRIDE + META;
    this.rec[i] = (this.rec[i] & 3) + 4 * (list + 1);
  }

  /** Pushes segment s on free list i (heads[i] is its first segment); true when the list was empty. */
  pushList(heads: Int32Array, i: number, s: number): boolean {
    const h = heads[i];
    this.setList(s, i);
    this.setListPrev(s, NIL);
    this.setListNext(s, h);
    heads[i] = s;
    if (h === NIL) return true;
    this.setListPrev(h, s);
    return false;
  }

  /** Takes segment s off the free list it is on; the list's number (heads[i] is NIL if it is now empty). */
  pullList(heads: Int32Array, s: number): number {
    const i = this.list(s);
    const p = this.listPrev(s);
    const x = this.listNext(s);
    if (p === NIL) heads[i] = x;
    else this.setListNext(p, x);
    if (x !== NIL) this.setListPrev(x, p);
    this.setList(s, -1);
    return i;
  }

  /** A new unlinked record. */
  create(start: number, size: number, state: number): number {
    let s = this.freeRecords;
    if (s !== NIL) this.freeRecords = this.rec[s * STRIDE + NEXT];
    else {
      if (this.used === this.capacity) this.grow(this.capacity * 2);
      s = this.used++;
    }
    const rec = this.rec;
    const b = s * STRIDE;
    rec[b + START] = start;
    rec[b + SIZE] = size;
    rec[b + ASKED] = 0;
    rec[b + PREV] = NIL;
    rec[b + NEXT] = NIL;
    rec[b + LIST_PREV] = NIL;
    rec[b + LIST_NEXT] = NIL;
    rec[b + META] = state;
    return s;
  }

  release(s: number): void {
    this.rec[s * STRIDE + NEXT] = this.freeRecords;
    this.freeRecords = s;
  }

  /** Links new record n just below segment at in address order. */
  linkBefore(n: number, at: number): void {
    const rec = this.rec;
    const p = rec[at * STRIDE + PREV];
    rec[n * STRIDE + PREV] = p;
    rec[n * STRIDE + NEXT] = at;
    rec[at * STRIDE + PREV] = n;
    if (p === NIL) this.head = n;
    else rec[p * STRIDE + NEXT] = n;
  }

  /** Links new record n just above segment at in address order. */
  linkAfter(n: number, at: number): void {
    const rec = this.rec;
    const x = rec[at * STRIDE + NEXT];
    rec[n * STRIDE + NEXT] = x;
    rec[n * STRIDE + PREV] = at;
    rec[at * STRIDE + NEXT] = n;
    if (x !== NIL) rec[x * STRIDE + PREV] = n;
  }

  unlink(s: number): void {
    const rec = this.rec;
    const p = rec[s * STRIDE + PREV];
    const x = rec[s * STRIDE + NEXT];
    if (p === NIL) this.head = x;
    else rec[p * STRIDE + NEXT] = x;
    if (x !== NIL) rec[x * STRIDE + PREV] = p;
  }

  /** Marks segment s allocated (asked granules of it) and indexes it by start. */
  markAllocated(s: number, asked: number): void {
    const b = s * STRIDE;
    this.setState(s, SEG_ALLOC);
    this.rec[b + ASKED] = asked;
    this.byStart.set(this.rec[b + START], s);
    this.liveRanges++;
    this.askedGranules += asked;
    this.grantedGranules += this.rec[b + SIZE];
  }

  /** Marks allocated segment s free and drops it from the index. */
  markFree(s: number): void {
    const b = s * STRIDE;
    this.byStart.delete(this.rec[b + START]);
    this.setState(s, SEG_FREE);
    this.liveRanges--;
    this.askedGranules -= this.rec[b + ASKED];
    this.grantedGranules -= this.rec[b + SIZE];
  }

  /** The segment holding pfn: the hash for a start pfn, else a walk in address order. NIL if none. */
  find(pfn: number): number {
    const s = this.byStart.get(pfn);
    if (s >= 0) return s;
    return this.walkTo(pfn);
  }

  /** The segment holding pfn by an address-order walk, NIL if none. */
  walkTo(pfn: number): number {
    for (let s = this.head; s !== NIL; s = this.next(s)) {
      if (pfn < this.start(s)) return NIL;
      if (pfn < this.start(s) + this.size(s)) return s;
    }
    return NIL;
  }

  findRange(pfn: number): IovaRange<number> | null {
    const s = this.find(pfn);
    if (s === NIL || this.state(s) !== SEG_ALLOC) return null;
    return { pfnLo: this.start(s), pfnHi: this.start(s) + this.size(s) - 1 };
  }

  /** Whether any allocated segment overlaps [lo, hi]. */
  overlapsLive(lo: number, hi: number): boolean {
    for (let s = this.head; s !== NIL; s = this.next(s)) {
      const a = this.start(s);
      if (a > hi) break;
      if (this.state(s) === SEG_ALLOC && a + this.size(s) - 1 >= lo) return true;
    }
    return false;
  }

  stats(windowLo: number, windowHi: number, dma32BitPfn: number, searchSteps: number): AllocatorStats {
    const acc = new FreeRunAccumulator(windowLo, windowHi, dma32BitPfn);
    for (let s = this.head; s !== NIL; s = this.next(s)) {
      if (this.state(s) === SEG_FREE) acc.add(this.start(s), this.start(s) + this.size(s) - 1);
    }
    return acc.finish(this.liveRanges, searchSteps);
  }

  /** Checks tiling and that no two free segments touch (for tests). */
  checkTiling(startPfn: number, endPfn: number): void {
    let expected = startPfn;
    let prevState = -1;
    let prev = NIL;
    for (let s = this.head; s !== NIL; s = this.next(s)) {
      if (this.prev(s) !== prev) throw new Error('segments: bad prev link');
      if (this.start(s) !== expected || this.size(s) < 1) throw new Error(`segments: gap or overlap at ${expected}`);
      if (this.state(s) === SEG_FREE && prevState === SEG_FREE) throw new Error(`segments: uncoalesced free segments at ${expected}`);
      if (this.state(s) === SEG_ALLOC && this.byStart.get(this.start(s)) !== s) throw new Error('segments: allocated segment not indexed');
      expected += this.size(s);
      prevState = this.state(s);
      prev = s;
    }
    if (expected !== endPfn + 1) throw new Error('segments: do not reach endPfn');
  }
}
