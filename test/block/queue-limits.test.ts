import { describe, expect, it } from 'vitest';
import { patchDescription } from '../../src/block/host-description.js';
import { nvmeSetQueueLimits } from '../../src/block/nvme.js';
import { PRESETS } from '../../src/block/presets.js';
import { probeHost } from '../../src/block/probe.js';
import {
  blkQueueBlockSizes,
  blkQueueMaxHwSectors,
  blkQueueMaxSegmentSize,
  blkQueueSegmentBoundary,
  blkQueueVirtBoundary,
  blkValidateMaxSectors,
  defaultQueueLimits,
  sysfsView,
} from '../../src/block/queue-limits.js';
import { dmaKernelFeatures } from '../../src/dma/kernel-features.js';
import { SIZE_MAX } from '../../src/dma/mapping-size.js';

describe('blk_queue_max_hw_sectors() (block/blk-settings.c, 5.19)', () => {
  it('max_sectors = min(max_hw, BLK_DEF_MAX_SECTORS 2560); raised to one page; rounded to the logical block', () => {
    const lim = defaultQueueLimits();
    blkQueueMaxHwSectors(lim, 65535, 4096, dmaKernelFeatures('5.19').blkDefMaxSectors);
    expect(lim.maxHwSectors).toBe(65535);
    expect(lim.maxSectors).toBe(2560);
    blkQueueMaxHwSectors(lim, 3, 4096, 2560);
    expect(lim.maxHwSectors).toBe(8);
    blkQueueBlockSizes(lim, 4096, 4096);
    blkQueueMaxHwSectors(lim, 1023, 4096, 2560);
    expect(lim.maxHwSectors).toBe(1016);
  });

  it('BLK_DEF_MAX_SECTORS_CAP is 8192 (4 MiB) from 9b8b84879d4a (~6.17), 2560 before', () => {
    expect(dmaKernelFeatures('6.16').blkDefMaxSectors).toBe(2560);
    expect(dmaKernelFeatures('6.17').blkDefMaxSectors).toBe(8192);
    const old = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '6.16', cap: 'none' });
    const neu = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '6.17', cap: 'none' });
    expect(sysfsView(old.limits).max_sectors_kb).toBe(1280);
    expect(sysfsView(neu.limits).max_sectors_kb).toBe(4096);
  });

  it('segment size at least a page, boundary at least PAGE_SIZE - 1, and a virt boundary lifts the segment size', () => {
    const lim = defaultQueueLimits();
    blkQueueMaxSegmentSize(lim, 512, 4096);
    expect(lim.maxSegmentSize).toBe(4096);
    blkQueueSegmentBoundary(lim, 0xffn, 4096);
    expect(lim.segBoundaryMask).toBe(0xfffn);
    blkQueueVirtBoundary(lim, 4095);
    expect(lim.maxSegmentSize).toBe(0xffffffff);
  });
});

describe('blk_validate_limits() max_sectors (6.11+, a23634644afc)', () => {
  it('an io_opt above the cap sets max_sectors; below the cap it does not; max_user_sectors wins', () => {
    const lim = defaultQueueLimits();
    lim.maxHwSectors = 32767;
    lim.ioOpt = 16776704;
    blkValidateMaxSectors(lim, 2560, 4096);
    expect(lim.maxSectors).toBe(32767);
    lim.ioOpt = 131072;
    blkValidateMaxSectors(lim, 2560, 4096);
    expect(lim.maxSectors).toBe(2560);
    lim.maxUserSectors = 128;
    blkValidateMaxSectors(lim, 2560, 4096);
    expect(lim.maxSectors).toBe(128);
  });

  it('mpt3sas without an IOMMU on 6.11: opt_sectors = max_sectors 32767, so optimal_io_size 16776704 (spec §5.6)', () => {
    const setup = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '6.11', cap: 'merged' });
    expect(setup.host!.optSectors).toBe(32767);
    expect(sysfsView(setup.limits).optimal_io_size).toBe(16776704);
    // The same host on 6.10 had no io_opt; sd capped the soft limit to opt_sectors instead.
    const before = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '6.10', cap: 'merged' });
    expect(sysfsView(before.limits).optimal_io_size).toBe(0);
  });

  it('9c0ba14828d6 rounds io_opt down to the physical block size from 6.12, not in 6.11.0 (16776704 vs 16773120, spec §5.6)', () => {
    const host = patchDescription(PRESETS['mpt3sas-noiommu'], { disk: { physicalBlockSize: 4096 } });
    expect(sysfsView(probeHost(host, { kernel: '6.11', cap: 'merged' }).limits).optimal_io_size).toBe(16776704);
    expect(sysfsView(probeHost(host, { kernel: '6.12', cap: 'merged' }).limits).optimal_io_size).toBe(16773120);
  });

  it('sd: a valid OPTIMAL TRANSFER LENGTH sets the soft limit (pre-6.11) and io_opt', () => {
    const host = patchDescription(PRESETS['mpt3sas-noiommu'], { disk: { optXferBlocks: 2048 } });
    const setup = probeHost(host, { kernel: '5.19', cap: 'none' });
    expect(setup.limits.maxSectors).toBe(2048);
    expect(setup.limits.ioOpt).toBe(1024 * 1024);
  });
});

