/**
 * Merging bios into requests: how a stream of small sequential I/Os becomes one large request (and
 * so one large DMA mapping), bounded by the same limits that split bios.
 *
 * Kernel (5.19): block/blk-merge.c ll_back_merge_fn() / ll_front_merge_fn() (sectors <=
 * blk_rq_get_max_sectors() = max_sectors for reads and writes; nr_phys_segments + the bio's segments
 * <= max_segments via ll_new_hw_segment(); no virt-boundary gap: bio_will_gap()), blk_try_merge()
 * (back when the bio starts where the request ends, front when it ends where the request starts);
 * blk_attempt_plug_merge() (only the most recently plugged request of the queue is tried);
 * block/blk-mq.c blk_add_rq_to_plug(): before a new request is plugged, the plug is flushed when it
 * already holds BLK_MAX_REQUEST_COUNT (32) requests or its last request is at least
 * BLK_PLUG_FLUSH_SIZE (128 KiB). Flushed requests are dispatched and take no more plug merges.
 *
 * The `elevator` policy instead keeps every request waiting until flush() and tries them all (newest
 * first), as an I/O scheduler's hash/rbtree lookups would; dispatch timing (when the scheduler lets
 * go) is not modelled. `none` never merges (nomerges=2).
 *
 * Approximation: the default (plug) policy merges only while the plug holds a request. A host with a
 * shared tag set across its hardware queues (hisi_sas v3 sets host_tagset) runs mq-deadline by
 * default, which can still merge requests after the plug flushed them; `iovasim limits` then shows
 * fewer, smaller requests than such a host may issue.
 */
import { bioSplitToLimits, gapToPrev, remainder, type Bio } from './bio-split.js';
import { physMergeable } from './rq-map-sg.js';
import { SECTOR_SIZE, type QueueLimits } from './queue-limits.js';

export const BLK_MAX_REQUEST_COUNT = 32;
export const BLK_PLUG_FLUSH_SIZE = 128 * 1024;

export interface BlkRequest {
  sector: number;
  bytes: number;
  bios: Bio[];
  /** Segments as the merge code counts them (the sum of the bios' split counts). */
  nrPhysSegments: number;
}

export type MergePolicy = 'plug' | 'elevator' | 'none';

/**
 * bio_will_gap(): would a bio whose last bvec is `prevLen` bytes at `prevPhys`, in a request whose
 * first bvec starts at `firstPhys`, leave a virt-boundary gap before a bvec of `nextLen` bytes at
 * `nextPhys`?
 */
function bioWillGap(lim: QueueLimits, firstPhys: number, prevPhys: number, prevLen: number, nextPhys: number, nextLen: number): boolean {
  const mask = lim.virtBoundaryMask;
  if (mask === 0) return false;
  if (remainder(firstPhys, mask + 1) !== 0) return true;
  if (physMergeable(lim, prevPhys, prevLen, nextPhys, nextLen)) return false;
  return gapToPrev(lim, prevPhys, prevLen, nextPhys);
}

function sectorsOf(bytes: number): number {
  return bytes / SECTOR_SIZE;
}

/** What blk_try_merge() finds for a bio against a request: */
export const NO_MERGE = 0;
/** ...the bio starts where the request ends... */
export const BACK_MERGE = 1;
/** ...or ends where it starts. */
export const FRONT_MERGE = 2;

/** blk_try_merge(): which end of the request at `sector`, `bytes` long, the bio continues. */
export function mergeDirection(sector: number, bytes: number, bio: Bio): number {
  return mergeDirectionOf(sector, bytes, bio.sector, bio.bytes);
}

/** mergeDirection() for a bio of `bioBytes` at `bioSector`. */
export function mergeDirectionOf(sector: number, bytes: number, bioSector: number, bioBytes: number): number {
  if (sector + sectorsOf(bytes) === bioSector) return BACK_MERGE;
  if (sector - sectorsOf(bioBytes) === bioSector) return FRONT_MERGE;
  return NO_MERGE;
}

/**
 * ll_back_merge_fn()'s checks: may the bio join the back of a request of `bytes` and `nrPhysSegments`
 * whose first bvec starts at `firstPhys` and whose last bvec is `lastLen` bytes at `lastPhys`?
 */
export function backMergeAllowed(lim: QueueLimits, bytes: number, nrPhysSegments: number, firstPhys: number, lastPhys: number, lastLen: number, bio: Bio): boolean {
  const next = bio.bvecs[0];
  return backMergeFits(lim, bytes, nrPhysSegments, firstPhys, lastPhys, lastLen, bio.bytes, bio.nrSegs, next.phys, next.len);
}

/**
 * backMergeAllowed() for a bio given by its size, its segments and its first bvec (`nextLen` bytes
 * at `nextPhys`): the simulator's single-page bios never become Bio objects.
 */
