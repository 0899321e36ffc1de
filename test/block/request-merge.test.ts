import { describe, expect, it } from 'vitest';
import { singleBio, type Bio } from '../../src/block/bio-split.js';
import { planIo } from '../../src/block/io-path.js';
import { PRESETS } from '../../src/block/presets.js';
import { probeHost } from '../../src/block/probe.js';
import { defaultQueueLimits, type QueueLimits } from '../../src/block/queue-limits.js';
import { RequestMerger, type MergePolicy } from '../../src/block/request-merge.js';

const K = 1024;
const BASE = 0x2_4000_0000;

function limits(patch: Partial<QueueLimits> = {}): QueueLimits {
  return { ...defaultQueueLimits(), maxHwSectors: 1024, maxSectors: 256, maxSegments: 124, ...patch };
}

/** 4 KiB bios at the given sectors, each in its own (non-contiguous) page. */
function pages(sectors: number[]): Bio[] {
  return sectors.map((s, i) => singleBio(s, BASE + i * 0x10_0000, 4096));
}

function merge(bios: Bio[], lim: QueueLimits, policy: MergePolicy = 'plug') {
  const merger = new RequestMerger(lim, 4096, policy);
  for (const bio of bios) merger.submit(bio);
  return merger.flush();
}

describe('ll_back_merge_fn / ll_front_merge_fn / blk_attempt_plug_merge (block/blk-merge.c, 5.19)', () => {
  it('sequential 4 KiB bios back-merge until max_sectors (256 sectors = 32 pages)', () => {
    const reqs = merge(pages(Array.from({ length: 100 }, (_, i) => i * 8)), limits());
    expect(reqs.map((r) => r.bytes)).toEqual([128 * K, 128 * K, 128 * K, 16 * K]);
    expect(reqs[1].sector).toBe(256);
    expect(reqs[0].nrPhysSegments).toBe(32);
  });

  it('...or until max_segments when that binds first (124 segments with max_sectors 1024)', () => {
    const reqs = merge(pages(Array.from({ length: 300 }, (_, i) => i * 8)), limits({ maxSectors: 1024 }));
    expect(reqs.map((r) => r.nrPhysSegments)).toEqual([124, 124, 52]);
  });

  it('front merges: a backwards stream ends as one request starting at the lowest sector', () => {
    const reqs = merge(pages([24, 16, 8, 0]), limits());
    expect(reqs.length).toBe(1);
    expect(reqs[0].sector).toBe(0);
    expect(reqs[0].bytes).toBe(16 * K);
  });

  it('the plug only tries its most recent request; an elevator tries them all', () => {
    const interleaved = pages([0, 1000, 8, 1008, 16, 1016]);
    expect(merge(interleaved, limits(), 'plug').length).toBe(6);
    expect(merge(pages([0, 1000, 8, 1008, 16, 1016]), limits(), 'elevator').length).toBe(2);
    expect(merge(pages([0, 8, 16]), limits(), 'none').length).toBe(3);
  });

  it('blk_add_rq_to_plug(): a last request of BLK_PLUG_FLUSH_SIZE (128 KiB) is flushed before the next is plugged', () => {
    const big = singleBio(0, BASE, 128 * K);
    const other = singleBio(10000, BASE + 0x100_0000, 4096);
    const follow = singleBio(256, BASE + 0x200_0000, 4096);
    const lim = limits({ maxSectors: 1024, maxSegmentSize: 128 * K });
    expect(merge([big, other, follow], lim, 'plug').length).toBe(3);
    const again = merge([singleBio(0, BASE, 128 * K), singleBio(10000, BASE + 0x100_0000, 4096), singleBio(256, BASE + 0x200_0000, 4096)], lim, 'elevator');
    expect(again.length).toBe(2);
  });

  it('bio_will_gap(): with a virt boundary, a bio starting mid-page does not merge', () => {
    const lim = limits({ virtBoundaryMask: 4095, maxSegmentSize: 0xffffffff });
    const a = singleBio(0, BASE, 4096);
    const b = singleBio(8, BASE + 0x10_0800, 2048);
    expect(merge([a, b], lim).length).toBe(2);
    expect(merge([singleBio(0, BASE, 4096), singleBio(8, BASE + 0x10_0000, 2048)], lim).length).toBe(1);
  });
});

describe('sequential 4 KiB I/O becomes large mappings (spec §4.2)', () => {
  it('before the series (5.18 none) 300 x 4 KiB reads on hisi_sas merge into 124-page IOVAs, order 7, never cached', () => {
    // 5.18: before hisi_sas's own 128 KiB cap (fce54ed02757, 5.19 and 6.0).
    const setup = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '5.18', cap: 'none' });
    const plans = planIo(setup, { ioBytes: 4096, count: 300 });
    expect(plans.map((p) => p.iova!.granules)).toEqual([124, 124, 52]);
    expect(plans.every((p) => !p.iova!.rcacheable)).toBe(true);
  });

  it('with the merged cap (6.0) the same reads become 32-page IOVAs the rcache holds', () => {
    const setup = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.0', cap: 'merged' });
    const plans = planIo(setup, { ioBytes: 4096, count: 300 });
    expect(plans.length).toBe(10);
    expect(plans.slice(0, 9).every((p) => p.iova!.granules === 32 && p.iova!.rcacheable)).toBe(true);
    expect(plans[9].iova!.granules).toBe(12);
    expect(plans[9].iova!.allocGranules).toBe(16);
  });
});
