/**
 * The block layer of a simulated disk: how an I/O becomes requests, through the same code as
 * `iovasim limits` (src/block/): the direct-I/O bios of the user buffer (buildDioBios), split to the
 * queue limits (bioSplitToLimits: max_sectors, max_segments, max_segment_size, boundaries), merged
 * into the CPU's newest queued request when they continue it (tryMerge, blk-mq's software-queue
 * merge: blk_mq_sched_bio_merge() -> blk_bio_list_merge(), which tries requests not yet dispatched;
 * mergeDirection, backMergeAllowed, frontMergeAllowed), and at dispatch turned into a scatterlist
 * (blkRqMapSgBvecs).
 *
 * Requests wait per disk in submission order until the disk and host have room; so bios merge exactly
 * when the disk is saturated, as in blk-mq. A request can only grow while it waits, and only from
 * the CPU that queued it (each CPU has its own software queue).
 *
 * Buffers are ordinary anonymous memory: every page its own physical chunk (`iovasim limits
 * --contig page`). Bios and bvecs being built come from a pool and go back as soon as they are queued
 * or merged, so the few in use stay in the CPU's caches: a request keeps its bios' bvecs in flat
 * arrays of its own (RequestBvecs) and the I/O of each bio, which is all that mapping and completion
 * read (with ~16K I/Os in flight, chasing bio and bvec objects at dispatch and completion was mostly
 * cache misses). Requests, their arrays and their scatterlists are pooled, so a steady run allocates
 * nothing per I/O.
 *
 * An I/O of at most a page whose buffer starts on a page (4 KiB random or sequential I/O, most of
 * what the presets run) skips the bio objects altogether: it is one bio of one bvec and one segment
 * whenever its size is within get_max_io_size() at every sector (singleBvecBytes), so it goes
 * straight to the merge checks and the request's arrays (submitSingleBvec). Anything else takes the
 * general path above; test/sim/block-queue.test.ts holds the two to the same requests.
 */
import { BIO_MAX_VECS, bioSplitToLimits, buildDioBios, getMaxIoSectors, type Bio, type BioBuilder, type Bvec } from '../block/bio-split.js';
import type { QueueLimits } from '../block/queue-limits.js';
import { BACK_MERGE, backMergeAllowed, backMergeFits, FRONT_MERGE, frontMergeAllowed, frontMergeFits, mergeDirection, mergeDirectionOf } from '../block/request-merge.js';
import { blkRqMapSgBvecs, type RequestBvecs } from '../block/rq-map-sg.js';
import { ScatterList } from '../dma/scatterlist.js';

const SECTOR = 512;
/** Bios and bvecs a request has room for before its arrays grow. */
const INITIAL_BIOS = 32;

/**
 * The I/Os in flight (one io_submit of fio each, in flight until all their pieces complete), as
 * parallel typed arrays addressed by an int handle: completion reads a few dense arrays instead of
 * ~16K scattered objects. Handles are reused; the arrays grow (handles stay valid, so read the arrays
 * afresh after alloc()).
 */
export class SimIos {
  /** Job thread index. */
  thread = new Int32Array(0);
  disk = new Int32Array(0);
  /** Pieces (split bios) not yet completed. */
  pieces = new Int32Array(0);
  /** 1 for a write. */
  write = new Uint8Array(0);
  /** Byte offset on the disk, and length. */
  offset = new Float64Array(0);
  bytes = new Float64Array(0);
  /** When its CPU started submitting it (latency is measured from here). */
  submitNs = new Float64Array(0);
  private free = new Int32Array(0);
  private freeCount = 0;

  /** A handle not in use, its fields as the last I/O that had it left them. */
  alloc(): number {
    if (this.freeCount === 0) this.grow();
    return this.free[--this.freeCount];
  }

  release(io: number): void {
    this.free[this.freeCount++] = io;
  }

  private grow(): void {
    const old = this.thread.length;
    const capacity = Math.max(1024, 2 * old);
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.thread = widen(this.thread, (n) => new Int32Array(n));
    this.disk = widen(this.disk, (n) => new Int32Array(n));
    this.pieces = widen(this.pieces, (n) => new Int32Array(n));
    this.write = widen(this.write, (n) => new Uint8Array(n));
    this.offset = widen(this.offset, (n) => new Float64Array(n));
    this.bytes = widen(this.bytes, (n) => new Float64Array(n));
    this.submitNs = widen(this.submitNs, (n) => new Float64Array(n));
    this.free = new Int32Array(capacity);
    // Lowest handles on top: they are handed out first.
    this.freeCount = 0;
    for (let io = capacity - 1; io >= old; io--) this.free[this.freeCount++] = io;
  }
}

