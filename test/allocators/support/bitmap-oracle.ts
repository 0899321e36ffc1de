/**
 * The test oracle for IOVA allocators: one byte per granule of a small domain, and answers computed
 * by brute force (scans), independent of every allocator's data structures.
 */
export const FREE = 0;
export const LIVE = 1;
export const RESERVED = 2;

export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export interface OracleStats {
  freeGranules: number;
  largestFreeBlock: number;
  largestFreeBlockBelow32: number;
}

export class BitmapOracle {
  readonly cells: Uint8Array;
  /** Live ranges by start pfn: granted end and asked size. */
  readonly live = new Map<number, { hi: number; asked: number }>();
  private readonly runUp: Int32Array;

  constructor(
    readonly startPfn: number,
    readonly endPfn: number,
    readonly dma32BitPfn: number,
  ) {
    this.cells = new Uint8Array(endPfn - startPfn + 1);
    this.runUp = new Int32Array(endPfn - startPfn + 2);
  }

  state(pfn: number): number {
    return this.cells[pfn - this.startPfn];
  }

  /** Whether every granule of [lo, hi] is inside the domain and free. */
  isFree(lo: number, hi: number): boolean {
    if (lo < this.startPfn || hi > this.endPfn || lo > hi) return false;
    for (let p = lo; p <= hi; p++) if (this.cells[p - this.startPfn] !== FREE) return false;
    return true;
  }

  overlapsLive(lo: number, hi: number): boolean {
    const a = Math.max(lo, this.startPfn);
    const b = Math.min(hi, this.endPfn);
    for (let p = a; p <= b; p++) if (this.cells[p - this.startPfn] === LIVE) return true;
    return false;
  }

  allocate(lo: number, hi: number, asked: number): void {
    for (let p = lo; p <= hi; p++) this.cells[p - this.startPfn] = LIVE;
    this.live.set(lo, { hi, asked });
  }

  release(lo: number): void {
    const range = this.live.get(lo);
    if (range === undefined) throw new Error(`oracle: no live range at ${lo}`);
    for (let p = lo; p <= range.hi; p++) this.cells[p - this.startPfn] = FREE;
    this.live.delete(lo);
  }

  /** The live range holding pfn, as its start, or -1. */
  liveStartOf(pfn: number): number {
    if (pfn < this.startPfn || pfn > this.endPfn || this.state(pfn) !== LIVE) return -1;
    for (const [lo, range] of this.live) if (lo <= pfn && pfn <= range.hi) return lo;
    return -1;
  }

  /** Marks the free granules of [lo, hi] (clipped to the domain) reserved. */
  reserve(lo: number, hi: number): void {
    const a = Math.max(lo, this.startPfn);
    const b = Math.min(hi, this.endPfn);
    for (let p = a; p <= b; p++) if (this.cells[p - this.startPfn] === FREE) this.cells[p - this.startPfn] = RESERVED;
  }

  /**
   * Plain top-down first fit from the limit: the highest p, a multiple of roundup_pow_of_two(size)
   * when aligned, with [p, p + size - 1] free and inside [startPfn, min(limit, endPfn)]; null if none.
   */
  topDownFit(size: number, limitPfn: number, aligned: boolean): number | null {
    const limit = Math.min(limitPfn, this.endPfn);
    const align = aligned ? roundupPow2(size) : 1;
    const n = this.cells.length;
    const runUp = this.runUp;
    runUp[n] = 0;
    for (let i = n - 1; i >= 0; i--) runUp[i] = this.cells[i] === FREE ? runUp[i + 1] + 1 : 0;
    for (let p = Math.floor((limit - size + 1) / align) * align; p >= this.startPfn; p -= align) {
      if (runUp[p - this.startPfn] >= size) return p;
    }
    return null;
  }

  stats(endPfn: number): OracleStats {
    const end = Math.min(endPfn, this.endPfn);
    let free = 0;
    let largest = 0;
    let largest32 = 0;
    let run = 0;
    let run32 = 0;
    for (let p = this.startPfn; p <= end; p++) {
      if (this.cells[p - this.startPfn] === FREE) {
        free++;
        run++;
        if (p < this.dma32BitPfn) run32++;
        if (run > largest) largest = run;
        if (run32 > largest32) largest32 = run32;
      } else {
        run = 0;
        run32 = 0;
      }
    }
    return { freeGranules: free, largestFreeBlock: largest, largestFreeBlockBelow32: largest32 };
  }

  askedGranules(): number {
    let sum = 0;
    for (const range of this.live.values()) sum += range.asked;
    return sum;
  }

  grantedGranules(): number {
    let sum = 0;
    for (const [lo, range] of this.live) sum += range.hi - lo + 1;
    return sum;
  }
}
