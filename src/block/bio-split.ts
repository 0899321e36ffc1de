/**
 * From a user buffer to bios, and from bios to pieces that fit the queue limits.
 *
 * Kernel (5.19 block/bio.c, block/blk-merge.c; the same rules hold in later bio_split_rw()):
 * - __bio_iov_iter_get_pages() + bio_iov_add_page() (direct I/O): each call pins up to
 *   bi_max_vecs - bi_vcnt pages, trims the byte count to a multiple of the logical block size, and
 *   adds the pages one by one; a page physically contiguous with the previous bvec extends it
 *   (__bio_try_merge_page(), multi-page bvecs), otherwise it takes a new bvec. A bio holds at most
 *   BIO_MAX_VECS = 256 bvecs (iomap sizes it with bio_iov_vecs_to_alloc()).
 * - blk_bio_segment_split() + bvec_split_segs() + get_max_segment_size() + get_max_io_size():
 *   walks the bvecs counting segments; a single-page bvec is one segment, a multi-page one is cut at
 *   max_segment_size and at segment boundaries; the bio is split when it would exceed max_sectors
 *   (rounded to the physical block) or max_segments, or leave a gap the virt boundary forbids; the
 *   split point is rounded down to the logical block size.
 *
 * The user buffer: bytes at `offset` into physically contiguous chunks of `chunkBytes` (PAGE_SIZE
 * for ordinary anonymous memory, 2 MiB for a huge page, Infinity for one contiguous region). Chunk k
 * starts at physBase + 2 * k * chunkBytes, so chunks are never contiguous with each other.
 */
import { SECTOR_SIZE, type QueueLimits } from './queue-limits.js';

/** BIO_MAX_VECS. */
export const BIO_MAX_VECS = 256;
/** Default physical address of the first chunk (above 4 GiB, 1 GiB aligned). */
export const DEFAULT_PHYS_BASE = 0x2_4000_0000;
const UINT_MAX = 0xffff_ffff;

/** A multi-page bio_vec: `len` physically contiguous bytes at `phys`. */
export interface Bvec {
  phys: number;
  len: number;
}

export interface Bio {
  /** First sector on the device. */
  sector: number;
  bytes: number;
  bvecs: Bvec[];
  /** Segments counted by the split (0 until bioSplitToLimits() has seen it). */
  nrSegs: number;
}

export interface BufferLayout {
  /** Byte offset of the buffer's start within its first chunk. */
  readonly offset: number;
  /** Physically contiguous run length: a multiple of the page size, or Infinity. */
  readonly chunkBytes: number;
  readonly physBase: number;
}

export class BioError extends Error {}

/** Physical address of byte `pos` of the buffer (pos counted from the buffer's start). */
function physOf(layout: BufferLayout, pos: number): number {
  const v = layout.offset + pos;
  if (layout.chunkBytes === Number.POSITIVE_INFINITY) return layout.physBase + v;
  const k = Math.floor(v / layout.chunkBytes);
  return layout.physBase + 2 * k * layout.chunkBytes + (v - k * layout.chunkBytes);
}

export function checkLayout(layout: BufferLayout, pageSize: number): void {
  if (!Number.isInteger(layout.offset) || layout.offset < 0) throw new BioError(`buffer offset ${layout.offset} must be a whole number of bytes >= 0`);
  if (layout.chunkBytes !== Number.POSITIVE_INFINITY && (!Number.isInteger(layout.chunkBytes) || layout.chunkBytes < pageSize || layout.chunkBytes % pageSize !== 0)) {
    throw new BioError(`physically contiguous chunk of ${layout.chunkBytes} bytes must be a multiple of the page size (${pageSize})`);
  }
  if (!Number.isInteger(layout.physBase) || layout.physBase < 0 || layout.physBase % pageSize !== 0) {
    throw new BioError(`physical base 0x${layout.physBase.toString(16)} must be page aligned`);
  }
}

/** Adds `len` bytes at `phys` to the bio, merging with the last bvec when contiguous. */
function bioAddPiece(bio: Bio, phys: number, len: number): void {
  const last = bio.bvecs.length > 0 ? bio.bvecs[bio.bvecs.length - 1] : null;
  if (last !== null && last.phys + last.len === phys && bio.bytes <= UINT_MAX - len) last.len += len;
  else bio.bvecs.push({ phys, len });
  bio.bytes += len;
}

/**
 * The bios a direct I/O of `bytes` at `sector` becomes (iomap_dio_bio_iter() +
 * bio_iov_iter_get_pages()). `bytes` must be a multiple of the logical block size.
 */
export function buildDioBios(
  sector: number,
  bytes: number,
  layout: BufferLayout,
  pageSize: number,
  logicalBlockSize: number,
  maxVecs = BIO_MAX_VECS,
): Bio[] {
  checkLayout(layout, pageSize);
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes % logicalBlockSize !== 0) {
    throw new BioError(`I/O size ${bytes} must be a positive multiple of the logical block size (${logicalBlockSize})`);
  }
  const bios: Bio[] = [];
  let pos = 0;
  while (pos < bytes) {
    // bio_iov_vecs_to_alloc(): the pages left in the iterator, at most BIO_MAX_VECS.
    const startPage = Math.floor((layout.offset + pos) / pageSize);
    const endPage = Math.ceil((layout.offset + bytes) / pageSize);
    const maxVecsThisBio = Math.min(maxVecs, endPage - startPage);
    const bio: Bio = { sector: sector + (pos / SECTOR_SIZE), bytes: 0, bvecs: [], nrSegs: 0 };
    while (pos < bytes && bio.bvecs.length < maxVecsThisBio) {
      // One __bio_iov_iter_get_pages(): up to bi_max_vecs - bi_vcnt pages.
      const pages = maxVecsThisBio - bio.bvecs.length;
      const v = layout.offset + pos;
      const callEnd = Math.min(bytes, (Math.floor(v / pageSize) + pages) * pageSize - layout.offset, pos + (UINT_MAX - bio.bytes));
      let size = callEnd - pos;
      size -= size % logicalBlockSize;
      if (size === 0) break;
      let left = size;
      let p = pos;
      while (left > 0) {
        const inPage = (layout.offset + p) % pageSize;
        const len = Math.min(pageSize - inPage, left);
        bioAddPiece(bio, physOf(layout, p), len);
        p += len;
        left -= len;
      }
      pos += size;
    }
    if (bio.bytes === 0) throw new BioError(`cannot build a bio at buffer position ${pos}: not aligned to the logical block size`);
    bios.push(bio);
  }
  return bios;
}

