import { describe, expect, it } from 'vitest';
import { patchDescription } from '../../src/block/host-description.js';
import { PRESETS } from '../../src/block/presets.js';
import { probeHost } from '../../src/block/probe.js';
import { defaultQueueLimits, sysfsView } from '../../src/block/queue-limits.js';
import {
  sasHostSetup,
  scsiAddHostWithDma,
  scsiHostAlloc,
  scsiInitQueue,
  SCSI_DEFAULT_MAX_SECTORS,
  type HostTemplate,
} from '../../src/block/scsi-host.js';
import { DmaDevice } from '../../src/dma/device.js';
import { dmaKernelFeatures } from '../../src/dma/kernel-features.js';
import { dmaMaxMappingSize, dmaOptMappingSize, SIZE_MAX } from '../../src/dma/mapping-size.js';

const SAS: HostTemplate = { name: 'sas-hba', transport: 'sas', maxSectors: 1024, sgTablesize: 124, canQueue: 4000 };

/** The mapping sizes of a 64-bit PCI device behind a translated 4 KiB IOMMU on 6.0. */
function iommuSizes() {
  const input = { mode: 'translated' as const, pageSize: 4096, device: new DmaDevice(), features: dmaKernelFeatures('6.0') };
  return { max: dmaMaxMappingSize(input), opt: dmaOptMappingSize(input) };
}

describe('scsi_add_host_with_dma() cap variants (drivers/scsi/hosts.c, spec §4.1)', () => {
  it('seed (series v3, May-June 2022): a SAS host with max_sectors 1024 is capped to 256 by dma_opt_mapping_size', () => {
    const host = scsiHostAlloc(SAS, 'seed');
    scsiAddHostWithDma(host, iommuSizes(), 'seed');
    sasHostSetup(host, iommuSizes(), 'seed');
    expect(host.maxSectors).toBe(256);
    expect(host.optSectors).toBe(0);
  });

  it('merged (6.0, bb7d1283e628 + 4cbfca5f7750): max_sectors stays 1024 (dma_max_mapping_size), opt_sectors = 256', () => {
    const host = scsiHostAlloc(SAS, 'merged');
    scsiAddHostWithDma(host, iommuSizes(), 'merged');
    sasHostSetup(host, iommuSizes(), 'merged');
    expect(host.maxSectors).toBe(1024);
    expect(host.optSectors).toBe(256);
  });

  it('merged: only the SAS transport class sets opt_sectors (sas_host_setup)', () => {
    const host = scsiHostAlloc({ ...SAS, transport: 'scsi' }, 'merged');
    sasHostSetup(host, iommuSizes(), 'merged');
    expect(host.optSectors).toBe(0);
  });

  it('none (5.19 __scsi_init_queue): only dma_max_mapping_size caps, per queue', () => {
    const host = scsiHostAlloc(SAS, 'none');
    scsiAddHostWithDma(host, iommuSizes(), 'none');
    const lim = defaultQueueLimits();
    scsiInitQueue(host, lim, { max: 256 * 1024, opt: SIZE_MAX }, 'none', 4096, 2560);
    // a swiotlb-limited device: 256 KiB >> 9 = 512 sectors
    expect(host.maxSectors).toBe(512);
    expect(lim.maxHwSectors).toBe(512);
  });

  it('scsi_host_alloc(): template max_sectors 0 means SCSI_DEFAULT_MAX_SECTORS, and the 4 GiB / 64 KiB defaults', () => {
    const host = scsiHostAlloc({ name: 'x', transport: 'scsi', sgTablesize: 64, canQueue: 1 }, 'none');
    expect(host.maxSectors).toBe(SCSI_DEFAULT_MAX_SECTORS);
    expect(host.maxSegmentSize).toBe(65536);
    expect(host.dmaBoundary).toBe(0xffff_ffffn);
  });

  it('__scsi_init_queue(): max_segments = min(sg_tablesize, SG_MAX_SEGMENTS) and the DMA device gets the boundary', () => {
    const host = scsiHostAlloc({ ...SAS, sgTablesize: 4096, dmaBoundary: 0xffffn }, 'merged');
    const lim = defaultQueueLimits();
    const pushed = scsiInitQueue(host, lim, iommuSizes(), 'merged', 4096, 2560);
    expect(lim.maxSegments).toBe(2048);
    expect(pushed.segBoundaryMask).toBe(0xffffn);
    expect(lim.segBoundarySize).toBe(65536);
  });

  it('seed leaves hosts without an IOMMU alone: opt = SIZE_MAX, so mpt3sas keeps 32767 sectors', () => {
    const setup = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '5.19', cap: 'seed' });
    expect(setup.host!.maxSectors).toBe(32767);
    expect(setup.limits.maxHwSectors).toBe(32767);
  });

  it('sd_revalidate_disk (608128d391fa, 6.0): the SAS disk on that host gets max_sectors_kb 128, max_hw_sectors_kb 512', () => {
    // 6.1: the merged series without hisi_sas's own 5.19/6.0 cap (fce54ed02757, reverted by 245050af5d15).
    const merged = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.1', cap: 'merged' });
    expect(merged.limits.maxSectors).toBe(256);
    expect(merged.limits.maxHwSectors).toBe(1024);
    const seed = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.0', cap: 'seed' });
    expect(seed.limits.maxHwSectors).toBe(256);
    const none = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '5.18', cap: 'none' });
    expect(none.limits.maxSectors).toBe(1024);
  });

  it('6.11+ (a23634644afc): opt_sectors becomes io_opt; an io_opt below the default cap no longer lowers max_sectors', () => {
    const setup = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.11', cap: 'merged' });
    expect(setup.limits.ioOpt).toBe(128 * 1024);
    expect(setup.limits.maxSectors).toBe(1024);
  });

  it('the default variant follows the kernel: merged from 6.0, none before', () => {
    const host = patchDescription(PRESETS['hisi_sas-smmuv3'], {});
    expect(probeHost(host, { kernel: '6.1' }).variant).toBe('merged');
    expect(probeHost(host, { kernel: '5.15' }).variant).toBe('none');
  });
});