describe('NVMe queue limits (drivers/nvme/host/pci.c, core.c)', () => {
  it('before 6.4: max_hw_sectors = min(NVME_MAX_KB_SZ << 1, dma_max >> 9, MDTS) = 4 MiB behind AMD-Vi', () => {
    const setup = probeHost(PRESETS['nvme-amdvi'], { kernel: '6.2' });
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(4096);
    expect(sysfsView(setup.limits).max_sectors_kb).toBe(1280);
    expect(setup.limits.maxSegments).toBe(127);
  });

  it('6.3 (7846c1b5a5db): NVME_MAX_KB_SZ 8192 and NVME_MAX_SEGS 128; MDTS still limits to 4 MiB', () => {
    const setup = probeHost(PRESETS['nvme-amdvi'], { kernel: '6.3' });
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(4096);
    expect(setup.limits.maxSegments).toBe(128);
    expect(setup.trail[0]).toContain('NVME_MAX_KB_SZ << 1 = 16384');
    const noMdts = probeHost(patchDescription(PRESETS['nvme-amdvi'], { disk: { mdts: 0 } }), { kernel: '6.3' });
    expect(sysfsView(noMdts.limits).max_hw_sectors_kb).toBe(8192);
    expect(sysfsView(probeHost(patchDescription(PRESETS['nvme-amdvi'], { disk: { mdts: 0 } }), { kernel: '6.2' }).limits).max_hw_sectors_kb).toBe(4096);
  });

  it('6.17 (7ce3c1dd78fc, 16353f1b0e08: blk_rq_dma_map): 8 MiB and 256 segments, below the opt cap of 6.4+', () => {
    const passthrough = patchDescription(PRESETS['nvme-amdvi'], { iommu: { mode: 'passthrough' }, disk: { mdts: 0 } });
    expect(probeHost(passthrough, { kernel: '6.16' }).limits.maxSegments).toBe(128);
    const setup = probeHost(passthrough, { kernel: '6.17' });
    expect(setup.limits.maxSegments).toBe(256);
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(8192);
    // Behind the IOMMU dma_opt_mapping_size (128 KiB) decides, as from 6.4: 33 segments.
    expect(probeHost(PRESETS['nvme-amdvi'], { kernel: '6.17' }).limits.maxSegments).toBe(33);
  });

  it('6.4+ (3710e2b056cb): capped by dma_opt_mapping_size: 128 KiB, max_segments 33', () => {
    const setup = probeHost(PRESETS['nvme-amdvi'], { kernel: '6.4' });
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(128);
    expect(setup.limits.maxSegments).toBe(33);
    expect(setup.limits.virtBoundaryMask).toBe(4095);
    expect(setup.limits.maxSegmentSize).toBe(0xffffffff);
  });

  it('MDTS limits what the DMA layer allows (MDTS 5 = 128 KiB) without an IOMMU', () => {
    const lim = defaultQueueLimits();
    const r = nvmeSetQueueLimits(lim, { mdts: 5 }, { max: SIZE_MAX, opt: SIZE_MAX }, dmaKernelFeatures('6.6'), 4096);
    expect(r.maxHwSectors).toBe(256);
  });
});
