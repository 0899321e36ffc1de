import { describe, expect, it } from 'vitest';
import { patchDescription } from '../../src/block/host-description.js';
import { ataDevConfigureMaxSectors, ataScsiDevConfig } from '../../src/block/libata.js';
import { PRESETS, SATA_LBA48_DISK } from '../../src/block/presets.js';
import { probeHost } from '../../src/block/probe.js';
import { defaultQueueLimits, sysfsView } from '../../src/block/queue-limits.js';
import { scsiAddHostWithDma, scsiHostAlloc, scsiInitQueue } from '../../src/block/scsi-host.js';
import { SIZE_MAX } from '../../src/dma/mapping-size.js';

const HISI_SATA = patchDescription(PRESETS['hisi_sas-smmuv3'], { disk: SATA_LBA48_DISK });

describe('ata_dev_configure() max_sectors (drivers/ata/libata-core.c)', () => {
  it('ATA_MAX_SECTORS 256, LBA48 65535, bridge-limited 256, ATAPI tape 65535', () => {
    expect(ataDevConfigureMaxSectors({ lba48: false })).toBe(256);
    expect(ataDevConfigureMaxSectors({ lba48: true })).toBe(65535);
    expect(ataDevConfigureMaxSectors({ lba48: true, bridgeLimited: true })).toBe(256);
    expect(ataDevConfigureMaxSectors({ lba48: false, atapi: true, tape: true })).toBe(65535);
  });

  it('quirks: MAX_SEC_128 and MAX_SEC_1024 take the minimum, MAX_SEC_LBA48 sets 65535', () => {
    expect(ataDevConfigureMaxSectors({ lba48: true, quirks: ['max_sec_128'] })).toBe(128);
    expect(ataDevConfigureMaxSectors({ lba48: true, quirks: ['max_sec_1024'] })).toBe(1024);
    expect(ataDevConfigureMaxSectors({ lba48: false, quirks: ['max_sec_1024'] })).toBe(256);
    expect(ataDevConfigureMaxSectors({ lba48: false, quirks: ['max_sec_lba48'] })).toBe(65535);
  });
});

describe('ata_scsi_dev_config() host clamp (0568e6122574: series v3 patch 4, merged for 6.0)', () => {
  it('seed: an LBA48 disk behind the SAS host capped to 256 sectors gets 256', () => {
    const setup = probeHost(HISI_SATA, { kernel: '6.0', cap: 'seed' });
    expect(setup.host!.maxSectors).toBe(256);
    expect(setup.ataMaxSectors).toBe(256);
    expect(setup.limits.maxHwSectors).toBe(256);
  });

  it('merged: the same disk gets the host max 1024 as max_hw_sectors and sd caps the soft limit to opt_sectors 256', () => {
    // 6.1: the merged series without hisi_sas's own 5.19/6.0 cap (fce54ed02757, reverted by 245050af5d15).
    const setup = probeHost(HISI_SATA, { kernel: '6.1', cap: 'merged' });
    expect(setup.ataMaxSectors).toBe(1024);
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(512);
    expect(sysfsView(setup.limits).max_sectors_kb).toBe(128);
  });

  it('none (5.18): blk_queue_max_hw_sectors(dev->max_sectors) replaces the host limit: max_hw_sectors_kb 32767', () => {
    // 5.18: before hisi_sas's own cap of 5.19 (fce54ed02757).
    const setup = probeHost(HISI_SATA, { kernel: '5.18', cap: 'none' });
    expect(setup.ataMaxSectors).toBe(65535);
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(32767);
    expect(sysfsView(setup.limits).max_sectors_kb).toBe(1280);
  });

  it('merged AHCI: a357f7b4583e (6.0-rc2) sets __ATA_BASE_SHT max_sectors = 65535, so LBA48 disks keep 32767 KiB', () => {
    const setup = probeHost(PRESETS['ahci-vtd'], { kernel: '6.0', cap: 'merged' });
    expect(setup.host!.maxSectors).toBe(65535);
    expect(sysfsView(setup.limits).max_hw_sectors_kb).toBe(32767);
    expect(sysfsView(setup.limits).max_sectors_kb).toBe(1280);
  });

  it('without that template fix (6.0-rc1) the clamp shrank AHCI disks to SCSI_DEFAULT_MAX_SECTORS: the LKP 512/512', () => {
    // A libata template seen as a plain SCSI host gets no LBA48 template value.
    const host = scsiHostAlloc({ name: 'ahci', transport: 'scsi', sgTablesize: 168, canQueue: 32 }, 'merged');
    scsiAddHostWithDma(host, { max: SIZE_MAX, opt: SIZE_MAX }, 'merged');
    const lim = defaultQueueLimits();
    scsiInitQueue(host, lim, { max: SIZE_MAX, opt: SIZE_MAX }, 'merged', 4096, 2560);
    const devMax = ataScsiDevConfig({ lba48: true }, host, lim, 'merged', 4096, 2560);
    expect(devMax).toBe(1024);
    expect(sysfsView(lim).max_hw_sectors_kb).toBe(512);
    expect(sysfsView(lim).max_sectors_kb).toBe(512);
  });

  it('ATAPI devices give one segment to the drain buffer', () => {
    const host = scsiHostAlloc({ name: 'ahci', transport: 'ata', sgTablesize: 168, canQueue: 32 }, 'merged');
    const lim = defaultQueueLimits();
    scsiInitQueue(host, lim, { max: SIZE_MAX, opt: SIZE_MAX }, 'merged', 4096, 2560);
    ataScsiDevConfig({ lba48: false, atapi: true }, host, lim, 'merged', 4096, 2560);
    expect(lim.maxSegments).toBe(167);
  });
});