describe('host drivers\' slave_configure hooks (src/block/slave-configure.ts)', () => {
  const kb = (kernel: string, disk: 'sas' | 'sata', cap?: 'none' | 'seed' | 'merged') => {
    const base = PRESETS['hisi_sas-smmuv3'];
    const host = disk === 'sas' ? base : patchDescription(base, { disk: { type: 'sata', lba48: true } });
    const view = sysfsView(probeHost(host, { kernel, cap }).limits);
    return [view.max_hw_sectors_kb, view.max_sectors_kb];
  };

  it('hisi_sas v3 on 5.19 and 6.0 caps max_hw_sectors at 32 pages (fce54ed02757): a Kunpeng host shows 128/128 KiB', () => {
    expect(kb('5.19', 'sas', 'none')).toEqual([128, 128]);
    expect(kb('5.19', 'sata', 'none')).toEqual([128, 128]);
    expect(kb('6.0', 'sas', 'merged')).toEqual([128, 128]);
    expect(kb('6.0', 'sata', 'merged')).toEqual([128, 128]);
  });

  it('is absent before 5.19 and after its revert in 6.1 (245050af5d15)', () => {
    expect(kb('5.18', 'sas', 'none')).toEqual([512, 512]);
    expect(kb('5.12', 'sata', 'none')).toEqual([32767, 1280]);
    expect(kb('6.1', 'sas', 'merged')).toEqual([512, 128]);
  });

  it('caps in every IOMMU mode, and says so in the trail', () => {
    const passthrough = patchDescription(PRESETS['hisi_sas-smmuv3'], { iommu: { mode: 'passthrough' } });
    const setup = probeHost(passthrough, { kernel: '5.19', cap: 'none' });
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(128);
    expect(setup.trail.some((line) => line.startsWith('slave_configure_v3_hw (fce54ed02757'))).toBe(true);
    // Other drivers have no hook: mpt3sas keeps its 32767 sectors on 5.19.
    expect(probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '5.19', cap: 'none' }).limits.maxHwSectors).toBe(32767);
  });
});
