import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bioSplitToLimits, buildDioBios, getMaxIoSectors, remainder, type Bio } from '../../src/block/bio-split.js';
import { defaultQueueLimits, type QueueLimits } from '../../src/block/queue-limits.js';
import { blkRqMapSg } from '../../src/block/rq-map-sg.js';
import { ScatterList } from '../../src/dma/scatterlist.js';

const K = 1024;
const BASE = 0x2_4000_0000;
const PAGE = 4096;

function limits(patch: Partial<QueueLimits> = {}): QueueLimits {
  return { ...defaultQueueLimits(), maxHwSectors: 1024, maxSectors: 256, maxSegments: 124, ...patch };
}

const scattered = (offset = 0) => ({ offset, chunkBytes: PAGE, physBase: BASE });

describe('bio_iov_iter_get_pages() / bio_iov_add_page() (block/bio.c, 5.19)', () => {
  it('a 128 KiB direct I/O at buffer offset 2048 over scattered pages is one bio of 33 bvecs', () => {
    const bios = buildDioBios(0, 128 * K, scattered(2048), PAGE, 512);
    expect(bios.length).toBe(1);
    const lens = bios[0].bvecs.map((b) => b.len);
    expect(lens.length).toBe(33);
    expect(lens[0]).toBe(2048);
    expect(lens[32]).toBe(2048);
    expect(lens.slice(1, 32).every((l) => l === PAGE)).toBe(true);
    expect(bios[0].bvecs[0].phys).toBe(BASE + 2048);
    expect(bios[0].bvecs[1].phys).toBe(BASE + 2 * PAGE);
  });

  it('physically contiguous pages merge into multi-page bvecs (__bio_try_merge_page)', () => {
    const [bio] = buildDioBios(0, 128 * K, { offset: 0, chunkBytes: Number.POSITIVE_INFINITY, physBase: BASE }, PAGE, 512);
    expect(bio.bvecs).toEqual([{ phys: BASE, len: 128 * K }]);
    const huge = buildDioBios(0, 4 * 1024 * K, { offset: 0, chunkBytes: 2 * 1024 * K, physBase: BASE }, PAGE, 512);
    expect(huge.length).toBe(1);
    expect(huge[0].bvecs.map((b) => b.len)).toEqual([2 * 1024 * K, 2 * 1024 * K]);
  });

  it('BIO_MAX_VECS: 2 MiB at offset 2048 over 513 pages needs three bios', () => {
    const bios = buildDioBios(100, 2 * 1024 * K, scattered(2048), PAGE, 512);
    expect(bios.map((b) => b.bytes)).toEqual([256 * PAGE - 2048, 256 * PAGE, 2048]);
    expect(bios.map((b) => b.sector)).toEqual([100, 100 + (256 * PAGE - 2048) / 512, 100 + (512 * PAGE - 2048) / 512]);
  });

  it('trims each batch to the logical block size (4 KiB blocks, buffer at a half page)', () => {
    const bios = buildDioBios(0, 1024 * K, scattered(2048), PAGE, 4096);
    expect(bios.map((b) => b.bytes)).toEqual([255 * PAGE, PAGE]);
    expect(bios[0].bvecs.length).toBe(256);
    expect(() => buildDioBios(0, 1000, scattered(), PAGE, 512)).toThrow(/multiple of the logical block size/);
  });
});

