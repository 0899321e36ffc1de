/**
 * blk_rq_map_sg(): a request's bvecs into the scatterlist the driver hands to dma_map_sg().
 *
 * Kernel: block/blk-merge.c __blk_bios_map_sg(), __blk_segment_map_sg_merge(), blk_bvec_map_sg(),
 * biovec_phys_mergeable() (5.19). Inside a bio nothing is merged (bio_add_page() already merged
 * contiguous pages); the first bvec of each following bio joins the previous sg entry when physically
 * contiguous, within max_segment_size, and when the previous bvec's start and this bvec's end lie in
 * the same segment-boundary window. A bvec that fits its page is one entry; a longer one is cut at
 * get_max_segment_size() (max_segment_size and segment boundaries).
 */
import type { ScatterList } from '../dma/scatterlist.js';
import { maxSegmentBytes, remainder, type Bio, type Bvec } from './bio-split.js';
import type { QueueLimits } from './queue-limits.js';

/** biovec_phys_mergeable(). */
export function biovecPhysMergeable(lim: QueueLimits, a: Bvec, b: Bvec): boolean {
  if (a.phys + a.len !== b.phys) return false;
  const window = lim.segBoundarySize;
  return Math.floor(a.phys / window) === Math.floor((b.phys + b.len - 1) / window);
}

/** Fills `sg` (cleared first) from the bios of one request; returns the number of entries. */
export function blkRqMapSg(bios: readonly Bio[], lim: QueueLimits, pageSize: number, sg: ScatterList): number {
  sg.clear();
  let prev: Bvec | null = null;
  for (let b = 0; b < bios.length; b++) {
    const bio = bios[b];
    let newBio = prev !== null;
    const bvecs = bio.bvecs;
    for (let v = 0; v < bvecs.length; v++) {
      const bv = bvecs[v];
      const lastIdx = sg.nents - 1;
      if (
        newBio &&
        prev !== null &&
        lastIdx >= 0 &&
        sg.length[lastIdx] + bv.len <= lim.maxSegmentSize &&
        biovecPhysMergeable(lim, prev, bv)
      ) {
        sg.length[lastIdx] += bv.len;
      } else if (remainder(bv.phys, pageSize) + bv.len <= pageSize) {
        sg.add(bv.phys, bv.len);
      } else {
        let total = 0;
        while (total < bv.len) {
          const len = Math.min(maxSegmentBytes(lim, bv.phys + total), bv.len - total);
          sg.add(bv.phys + total, len);
          total += len;
        }
      }
      newBio = false;
    }
    if (bvecs.length > 0) prev = bvecs[bvecs.length - 1];
  }
  return sg.nents;
}
