/**
 * A scatter-gather list (struct scatterlist, include/linux/scatterlist.h) laid out as parallel typed
 * arrays so one list can be filled, mapped and unmapped again and again without allocating.
 *
 * Per entry: the CPU side (`phys` = sg_phys(s), i.e. page address + offset, and `length`) and the DMA
 * side filled by dma_map_sg (`dmaAddress`, `dmaLength`; sg_dma_address()/sg_dma_len()). As in the
 * kernel, dma_map_sg may return fewer DMA segments than entries: entries past the returned count have
 * dmaLength 0. `iovaLength` keeps each entry's granule-aligned IOVA footprint (what
 * iommu_dma_map_sg() temporarily stores in s->length), including boundary padding.
 *
 * The five arrays are views of one ArrayBuffer, one after the other: a list costs one buffer (one
 * backing store for the garbage collector to track) instead of five, and a short list's columns sit
 * in a few adjacent cache lines.
 */
/** Columns per entry: phys, length, dmaAddress, dmaLength, iovaLength. */
const COLUMNS = 5;

export class ScatterList {
  nents = 0;
  phys: Float64Array;
  length: Float64Array;
  dmaAddress: Float64Array;
  dmaLength: Float64Array;
  iovaLength: Float64Array;
  /** What the last dma_map_sg() returned: DMA segments, or 0 when the mapping failed. */
  mappedCount = 0;
  /** IOVA of the last mapping and its size in bytes (iova_len, padding included); 0 if none. */
  iova = 0;
  iovaBytes = 0;

  constructor(capacity = 128) {
    const buffer = new ArrayBuffer(COLUMNS * 8 * capacity);
    this.phys = new Float64Array(buffer, 0, capacity);
    this.length = new Float64Array(buffer, 8 * capacity, capacity);
    this.dmaAddress = new Float64Array(buffer, 16 * capacity, capacity);
    this.dmaLength = new Float64Array(buffer, 24 * capacity, capacity);
    this.iovaLength = new Float64Array(buffer, 32 * capacity, capacity);
  }

  get capacity(): number {
    return this.phys.length;
  }

  /** Empties the list (keeps its storage). */
  clear(): void {
    this.nents = 0;
    this.mappedCount = 0;
    this.iova = 0;
    this.iovaBytes = 0;
  }

  /** Appends one entry: `length` bytes of physically contiguous memory at `phys`. */
  add(phys: number, length: number): void {
    if (this.nents === this.phys.length) this.grow(Math.max(4, this.nents * 2));
    this.set(this.nents++, phys, length);
  }

  /**
   * Writes entry `i` as add() does, without touching `nents` or growing: for a caller that reserved
   * the room and counts the entries itself (blk_rq_map_sg's loop, ../block/rq-map-sg.ts).
   */
  set(i: number, phys: number, length: number): void {
    this.phys[i] = phys;
    this.length[i] = length;
    this.dmaAddress[i] = 0;
    this.dmaLength[i] = 0;
    this.iovaLength[i] = 0;
  }

  /** Room for `capacity` entries without growing (keeps the entries). */
  reserve(capacity: number): void {
    if (capacity > this.phys.length) this.grow(Math.max(capacity, 2 * this.phys.length));
  }

  private grow(capacity: number): void {
    const buffer = new ArrayBuffer(COLUMNS * 8 * capacity);
    const copy = (column: number, a: Float64Array): Float64Array => {
      const b = new Float64Array(buffer, column * 8 * capacity, capacity);
      b.set(a);
      return b;
    };
    this.phys = copy(0, this.phys);
    this.length = copy(1, this.length);
    this.dmaAddress = copy(2, this.dmaAddress);
    this.dmaLength = copy(3, this.dmaLength);
    this.iovaLength = copy(4, this.iovaLength);
  }

  /** Total CPU-side bytes. */
  totalBytes(): number {
    let sum = 0;
    for (let i = 0; i < this.nents; i++) sum += this.length[i];
    return sum;
  }
}

/**
 * Reusable scatterlists for requests in flight: acquire() one per request at map time, release() it
 * after the unmap. Lists keep their grown capacity, so a steady workload stops allocating.
 */
export class ScatterListPool {
  private readonly free: ScatterList[] = [];

  constructor(private readonly initialCapacity = 128) {}

  acquire(): ScatterList {
    const sg = this.free.pop() ?? new ScatterList(this.initialCapacity);
    sg.clear();
    return sg;
  }

  release(sg: ScatterList): void {
    this.free.push(sg);
  }

  /** Lists waiting to be reused. */
  get idle(): number {
    return this.free.length;
  }
}