/** A bio of one physically contiguous piece (a page-cache page, a single-page write). */
export function singleBio(sector: number, phys: number, bytes: number): Bio {
  return { sector, bytes, bvecs: [{ phys, len: bytes }], nrSegs: 0 };
}

/** get_max_segment_size(): bytes to the next segment boundary, capped by max_segment_size. */
export function maxSegmentBytes(lim: QueueLimits, phys: number): number {
  const toBoundary = lim.segBoundarySize - (phys % lim.segBoundarySize);
  return Math.min(toBoundary, lim.maxSegmentSize);
}

/** __bvec_gap_to_prev(): would a bvec starting at `nextPhys` after `prev` leave a virt-boundary gap? */
export function bvecGapToPrev(lim: QueueLimits, prev: Bvec, nextPhys: number): boolean {
  const mask = lim.virtBoundaryMask;
  if (mask === 0) return false;
  const b = mask + 1;
  return (prev.phys + prev.len) % b !== 0 || nextPhys % b !== 0;
}

/** get_max_io_size(): max_sectors for a bio at `sector`, ending on a physical block if it can. */
export function getMaxIoSectors(lim: QueueLimits, sector: number): number {
  const sectors = lim.maxSectors;
  const pbs = lim.physicalBlockSize / SECTOR_SIZE;
  const lbs = lim.logicalBlockSize / SECTOR_SIZE;
  const startOffset = sector % pbs;
  let max = sectors + startOffset;
  max -= max % pbs;
  if (max > startOffset) return max - startOffset;
  return sectors - (sectors % lbs);
}

/**
 * blk_bio_segment_split(): where the bio must be split (bytes), or null when it fits; `counted`
 * receives the segment count of the part that stays.
 */
export function bioSegmentSplit(bio: Bio, lim: QueueLimits, pageSize: number, counted: { nsegs: number }): number | null {
  const maxBytes = getMaxIoSectors(lim, bio.sector) * SECTOR_SIZE;
  const maxSegs = lim.maxSegments;
  let nsegs = 0;
  let bytes = 0;
  let prev: Bvec | null = null;
  let split = false;
  for (const bv of bio.bvecs) {
    if (prev !== null && bvecGapToPrev(lim, prev, bv.phys)) {
      split = true;
      break;
    }
    if (nsegs < maxSegs && bytes + bv.len <= maxBytes && (bv.phys % pageSize) + bv.len <= pageSize) {
      nsegs++;
      bytes += bv.len;
    } else {
      // bvec_split_segs()
      const maxLen = Math.min(maxBytes, UINT_MAX) - bytes;
      let len = Math.min(bv.len, maxLen);
      let total = 0;
      while (len > 0 && nsegs < maxSegs) {
        const segSize = Math.min(maxSegmentBytes(lim, bv.phys + total), len);
        nsegs++;
        total += segSize;
        len -= segSize;
        if (lim.virtBoundaryMask !== 0 && (bv.phys + total) % (lim.virtBoundaryMask + 1) !== 0) break;
      }
      bytes += total;
      if (len > 0 || bv.len > maxLen) {
        split = true;
        break;
      }
    }
    prev = bv;
  }
  counted.nsegs = nsegs;
  if (!split) return null;
  return bytes - (bytes % lim.logicalBlockSize);
}

/** bio_split(): the first `bytes` bytes, and the rest. */
export function bioSplit(bio: Bio, bytes: number): [Bio, Bio] {
  const front: Bio = { sector: bio.sector, bytes, bvecs: [], nrSegs: 0 };
  const rest: Bio = { sector: bio.sector + bytes / SECTOR_SIZE, bytes: bio.bytes - bytes, bvecs: [], nrSegs: 0 };
  let left = bytes;
  for (const bv of bio.bvecs) {
    if (left >= bv.len) {
      front.bvecs.push({ phys: bv.phys, len: bv.len });
      left -= bv.len;
    } else if (left > 0) {
      front.bvecs.push({ phys: bv.phys, len: left });
      rest.bvecs.push({ phys: bv.phys + left, len: bv.len - left });
      left = 0;
    } else {
      rest.bvecs.push({ phys: bv.phys, len: bv.len });
    }
  }
  return [front, rest];
}

/** bio_split_to_limits() applied until nothing is left: the pieces, each with its nrSegs. */
export function bioSplitToLimits(bio: Bio, lim: QueueLimits, pageSize: number): Bio[] {
  const pieces: Bio[] = [];
  const counted = { nsegs: 0 };
  let current = bio;
  for (;;) {
    const at = bioSegmentSplit(current, lim, pageSize, counted);
    if (at === null) {
      current.nrSegs = counted.nsegs;
      pieces.push(current);
      return pieces;
    }
    if (at <= 0) throw new BioError(`bio at sector ${current.sector} cannot be split to fit the queue limits`);
    const [front, rest] = bioSplit(current, at);
    front.nrSegs = counted.nsegs;
    pieces.push(front);
    current = rest;
  }
}