/** A bio, or a piece of one after a split: built, split and merged, then given back at once. */
export class SimBio implements Bio {
  sector = 0;
  bytes = 0;
  bvecs: Bvec[] = [];
  nrSegs = 0;
}

/**
 * A request (struct request): bios merged in the software queue, one command, one dma_map_sg().
 * It keeps its bios' bvecs flat (RequestBvecs) and the I/O of each bio, not the bio objects: the
 * bios themselves go back to the pool as soon as they are queued or merged.
 */
export class SimRequest implements RequestBvecs {
  sector = 0;
  bytes = 0;
  nrPhysSegments = 0;
  disk = 0;
  /** The CPU whose software queue it was queued on (completion goes to that CPU's interrupt CPU). */
  cpu = 0;
  /** 1 for a write: blk_rq_merge_ok() merges a bio only into a request of its own direction. */
  write = 0;
  /** IOMMU granules its scatterlist covers (page-table work), set by mapSg(). */
  granules = 0;
  readonly sg = new ScatterList(INITIAL_BIOS);
  // Views of one buffer per request (grown apart if needed): one allocation instead of four.
  phys: Float64Array;
  len: Float64Array;
  nrBvecs = 0;
  bioStart: Int32Array;
  nrBios = 0;
  /** The I/O (SimIos handle) of each bio, in bio order. */
  bioIo: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer(INITIAL_BIOS * 24);
    this.phys = new Float64Array(buffer, 0, INITIAL_BIOS);
    this.len = new Float64Array(buffer, INITIAL_BIOS * 8, INITIAL_BIOS);
    this.bioStart = new Int32Array(buffer, INITIAL_BIOS * 16, INITIAL_BIOS);
    this.bioIo = new Int32Array(buffer, INITIAL_BIOS * 20, INITIAL_BIOS);
  }

  /** Starts the request with its first bio. */
  start(bio: Bio, io: number, disk: number, cpu: number, write: number): void {
    this.sector = bio.sector;
    this.write = write;
    this.bytes = bio.bytes;
    this.nrPhysSegments = bio.nrSegs;
    this.disk = disk;
    this.cpu = cpu;
    this.granules = 0;
    this.nrBvecs = 0;
    this.nrBios = 0;
    this.append(bio, io);
  }

  /** Starts the request with a bio of one bvec: `len` bytes at `phys`, one segment. */
  startSingle(sector: number, phys: number, len: number, io: number, disk: number, cpu: number, write: number): void {
    this.sector = sector;
    this.write = write;
    this.bytes = len;
    this.nrPhysSegments = 1;
    this.disk = disk;
    this.cpu = cpu;
    this.granules = 0;
    this.nrBvecs = 0;
    this.nrBios = 0;
    this.appendSingle(phys, len, io);
  }

  /** backMerge() of a bio of one bvec (one segment). */
  backMergeSingle(phys: number, len: number, io: number): void {
    this.appendSingle(phys, len, io);
    this.bytes += len;
    this.nrPhysSegments++;
  }

  /** frontMerge() of a bio of one bvec (one segment) at `sector`. */
  frontMergeSingle(sector: number, phys: number, len: number, io: number): void {
    this.reserve(1);
    const n = this.nrBvecs;
    this.phys.copyWithin(1, 0, n);
    this.len.copyWithin(1, 0, n);
    for (let b = this.nrBios; b > 0; b--) {
      this.bioStart[b] = this.bioStart[b - 1] + 1;
      this.bioIo[b] = this.bioIo[b - 1];
    }
    this.bioStart[0] = 0;
    this.bioIo[0] = io;
    this.nrBios++;
    this.phys[0] = phys;
    this.len[0] = len;
    this.nrBvecs = n + 1;
    this.sector = sector;
    this.bytes += len;
    this.nrPhysSegments++;
  }

  private appendSingle(phys: number, len: number, io: number): void {
    this.reserve(1);
    const b = this.nrBios;
    const v = this.nrBvecs;
    this.bioIo[b] = io;
    this.bioStart[b] = v;
    this.nrBios = b + 1;
    this.phys[v] = phys;
    this.len[v] = len;
    this.nrBvecs = v + 1;
  }

  /** Adds the bio at the back (ll_back_merge_fn() passed, or the request's first bio). */
  append(bio: Bio, io: number): void {
    const bvecs = bio.bvecs;
    this.reserve(bvecs.length);
    this.bioIo[this.nrBios] = io;
    this.bioStart[this.nrBios++] = this.nrBvecs;
    for (let i = 0; i < bvecs.length; i++) {
      this.phys[this.nrBvecs] = bvecs[i].phys;
      this.len[this.nrBvecs] = bvecs[i].len;
      this.nrBvecs++;
    }
  }

  /** bio_list_merge() at the back: the request grows by the bio. */
  backMerge(bio: Bio, io: number): void {
    this.append(bio, io);
    this.bytes += bio.bytes;
    this.nrPhysSegments += bio.nrSegs;
  }

  /** A front merge: the bio goes first, the request now starts at its sector. */
  frontMerge(bio: Bio, io: number): void {
    const bvecs = bio.bvecs;
    const k = bvecs.length;
    this.reserve(k);
    this.phys.copyWithin(k, 0, this.nrBvecs);
    this.len.copyWithin(k, 0, this.nrBvecs);
    for (let b = this.nrBios; b > 0; b--) {
      this.bioStart[b] = this.bioStart[b - 1] + k;
      this.bioIo[b] = this.bioIo[b - 1];
    }
    this.bioStart[0] = 0;
    this.bioIo[0] = io;
    this.nrBios++;
    for (let i = 0; i < k; i++) {
      this.phys[i] = bvecs[i].phys;
      this.len[i] = bvecs[i].len;
    }
    this.nrBvecs += k;
    this.sector = bio.sector;
    this.bytes += bio.bytes;
    this.nrPhysSegments += bio.nrSegs;
  }

  /** Room for one more bio of `bvecs` bvecs. */
  private reserve(bvecs: number): void {
    if (this.nrBvecs + bvecs > this.phys.length) {
      const capacity = Math.max(2 * this.phys.length, this.nrBvecs + bvecs);
      const phys = new Float64Array(capacity);
      const len = new Float64Array(capacity);
      phys.set(this.phys.subarray(0, this.nrBvecs));
      len.set(this.len.subarray(0, this.nrBvecs));
      this.phys = phys;
      this.len = len;
    }
    if (this.nrBios + 1 > this.bioStart.length) {
      const bioStart = new Int32Array(2 * this.bioStart.length);
      const bioIo = new Int32Array(2 * this.bioStart.length);
      bioStart.set(this.bioStart);
      bioIo.set(this.bioIo);
      this.bioStart = bioStart;
      this.bioIo = bioIo;
    }
  }
}

