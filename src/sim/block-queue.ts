/**
 * The block layer of a simulated disk: how an I/O becomes requests, through the same code as
 * `iovasim limits` (src/block/): the direct-I/O bios of the user buffer (buildDioBios), split to the
 * queue limits (bioSplitToLimits: max_sectors, max_segments, max_segment_size, boundaries), merged
 * into the CPU's newest queued request when they continue it (tryMerge, blk-mq's software-queue
 * merge: blk_mq_sched_bio_merge() -> blk_bio_list_merge(), which tries requests not yet dispatched),
 * and at dispatch turned into a scatterlist (blkRqMapSg).
 *
 * Requests wait per disk in submission order until the disk and host have room; so bios merge exactly
 * when the disk is saturated, as in blk-mq. A request can only grow while it waits, and only from
 * the CPU that queued it (each CPU has its own software queue).
 *
 * Buffers are ordinary anonymous memory: every page its own physical chunk (`iovasim limits
 * --contig page`). Bios and bvecs being built come from a pool and go back at once: a request keeps
 * copies in bios of its own, which it reuses (a request's bios sit together in memory, which matters
 * when thousands of I/Os are in flight); requests and their scatterlists are pooled too, so a steady
 * run allocates nothing per I/O.
 */
import { BIO_MAX_VECS, bioSplitToLimits, buildDioBios, type Bio, type BioBuilder, type Bvec } from '../block/bio-split.js';
import type { QueueLimits } from '../block/queue-limits.js';
import { tryMerge, type BlkRequest } from '../block/request-merge.js';
import { blkRqMapSg } from '../block/rq-map-sg.js';
import { ScatterList } from '../dma/scatterlist.js';

const SECTOR = 512;

/** One I/O of a job thread (one io_submit of fio), in flight until all its pieces complete. */
export class SimIo {
  /** Job thread index. */
  thread = 0;
  disk = 0;
  /** Byte offset on the disk, and length. */
  offset = 0;
  bytes = 0;
  write = false;
  /** When its CPU started submitting it (latency is measured from here). */
  submitNs = 0;
  /** Pieces (split bios) not yet completed. */
  pieces = 0;
}

/** A bio, or a piece of one after a split, belonging to one I/O. */
export class SimBio implements Bio {
  sector = 0;
  bytes = 0;
  bvecs: Bvec[] = [];
  nrSegs = 0;
  io: SimIo | null = null;
  /** Makes this bio a copy of `from`, reusing its own bvec objects. */
  copyOf(from: SimBio): this {
    this.sector = from.sector;
    this.bytes = from.bytes;
    this.nrSegs = from.nrSegs;
    this.io = from.io;
    const bvecs = this.bvecs;
    const source = from.bvecs;
    const n = source.length;
    for (let i = 0; i < n; i++) {
      if (i < bvecs.length) {
        bvecs[i].phys = source[i].phys;
        bvecs[i].len = source[i].len;
      } else bvecs.push({ phys: source[i].phys, len: source[i].len });
    }
    while (bvecs.length > n) bvecs.pop();
    return this;
  }
}

/** A request (struct request): bios merged in the software queue, one command, one dma_map_sg(). */
export class SimRequest implements BlkRequest {
  sector = 0;
  bytes = 0;
  /** Its bios while it waits and is mapped; empty once it went to the disk (see detachBios()). */
  bios: SimBio[] = [];
  nrPhysSegments = 0;
  disk = 0;
  /** The CPU whose software queue it was queued on (completion goes to that CPU's interrupt CPU). */
  cpu = 0;
  /** IOMMU granules its scatterlist covers (page-table work), set by mapSg(). */
  granules = 0;
  readonly sg = new ScatterList(16);
  /** Once on the disk: the I/O of each of its bios, in order, and how many there were. */
  readonly ios: SimIo[] = [];
  nrBios = 0;
}

class BioPool implements BioBuilder {
  private readonly bios: SimBio[] = [];
  private readonly bvecs: Bvec[] = [];

  bio(sector: number): Bio {
    const bio = this.bios.pop() ?? new SimBio();
    bio.sector = sector;
    bio.bytes = 0;
    bio.nrSegs = 0;
    bio.io = null;
    return bio;
  }

  bvec(phys: number, len: number): Bvec {
    const bvec = this.bvecs.pop() ?? { phys: 0, len: 0 };
    bvec.phys = phys;
    bvec.len = len;
    return bvec;
  }

  release(bio: SimBio): void {
    // pop() rather than `length = 0`, which would give up the arrays' storage.
    const bvecs = bio.bvecs;
    while (bvecs.length > 0) this.bvecs.push(bvecs.pop() as Bvec);
    bio.io = null;
    this.bios.push(bio);
  }
}

export class BlockQueue {
  /** Requests waiting for dispatch, per disk, oldest first: a ring from head[disk], count[disk] long. */
  private readonly waiting: (SimRequest | null)[][] = [];
  private readonly head: Int32Array;
  private readonly count: Int32Array;
  /** Newest waiting request of each (CPU, disk) software queue, or null. */
  private readonly newest: (SimRequest | null)[];
  private readonly requests: SimRequest[] = [];
  private readonly pool = new BioPool();
  private readonly bios: Bio[] = [];
  private readonly pieces: Bio[] = [];
  private readonly layout: { offset: number; chunkBytes: number; physBase: number };
  private readonly granuleMask: number;