export function backMergeFits(
  lim: QueueLimits,
  bytes: number,
  nrPhysSegments: number,
  firstPhys: number,
  lastPhys: number,
  lastLen: number,
  bioBytes: number,
  bioSegs: number,
  nextPhys: number,
  nextLen: number,
): boolean {
  if (bioWillGap(lim, firstPhys, lastPhys, lastLen, nextPhys, nextLen)) return false;
  if (sectorsOf(bytes) + sectorsOf(bioBytes) > lim.maxSectors) return false;
  return nrPhysSegments + bioSegs <= lim.maxSegments;
}

/** ll_front_merge_fn()'s checks: may the bio join the front of a request whose first bvec is `firstLen` bytes at `firstPhys`? */
export function frontMergeAllowed(lim: QueueLimits, bytes: number, nrPhysSegments: number, firstPhys: number, firstLen: number, bio: Bio): boolean {
  const last = bio.bvecs[bio.bvecs.length - 1];
  return frontMergeFits(lim, bytes, nrPhysSegments, firstPhys, firstLen, bio.bytes, bio.nrSegs, bio.bvecs[0].phys, last.phys, last.len);
}

/**
 * frontMergeAllowed() for a bio given by its size, its segments, where its first bvec starts
 * (`bioFirstPhys`) and its last bvec (`bioLastLen` bytes at `bioLastPhys`).
 */
export function frontMergeFits(
  lim: QueueLimits,
  bytes: number,
  nrPhysSegments: number,
  firstPhys: number,
  firstLen: number,
  bioBytes: number,
  bioSegs: number,
  bioFirstPhys: number,
  bioLastPhys: number,
  bioLastLen: number,
): boolean {
  if (bioWillGap(lim, bioFirstPhys, bioLastPhys, bioLastLen, firstPhys, firstLen)) return false;
  if (sectorsOf(bytes) + sectorsOf(bioBytes) > lim.maxSectors) return false;
  return nrPhysSegments + bioSegs <= lim.maxSegments;
}

/** ll_back_merge_fn(): appends the bio when the limits allow. */
export function backMerge(req: BlkRequest, bio: Bio, lim: QueueLimits): boolean {
  const first = req.bios[0].bvecs[0];
  const lastBio = req.bios[req.bios.length - 1];
  const last = lastBio.bvecs[lastBio.bvecs.length - 1];
  if (!backMergeAllowed(lim, req.bytes, req.nrPhysSegments, first.phys, last.phys, last.len, bio)) return false;
  req.bios.push(bio);
  req.bytes += bio.bytes;
  req.nrPhysSegments += bio.nrSegs;
  return true;
}

/** ll_front_merge_fn(): prepends the bio when the limits allow. */
export function frontMerge(req: BlkRequest, bio: Bio, lim: QueueLimits): boolean {
  const first = req.bios[0].bvecs[0];
  if (!frontMergeAllowed(lim, req.bytes, req.nrPhysSegments, first.phys, first.len, bio)) return false;
  req.bios.unshift(bio);
  req.sector = bio.sector;
  req.bytes += bio.bytes;
  req.nrPhysSegments += bio.nrSegs;
  return true;
}

/** blk_try_merge() + the merge functions: true when the bio joined the request. */
export function tryMerge(req: BlkRequest, bio: Bio, lim: QueueLimits): boolean {
  const direction = mergeDirection(req.sector, req.bytes, bio);
  if (direction === BACK_MERGE) return backMerge(req, bio, lim);
  if (direction === FRONT_MERGE) return frontMerge(req, bio, lim);
  return false;
}

/**
 * A plug (and optionally an elevator) collecting requests: submit() bios in order, then flush() to
 * get every request, in dispatch order.
 */
export class RequestMerger {
  private plugged: BlkRequest[] = [];
  private readonly dispatched: BlkRequest[] = [];
  merges = 0;

  constructor(
    readonly lim: QueueLimits,
    readonly pageSize: number,
    readonly policy: MergePolicy = 'plug',
  ) {}

  /** submit_bio(): split to the limits, then each piece merges or becomes a request. */
  submit(bio: Bio): void {
    for (const piece of bioSplitToLimits(bio, this.lim, this.pageSize)) this.submitPiece(piece);
  }

  private submitPiece(bio: Bio): void {
    const plugged = this.plugged;
    if (plugged.length > 0 && this.policy !== 'none') {
      const candidates = this.policy === 'plug' ? 1 : plugged.length;
      for (let i = plugged.length - 1; i >= plugged.length - candidates; i--) {
        if (tryMerge(plugged[i], bio, this.lim)) {
          this.merges++;
          return;
        }
      }
    }
    if (plugged.length > 0 && this.policy !== 'elevator') {
      const last = plugged[plugged.length - 1];
      if (plugged.length >= BLK_MAX_REQUEST_COUNT || last.bytes >= BLK_PLUG_FLUSH_SIZE) this.flushPlug();
    }
    this.plugged.push({ sector: bio.sector, bytes: bio.bytes, bios: [bio], nrPhysSegments: bio.nrSegs });
  }

  private flushPlug(): void {
    for (const req of this.plugged) this.dispatched.push(req);
    this.plugged = [];
  }

  /** blk_finish_plug(): every request, in the order they were dispatched. */
  flush(): BlkRequest[] {
    this.flushPlug();
    return this.dispatched.splice(0, this.dispatched.length);
  }
}