class BioPool implements BioBuilder {
  private readonly bios: SimBio[] = [];
  private readonly bvecs: Bvec[] = [];

  bio(sector: number): Bio {
    const bio = this.bios.pop() ?? new SimBio();
    bio.sector = sector;
    bio.bytes = 0;
    bio.nrSegs = 0;
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
    this.bios.push(bio);
  }
}

export class BlockQueue {
  /** The I/Os being submitted and in flight. */
  readonly ios = new SimIos();
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
  /** 1 / granule. */
  private readonly perGranule: number;
  /**
   * The largest I/O that stays one bio of one bvec and one segment, whatever its sector: at most a
   * page, and within get_max_io_size() at every offset into a physical block (0 when the limits
   * cannot keep even one logical block whole, which then always takes the general path).
   */
  private readonly singleBvecBytes: number;

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
    this.perGranule = 1 / granule;
    let single = limits.maxSegments >= 1 && Number.isInteger(pageSize) && pageSize > 0 ? pageSize : 0;
    const sectorsPerBlock = limits.physicalBlockSize / SECTOR;
    for (let sector = 0; sector < sectorsPerBlock; sector++) single = Math.min(single, getMaxIoSectors(limits, sector) * SECTOR);
    this.singleBvecBytes = single;
  }

  /**
   * submit_bio() of one direct I/O (`io`, a handle of `ios`) of `bytes` at byte `offset` of `disk`, from `cpu`, with its
   * buffer at `physBase`: builds, splits, merges or queues. Returns the pieces that merged.
   * `offset` and `bytes` must be multiples of the logical block size.
   */
  submit(io: number, disk: number, cpu: number, offset: number, bytes: number, physBase: number): number {
    if (bytes > 0 && bytes <= this.singleBvecBytes && bytes % this.limits.logicalBlockSize === 0 && physBase >= 0 && physBase % this.pageSize === 0) {
      return this.submitSingleBvec(io, disk, cpu, offset / SECTOR, bytes, physBase);
    }
    const lim = this.limits;
    this.layout.physBase = physBase;
    const bios = this.bios;
    buildDioBios(offset / SECTOR, bytes, this.layout, this.pageSize, lim.logicalBlockSize, BIO_MAX_VECS, bios, this.pool);
    let merged = 0;
    let pieceCount = 0;
    const slot = cpu * this.disks + disk;
    for (let b = 0; b < bios.length; b++) {
      const pieces = this.pieces;
      bioSplitToLimits(bios[b], lim, this.pageSize, pieces, this.pool);
      for (let p = 0; p < pieces.length; p++) {
        const piece = pieces[p] as SimBio;
        pieceCount++;
        const newest = this.newest[slot];
        if (newest !== null && this.tryMerge(newest, piece, io)) {
          this.pool.release(piece);
          merged++;
          continue;
        }
        const request = this.requests.pop() ?? new SimRequest();
        request.start(piece, io, disk, cpu, this.ios.write[io]);
        this.pool.release(piece);
        this.append(disk, request);
        this.newest[slot] = request;
      }
      while (pieces.length > 0) pieces.pop();
    }
    while (bios.length > 0) bios.pop();
    this.ios.pieces[io] = pieceCount;
    return merged;
  }

  /**
   * submit() of an I/O of at most a page whose buffer starts on a page (checked by the caller): what
   * buildDioBios() and bioSplitToLimits() make of it is known without running them, one bio of one
   * bvec (`bytes` at `phys`) and one segment (its size is within singleBvecBytes, so nothing splits
   * it), so it merges or starts a request without becoming a Bio. Same checks as tryMerge().
   */
  private submitSingleBvec(io: number, disk: number, cpu: number, sector: number, bytes: number, phys: number): number {
    const ios = this.ios;
    ios.pieces[io] = 1;
    const write = ios.write[io];
    const slot = cpu * this.disks + disk;
    const newest = this.newest[slot];
    if (newest !== null && newest.write === write) {
      const lim = this.limits;
      const direction = mergeDirectionOf(newest.sector, newest.bytes, sector, bytes);
      if (direction === BACK_MERGE) {
        const last = newest.nrBvecs - 1;
        if (backMergeFits(lim, newest.bytes, newest.nrPhysSegments, newest.phys[0], newest.phys[last], newest.len[last], bytes, 1, phys, bytes)) {
          newest.backMergeSingle(phys, bytes, io);
          return 1;
        }
      } else if (direction === FRONT_MERGE) {
        if (frontMergeFits(lim, newest.bytes, newest.nrPhysSegments, newest.phys[0], newest.len[0], bytes, 1, phys, phys, bytes)) {
          newest.frontMergeSingle(sector, phys, bytes, io);
          return 1;
        }
      }
    }
    const request = this.requests.pop() ?? new SimRequest();
    request.startSingle(sector, phys, bytes, io, disk, cpu, write);
    this.append(disk, request);
    this.newest[slot] = request;
    return 0;
  }

  /**
   * blk_rq_merge_ok() (a bio joins only a request of the same operation: block/blk-merge.c), then
   * blk_try_merge() and ll_back_merge_fn() / ll_front_merge_fn() (../block/request-merge.ts) on the flat request.
   */
  private tryMerge(request: SimRequest, piece: SimBio, io: number): boolean {
    if (this.ios.write[io] !== request.write) return false;
    const lim = this.limits;
    const direction = mergeDirection(request.sector, request.bytes, piece);
    if (direction === BACK_MERGE) {
      const last = request.nrBvecs - 1;
      if (!backMergeAllowed(lim, request.bytes, request.nrPhysSegments, request.phys[0], request.phys[last], request.len[last], piece)) return false;
      request.backMerge(piece, io);
      return true;
    }
    if (direction === FRONT_MERGE) {
      if (!frontMergeAllowed(lim, request.bytes, request.nrPhysSegments, request.phys[0], request.len[0], piece)) return false;
      request.frontMerge(piece, io);
      return true;
    }
    return false;
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
    const nents = blkRqMapSgBvecs(request, this.limits, this.pageSize, sg);
    let granules = 0;
    const mask = this.granuleMask;
    const phys = sg.phys;
    const length = sg.length;
    // The granule is a power of two (IommuDmaDomain checks), so multiplying by its inverse is exact
    // and spares a division.
    const perGranule = this.perGranule;
    for (let i = 0; i < nents; i++) granules += Math.ceil(((phys[i] & mask) + length[i]) * perGranule);
    request.granules = granules;
    return nents;
  }

  /** Gives a completed request back to the pool. */
  release(request: SimRequest): void {
    request.nrBios = 0;
    request.nrBvecs = 0;
    this.requests.push(request);
  }
}
