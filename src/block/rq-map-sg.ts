/**
 * blk_rq_map_sg(): a request's bvecs into the scatterlist the driver hands to dma_map_sg().
 *
 * Kernel: block/blk-merge.c __blk_bios_map_sg(), __blk_segment_map_sg_merge(), blk_bvec_map_sg(),
 * biovec_phys_mergeable() (5.19). Inside a bio nothing is merged (bio_add_page() already merged
 * contiguous pages); the first bvec of each following bio joins the previous sg entry when physically
 * contiguous, within max_segment_size, and when the previous bvec's start and this bvec's end lie in
 * the same segment-boundary window. A bvec that fits its page is one entry; a longer one is cut at
 * get_max_segment_size() (max_segment_size and segment boundaries).
 *
 * The walk runs over a request's bvecs laid out flat (RequestBvecs: parallel arrays, and where each
 * bio starts), which is how the simulator keeps a request so that mapping it reads two short arrays
 * instead of chasing bio and bvec objects; blkRqMapSg() lays out a list of Bio objects that way first.
 */
import type { ScatterList } from '../dma/scatterlist.js';
import { maxSegmentBytes, remainder, type Bio, type Bvec } from './bio-split.js';
import type { QueueLimits } from './queue-limits.js';

/** A request's bvecs, flat: bvec i is `len[i]` bytes at `phys[i]`; bio b's bvecs start at `bioStart[b]`. */
export interface RequestBvecs {
  readonly phys: Float64Array;
  readonly len: Float64Array;
  readonly bioStart: Int32Array;
  readonly nrBios: number;
  readonly nrBvecs: number;
}

/** biovec_phys_mergeable() of `aLen` bytes at `aPhys` followed by `bLen` bytes at `bPhys`. */
export function physMergeable(lim: QueueLimits, aPhys: number, aLen: number, bPhys: number, bLen: number): boolean {
  if (aPhys + aLen !== bPhys) return false;
  const window = lim.segBoundarySize;
  return Math.floor(aPhys / window) === Math.floor((bPhys + bLen - 1) / window);
}

/** biovec_phys_mergeable(). */
export function biovecPhysMergeable(lim: QueueLimits, a: Bvec, b: Bvec): boolean {
  return physMergeable(lim, a.phys, a.len, b.phys, b.len);
}

/** Fills `sg` (cleared first) from a request's flat bvecs; returns the number of entries. */
export function blkRqMapSgBvecs(request: RequestBvecs, lim: QueueLimits, pageSize: number, sg: ScatterList): number {
  sg.clear();
  const phys = request.phys;
  const lens = request.len;
  const bioStart = request.bioStart;
  const nrBios = request.nrBios;
  const nrBvecs = request.nrBvecs;
  const maxSegmentSize = lim.maxSegmentSize;
  // A bvec within its page adds at most one entry: room for one per bvec, so those entries are
  // written with set() and counted here; only a bvec cut at segment limits goes through add().
  sg.reserve(nrBvecs);
  let sgLength = sg.length;
  let nents = 0;
  for (let b = 0; b < nrBios; b++) {
    const first = bioStart[b];
    const end = b + 1 < nrBios ? bioStart[b + 1] : nrBvecs;
    for (let v = first; v < end; v++) {
      const bvPhys = phys[v];
      const bvLen = lens[v];
      // Only a bio's first bvec may join the previous entry, and only if a bvec came before it
      // (physically contiguous, tested first as the cheapest and most often false).
      if (v === first && v > 0 && phys[v - 1] + lens[v - 1] === bvPhys && nents > 0 && sgLength[nents - 1] + bvLen <= maxSegmentSize && physMergeable(lim, phys[v - 1], lens[v - 1], bvPhys, bvLen)) {
        sgLength[nents - 1] += bvLen;
      } else if (bvLen <= pageSize && remainder(bvPhys, pageSize) + bvLen <= pageSize) {
        sg.set(nents++, bvPhys, bvLen);
      } else {
        sg.nents = nents;
        let total = 0;
        while (total < bvLen) {
          const len = Math.min(maxSegmentBytes(lim, bvPhys + total), bvLen - total);
          sg.add(bvPhys + total, len);
          total += len;
        }
        // The entries past these may need room again, and add() may have grown the columns.
        nents = sg.nents;
        sg.reserve(nents + nrBvecs - v);
        sgLength = sg.length;
      }
    }
  }
  sg.nents = nents;
  return nents;
}

/** Fills `sg` (cleared first) from the bios of one request; returns the number of entries. */
export function blkRqMapSg(bios: readonly Bio[], lim: QueueLimits, pageSize: number, sg: ScatterList): number {
  let nrBvecs = 0;
  for (const bio of bios) nrBvecs += bio.bvecs.length;
  const request = { phys: new Float64Array(nrBvecs), len: new Float64Array(nrBvecs), bioStart: new Int32Array(bios.length), nrBios: bios.length, nrBvecs };
  let at = 0;
  for (let b = 0; b < bios.length; b++) {
    request.bioStart[b] = at;
    for (const bv of bios[b].bvecs) {
      request.phys[at] = bv.phys;
      request.len[at] = bv.len;
      at++;
    }
  }
  return blkRqMapSgBvecs(request, lim, pageSize, sg);
}
