// blk_rq_map_sg() of a request mixing single-page bvecs and a multi-page bvec that is cut at
// max_segment_size, into a list too short for it: every entry in order, and no DMA-side leftovers.
import { describe, expect, it } from 'vitest';
import type { Bio } from '../../src/block/bio-split.js';
import { defaultQueueLimits } from '../../src/block/queue-limits.js';
import { blkRqMapSg } from '../../src/block/rq-map-sg.js';
import { ScatterList } from '../../src/dma/scatterlist.js';

const K = 1024;
const M = 1024 * K;
const BASE = 0x2_4000_0000;
const PAGE = 4096;

describe('blkRqMapSg', () => {
  it('cuts a multi-page bvec between single-page ones, growing the list, and clears the DMA columns', () => {
    const lim = { ...defaultQueueLimits(), maxHwSectors: 2560, maxSectors: 2560, maxSegmentSize: 64 * K };
    const bios: Bio[] = [
      { sector: 0, bytes: 4 * K + 256 * K, bvecs: [{ phys: BASE, len: 4 * K }, { phys: BASE + M, len: 256 * K }], nrSegs: 5 },
      // Physically continues the 256 KiB bvec, but its last entry is already 64 KiB: a new entry.
      { sector: 520, bytes: 4 * K, bvecs: [{ phys: BASE + M + 256 * K, len: 4 * K }], nrSegs: 1 },
      { sector: 528, bytes: 6 * K, bvecs: [{ phys: BASE + 2 * M, len: 2 * K }, { phys: BASE + 3 * M, len: 4 * K }], nrSegs: 2 },
    ];
    const sg = new ScatterList(2);
    // Leftovers of an earlier mapping of the same list.
    sg.dmaLength.fill(7);
    sg.dmaAddress.fill(7);
    sg.iovaLength.fill(7);
    expect(blkRqMapSg(bios, lim, PAGE, sg)).toBe(8);
    const entries = Array.from({ length: sg.nents }, (_, i) => [sg.phys[i] - BASE, sg.length[i]]);
    expect(entries).toEqual([
      [0, 4 * K],
      [M, 64 * K],
      [M + 64 * K, 64 * K],
      [M + 128 * K, 64 * K],
      [M + 192 * K, 64 * K],
      [M + 256 * K, 4 * K],
      [2 * M, 2 * K],
      [3 * M, 4 * K],
    ]);
    for (let i = 0; i < sg.nents; i++) expect([sg.dmaAddress[i], sg.dmaLength[i], sg.iovaLength[i]], `entry ${i}`).toEqual([0, 0, 0]);
  });
});
