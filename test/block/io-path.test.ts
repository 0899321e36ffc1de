import { describe, expect, it } from 'vitest';
import { patchDescription } from '../../src/block/host-description.js';
import { footprintOfBytes, planIo } from '../../src/block/io-path.js';
import { PRESETS, SATA_LBA48_DISK } from '../../src/block/presets.js';
import { createDomain, probeHost } from '../../src/block/probe.js';
import { DmaMapping } from '../../src/dma/mapping.js';

const K = 1024;

describe('the I/O path: bio -> request -> blk_rq_map_sg -> iommu_dma_map_sg IOVA (spec §3.5, §4.2)', () => {
  it('hisi_sas on 6.0: a 128 KiB I/O whose first segment starts mid-page needs 33 granules: order 6, not cacheable', () => {
    const setup = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.0', cap: 'merged' });
    const [mid] = planIo(setup, { ioBytes: 128 * K, offset: 2048 });
    expect(mid.sgEntries).toBe(33);
    expect(mid.iova).toEqual({ iovaBytes: 33 * 4096, granules: 33, allocGranules: 33, order: 6, rcacheable: false });
    const [aligned] = planIo(setup, { ioBytes: 128 * K, offset: 0 });
    expect(aligned.iova).toEqual(expect.objectContaining({ granules: 32, order: 5, rcacheable: true }));
  });

  it('mapping the planned requests for real gives the same IOVA sizes, and the 33-granule one leaves the rcache empty', () => {
    const setup = probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '6.0' });
    const domain = createDomain(setup, { cpus: 1 });
    const dma = new DmaMapping(domain);
    const [mid] = planIo(setup, { ioBytes: 128 * K, offset: 2048 });
    expect(dma.mapSg(setup.device, mid.sg, 0)).toBe(3);
    expect(mid.sg.iovaBytes).toBe(mid.iova!.iovaBytes);
    dma.unmapSg(setup.device, mid.sg, 0);
    expect(domain.allocator!.findIova(mid.sg.iova / 4096)).toBeNull();
  });

  it('AHCI behind VT-d: 1 MiB becomes 168 + 88 pages on merged 6.0 (max_segments binds), 8 x 32 under seed', () => {
    const merged = probeHost(PRESETS['ahci-vtd'], { kernel: '6.0', cap: 'merged' });
    expect(planIo(merged, { ioBytes: 1024 * K }).map((p) => p.iova!.granules)).toEqual([168, 88]);
    const seed = probeHost(PRESETS['ahci-vtd'], { kernel: '6.0', cap: 'seed' });
    const plans = planIo(seed, { ioBytes: 1024 * K });
    expect(plans.map((p) => p.iova!.granules)).toEqual(Array(8).fill(32));
    expect(plans.every((p) => p.iova!.rcacheable)).toBe(true);
  });

  it('NVMe behind AMD-Vi: 4 MiB IOVAs before 6.4 (the lockup case), 128 KiB from 6.4 (3710e2b056cb)', () => {
    const old = probeHost(PRESETS['nvme-amdvi'], { kernel: '6.3' });
    // max_sectors 1280 KiB by default; a 2 MiB huge-page buffer keeps segments contiguous.
    expect(planIo(old, { ioBytes: 1024 * K, chunkBytes: 2048 * K }).map((p) => p.iova!.granules)).toEqual([256]);
    const neu = probeHost(PRESETS['nvme-amdvi'], { kernel: '6.4' });
    expect(planIo(neu, { ioBytes: 1024 * K }).map((p) => p.iova!.granules)).toEqual(Array(8).fill(32));
  });

  it('without an IOMMU there is no IOVA at all (mpt3sas): requests only', () => {
    const setup = probeHost(PRESETS['mpt3sas-noiommu'], { kernel: '6.0' });
    const plans = planIo(setup, { ioBytes: 1024 * K });
    expect(plans.length).toBe(2);
    expect(plans.every((p) => p.iova === null)).toBe(true);
  });

  it('alloc_iova_fast() rounding: 3 granules allocate 4; 33 stay 33; order_base_2 picks the class', () => {
    expect(footprintOfBytes(3 * 4096, 4096)).toEqual({ iovaBytes: 12288, granules: 3, allocGranules: 4, order: 2, rcacheable: true });
    expect(footprintOfBytes(33 * 4096, 4096).allocGranules).toBe(33);
    const sata = patchDescription(PRESETS['hisi_sas-smmuv3'], { disk: SATA_LBA48_DISK });
    expect(planIo(probeHost(sata, { kernel: '6.0', cap: 'seed' }), { ioBytes: 12 * K })[0].iova!.allocGranules).toBe(4);
  });
});
