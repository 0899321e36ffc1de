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
 *
 * Bios and bvecs come from a BioBuilder: fresh objects by default (`iovasim limits`), pooled ones in
 * the simulator, whose hot path must not allocate per I/O; the rules above are the same code for both.
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

/**
 * `x % m` for whole numbers x >= 0 and m >= 1. Physical addresses pass 2^31, where V8's `%` falls
 * back to a slow floating-point remainder; a division by a power of two is exact and fast. Below
 * 2^31 (page offsets, sectors, the simulator's buffers) a power of two is a mask, anything else an
 * integer `%`.
 */
export function remainder(x: number, m: number): number {
  if (x >= 0 && x <= 0x7fff_ffff && m <= 0x7fff_ffff) return (m & (m - 1)) === 0 ? x & (m - 1) : x % m;
  const r = x - Math.floor(x / m) * m;
  return r < 0 ? r + m : r >= m ? r - m : r;
}

/** Where bios and bvecs come from: fresh objects, or a pool the caller recycles. */
export interface BioBuilder {
  /** An empty bio (no bvecs, 0 bytes, nrSegs 0) starting at `sector`. */
  bio(sector: number): Bio;
  bvec(phys: number, len: number): Bvec;
}

/** Fresh objects every time. */
export const FRESH_BIOS: BioBuilder = {
  bio: (sector) => ({ sector, bytes: 0, bvecs: [], nrSegs: 0 }),
  bvec: (phys, len) => ({ phys, len }),
};

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
  if (!Number.isInteger(layout.physBase) || layout.physBase < 0 || remainder(layout.physBase, pageSize) !== 0) {
    throw new BioError(`physical base 0x${layout.physBase.toString(16)} must be page aligned`);
  }
}

/** Adds `len` bytes at `phys` to the bio, merging with the last bvec when contiguous. */
function bioAddPiece(bio: Bio, phys: number, len: number, builder: BioBuilder): void {
  const last = bio.bvecs.length > 0 ? bio.bvecs[bio.bvecs.length - 1] : null;
  if (last !== null && last.phys + last.len === phys && bio.bytes <= UINT_MAX - len) last.len += len;
  else bio.bvecs.push(builder.bvec(phys, len));
  bio.bytes += len;
}

/**
 * The bios a direct I/O of `bytes` at `sector` becomes (iomap_dio_bio_iter() +
 * bio_iov_iter_get_pages()). `bytes` must be a multiple of the logical block size. The bios are
 * appended to `out`.
 */
export function buildDioBios(
  sector: number,
  bytes: number,
  layout: BufferLayout,
  pageSize: number,
  logicalBlockSize: number,
  maxVecs = BIO_MAX_VECS,
  out: Bio[] = [],
  builder: BioBuilder = FRESH_BIOS,
): Bio[] {
  checkLayout(layout, pageSize);
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes % logicalBlockSize !== 0) {
    throw new BioError(`I/O size ${bytes} must be a positive multiple of the logical block size (${logicalBlockSize})`);
  }
  const bios = out;
  let pos = 0;
  while (pos < bytes) {
    // bio_iov_vecs_to_alloc(): the pages left in the iterator, at most BIO_MAX_VECS.
    const startPage = Math.floor((layout.offset + pos) / pageSize);
    const endPage = Math.ceil((layout.offset + bytes) / pageSize);
    const maxVecsThisBio = Math.min(maxVecs, endPage - startPage);
    const bio = builder.bio(sector + pos / SECTOR_SIZE);
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
        bioAddPiece(bio, physOf(layout, p), len, builder);
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
  const toBoundary = lim.segBoundarySize - remainder(phys, lim.segBoundarySize);
  return Math.min(toBoundary, lim.maxSegmentSize);
}

/** __bvec_gap_to_prev(): would a bvec starting at `nextPhys` after `prev` leave a virt-boundary gap? */
export function bvecGapToPrev(lim: QueueLimits, prev: Bvec, nextPhys: number): boolean {
  return gapToPrev(lim, prev.phys, prev.len, nextPhys);
}

/** __bvec_gap_to_prev() for a previous bvec of `prevLen` bytes at `prevPhys`. */
export function gapToPrev(lim: QueueLimits, prevPhys: number, prevLen: number, nextPhys: number): boolean {
  const mask = lim.virtBoundaryMask;
  if (mask === 0) return false;
  const b = mask + 1;
  return remainder(prevPhys + prevLen, b) !== 0 || remainder(nextPhys, b) !== 0;
}

/** get_max_io_size(): max_sectors for a bio at `sector`, ending on a physical block if it can. */
export function getMaxIoSectors(lim: QueueLimits, sector: number): number {
  const sectors = lim.maxSectors;
  const pbs = lim.physicalBlockSize / SECTOR_SIZE;
  const lbs = lim.logicalBlockSize / SECTOR_SIZE;
  const startOffset = remainder(sector, pbs);
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
    if (nsegs < maxSegs && bytes + bv.len <= maxBytes && remainder(bv.phys, pageSize) + bv.len <= pageSize) {
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
        if (lim.virtBoundaryMask !== 0 && remainder(bv.phys + total, lim.virtBoundaryMask + 1) !== 0) break;
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

/**
 * bio_split() in place: returns a new bio of the first `bytes` bytes and leaves the rest in `bio`
 * (its sector advanced), as the kernel's split leaves the remainder in the original bio.
 */
export function splitFront(bio: Bio, bytes: number, builder: BioBuilder = FRESH_BIOS): Bio {
  const front = builder.bio(bio.sector);
  front.bytes = bytes;
  const bvecs = bio.bvecs;
  let left = bytes;
  let taken = 0;
  while (left > 0) {
    const bv = bvecs[taken];
    if (left >= bv.len) {
      front.bvecs.push(bv);
      left -= bv.len;
      taken++;
    } else {
      front.bvecs.push(builder.bvec(bv.phys, left));
      bv.phys += left;
      bv.len -= left;
      left = 0;
    }
  }
  if (taken > 0) {
    for (let i = taken; i < bvecs.length; i++) bvecs[i - taken] = bvecs[i];
    bvecs.length -= taken;
  }
  bio.sector += bytes / SECTOR_SIZE;
  bio.bytes -= bytes;
  bio.nrSegs = 0;
  return front;
}

const counted = { nsegs: 0 };

/**
 * bio_split_to_limits() applied until nothing is left: the pieces, each with its nrSegs, appended to
 * `out`. The last piece is `bio` itself (what is left of it).
 */
export function bioSplitToLimits(bio: Bio, lim: QueueLimits, pageSize: number, out: Bio[] = [], builder: BioBuilder = FRESH_BIOS): Bio[] {
  for (;;) {
    const at = bioSegmentSplit(bio, lim, pageSize, counted);
    if (at === null) {
      bio.nrSegs = counted.nsegs;
      out.push(bio);
      return out;
    }
    if (at <= 0) throw new BioError(`bio at sector ${bio.sector} cannot be split to fit the queue limits`);
    const front = splitFront(bio, at, builder);
    front.nrSegs = counted.nsegs;
    out.push(front);
  }
}