describe('blk_bio_segment_split() / bvec_split_segs() / get_max_io_size() (block/blk-merge.c, 5.19)', () => {
  it('the 33-page 128 KiB bio fits max_sectors 256 as one piece of 33 segments', () => {
    const [bio] = buildDioBios(0, 128 * K, scattered(2048), PAGE, 512);
    const pieces = bioSplitToLimits(bio, limits(), PAGE);
    expect(pieces.length).toBe(1);
    expect(pieces[0].nrSegs).toBe(33);
  });

  it('splits 1 MiB at max_sectors (256 sectors) into 8 pieces of 32 segments', () => {
    const [bio] = buildDioBios(0, 1024 * K, scattered(), PAGE, 512);
    const pieces = bioSplitToLimits(bio, limits(), PAGE);
    expect(pieces.map((p) => p.bytes)).toEqual(Array(8).fill(128 * K));
    expect(pieces.map((p) => p.nrSegs)).toEqual(Array(8).fill(32));
    expect(pieces[1].sector).toBe(256);
  });

  it('splits at max_segments when the segment count binds first', () => {
    const [bio] = buildDioBios(0, 1024 * K, scattered(), PAGE, 512);
    const pieces = bioSplitToLimits(bio, limits({ maxSectors: 2560, maxSegments: 16 }), PAGE);
    expect(pieces.length).toBe(16);
    expect(pieces[0].bytes).toBe(64 * K);
  });

  it('cuts a multi-page bvec at max_segment_size and at segment boundaries', () => {
    const [bio] = buildDioBios(0, 256 * K, { offset: 0, chunkBytes: Number.POSITIVE_INFINITY, physBase: BASE }, PAGE, 512);
    expect(bioSplitToLimits(bio, limits({ maxSectors: 2560 }), PAGE)[0].nrSegs).toBe(4);
    const two = bioSplitToLimits(bio, limits({ maxSectors: 2560, maxSegments: 2 }), PAGE);
    expect(two.map((p) => p.bytes)).toEqual([128 * K, 128 * K]);
    // A 64 KiB boundary with the buffer starting 32 KiB into a window: 32K + 64K + 64K + 64K + 32K.
    const [shifted] = buildDioBios(0, 256 * K, { offset: 32 * K, chunkBytes: Number.POSITIVE_INFINITY, physBase: BASE }, PAGE, 512);
    const lim = limits({ maxSectors: 2560, maxSegmentSize: 1024 * K, segBoundaryMask: 0xffffn, segBoundarySize: 64 * K });
    expect(bioSplitToLimits(shifted, lim, PAGE)[0].nrSegs).toBe(5);
    const sg = new ScatterList();
    blkRqMapSg([shifted], lim, PAGE, sg);
    expect(Array.from(sg.length.subarray(0, sg.nents))).toEqual([32 * K, 64 * K, 64 * K, 64 * K, 32 * K]);
  });

  it('splits where the virt boundary forbids a gap (NVMe, NVME_CTRL_PAGE_SIZE - 1)', () => {
    const bio: Bio = {
      sector: 0,
      bytes: 4096 + 3584,
      bvecs: [
        { phys: BASE, len: 4096 },
        { phys: BASE + 0x10_0200, len: 3584 },
      ],
      nrSegs: 0,
    };
    const pieces = bioSplitToLimits(bio, limits({ virtBoundaryMask: 4095, maxSegmentSize: 0xffffffff }), PAGE);
    expect(pieces.map((p) => p.bytes)).toEqual([4096, 3584]);
  });

  it('get_max_io_size() ends a split on a physical block when it can', () => {
    expect(getMaxIoSectors(limits({ physicalBlockSize: 4096 }), 3)).toBe(253);
    expect(getMaxIoSectors(limits(), 3)).toBe(256);
  });
});

describe('blk_rq_map_sg() (block/blk-merge.c __blk_bios_map_sg, 5.19)', () => {
  it('joins the first bvec of the next bio to the previous entry when physically contiguous', () => {
    const lim = limits();
    const a: Bio = { sector: 0, bytes: 4096, bvecs: [{ phys: BASE, len: 4096 }], nrSegs: 1 };
    const b: Bio = { sector: 8, bytes: 4096, bvecs: [{ phys: BASE + 4096, len: 4096 }], nrSegs: 1 };
    const c: Bio = { sector: 16, bytes: 4096, bvecs: [{ phys: BASE + 0x10_0000, len: 4096 }], nrSegs: 1 };
    const sg = new ScatterList();
    expect(blkRqMapSg([a, b, c], lim, PAGE, sg)).toBe(2);
    expect(Array.from(sg.length.subarray(0, 2))).toEqual([8192, 4096]);
    // ...but not past max_segment_size.
    expect(blkRqMapSg([a, b], limits({ maxSegmentSize: 4096 }), PAGE, sg)).toBe(2);
  });
});

describe('remainder', () => {
  it('is the mathematical x mod m for whole numbers, below and above 2^31, powers of two or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 40 }), (x, m, shift) => {
        for (const [a, b] of [
          [x, m],
          [x % 2 ** 31, m],
          [x % 2 ** 31, 2 ** Math.min(shift, 30)],
          [x, 2 ** shift],
        ]) {
          expect(remainder(a, b)).toBe(Number(BigInt(a) % BigInt(b)));
        }
      }),
    );
  });
});