  constructor(
    readonly limits: QueueLimits,
    readonly pageSize: number,
    readonly granule: number,
    readonly disks: number,
    cpus: number,
  ) {
    for (let d = 0; d < disks; d++) this.waiting.push(new Array<SimRequest | null>(64).fill(null));
    this.head = new Int32Array(disks);
    this.count = new Int32Array(disks);
    this.newest = new Array<SimRequest | null>(cpus * disks).fill(null);
    this.layout = { offset: 0, chunkBytes: pageSize, physBase: 0 };
    this.granuleMask = granule - 1;
  }

  /**
   * submit_bio() of one direct I/O of `bytes` at byte `offset` of `io.disk`, from `cpu`, with its
   * buffer at `physBase`: builds, splits, merges or queues. Returns the pieces that merged.
   * `offset` and `bytes` must be multiples of the logical block size.
   */
  submit(io: SimIo, cpu: number, offset: number, bytes: number, physBase: number): number {
    const lim = this.limits;
    this.layout.physBase = physBase;
    const bios = this.bios;
    buildDioBios(offset / SECTOR, bytes, this.layout, this.pageSize, lim.logicalBlockSize, BIO_MAX_VECS, bios, this.pool);
    let merged = 0;
    io.pieces = 0;
    const slot = cpu * this.disks + io.disk;
    for (let b = 0; b < bios.length; b++) {
      const pieces = this.pieces;
      bioSplitToLimits(bios[b], lim, this.pageSize, pieces, this.pool);
      for (let p = 0; p < pieces.length; p++) {
        const piece = pieces[p] as SimBio;
        piece.io = io;
        io.pieces++;
        const newest = this.newest[slot];
        if (newest !== null && tryMerge(newest, piece, lim)) {
          merged++;
          continue;
        }
        const request = this.requests.pop() ?? new SimRequest();
        request.sector = piece.sector;
        request.bytes = piece.bytes;
        request.bios.push(piece);
        request.nrPhysSegments = piece.nrSegs;
        request.disk = io.disk;
        request.cpu = cpu;
        request.granules = 0;
        this.append(io.disk, request);
        this.newest[slot] = request;
      }
      while (pieces.length > 0) pieces.pop();
    }
    while (bios.length > 0) bios.pop();
    return merged;
  }

  /** Requests waiting on `disk`. */
  waitingOn(disk: number): number {
    return this.count[disk];
  }

  private append(disk: number, request: SimRequest): void {
    this.grow(disk);
    const ring = this.waiting[disk];
    ring[(this.head[disk] + this.count[disk]) % ring.length] = request;
    this.count[disk]++;
  }

  private grow(disk: number): void {
    const ring = this.waiting[disk];
    if (this.count[disk] < ring.length) return;
    const bigger = new Array<SimRequest | null>(ring.length * 2).fill(null);
    for (let i = 0; i < this.count[disk]; i++) bigger[i] = ring[(this.head[disk] + i) % ring.length];
    this.waiting[disk] = bigger;
    this.head[disk] = 0;
  }

  /** Takes the oldest waiting request of `disk` for dispatch (it takes no more merges), or null. */
  take(disk: number): SimRequest | null {
    if (this.count[disk] === 0) return null;
    const ring = this.waiting[disk];
    const at = this.head[disk];
    const request = ring[at] as SimRequest;
    ring[at] = null;
    this.head[disk] = at + 1 === ring.length ? 0 : at + 1;
    this.count[disk]--;
    const slot = request.cpu * this.disks + disk;
    if (this.newest[slot] === request) this.newest[slot] = null;
    return request;
  }

  /** Puts a request that could not be dispatched (BLK_STS_RESOURCE) back at the head of its disk. */
  putBack(request: SimRequest): void {
    const disk = request.disk;
    this.grow(disk);
    const ring = this.waiting[disk];
    const at = this.head[disk] === 0 ? ring.length - 1 : this.head[disk] - 1;
    ring[at] = request;
    this.head[disk] = at;
    this.count[disk]++;
  }

  /** blk_rq_map_sg() into the request's own scatterlist; returns its entries. */
  mapSg(request: SimRequest): number {
    const sg = request.sg;
    const nents = blkRqMapSg(request.bios, this.limits, this.pageSize, sg);
    let granules = 0;
    const mask = this.granuleMask;
    for (let i = 0; i < nents; i++) granules += Math.ceil(((sg.phys[i] & mask) + sg.length[i]) / this.granule);
    request.granules = granules;
    return nents;
  }

  /**
   * The request goes to the disk: it keeps only the I/O of each bio, and its bios and bvecs go back
   * to the pool at once. With ~16K I/Os in flight, bios that waited for their completion were
   * mostly cache misses by then; pooled right after dispatch they are reused while still cached.
   */
  detachBios(request: SimRequest): void {
    const bios = request.bios;
    const ios = request.ios;
    const n = bios.length;
    for (let i = 0; i < n; i++) {
      const bio = bios[i];
      ios.push(bio.io as SimIo);
      this.pool.release(bio);
    }
    request.nrBios = n;
    while (bios.length > 0) bios.pop();
  }

  /** Gives a completed request (its bios detached or not) back to the pool. */
  release(request: SimRequest): void {
    const bios = request.bios;
    while (bios.length > 0) this.pool.release(bios.pop() as SimBio);
    const ios = request.ios;
    while (ios.length > 0) ios.pop();
    request.nrBios = 0;
    this.requests.push(request);
  }
}
