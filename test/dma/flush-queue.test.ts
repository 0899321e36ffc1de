import { describe, expect, it } from 'vitest';
import type { IovaDomain } from '../../src/allocators/iova-domain.js';
import { DmaDevice } from '../../src/dma/device.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { IOVA_FQ_SIZE, IOVA_SINGLE_FQ_SIZE } from '../../src/dma/flush-queue.js';
import { IommuDmaDomain, type IommuDmaDomainOptions } from '../../src/dma/iommu-dma-domain.js';

const BIG = 256 * 1024; // 64 granules: order 6, never cached, so free_iova_fast() frees it to the tree

function lazy(options: Partial<IommuDmaDomainOptions> = {}) {
  const dev = new DmaDevice({ name: 'nvme0' });
  const domain = new IommuDmaDomain({ kernel: '5.19', invalidation: 'lazy', cpus: 2, devices: [dev], ...options });
  return { domain, dma: new IommuDma(domain), dev, fq: domain.flushQueue!, tree: domain.allocator! };
}

describe('queue_iova / fq_ring_free / fq_flush_timeout (drivers/iommu/dma-iommu.c, 5.19 @ 6d9870b7e5de)', () => {
  it('a lazy unmap returns the IOVA only after a flush that started after it was queued (10 ms timer)', () => {
    const { domain, dma, dev, fq, tree } = lazy();
    const addr = dma.mapPage(dev, 0x1_0000_0000, BIG, 0);
    const pfn = addr / 4096;
    dma.unmapPage(dev, addr, BIG, 0);
    expect(fq.pending).toBe(1);
    expect(tree.findIova(pfn)).not.toBeNull();
    expect(domain.iotlbInvalidations).toBe(0);

    domain.advanceTo(9);
    expect(tree.findIova(pfn)).not.toBeNull();
    domain.advanceTo(10); // IOVA_FQ_TIMEOUT: flush_iotlb_all(), then every ring is freed
    expect(fq.timerFlushes).toBe(1);
    expect(domain.iotlbInvalidations).toBe(1);
    expect(fq.pending).toBe(0);
    expect(tree.findIova(pfn)).toBeNull();
  });

  it('an entry queued after a flush waits for the next one: counter = start_cnt, freed when counter < finish_cnt', () => {
    const { domain, dma, dev, fq, tree } = lazy({ cpus: 1 });
    const usable = IOVA_FQ_SIZE - 1;
    const addrs: number[] = [];
    for (let i = 0; i <= usable; i++) addrs.push(dma.mapPage(dev, 0x1_0000_0000 + i * BIG, BIG, 0));
    for (let i = 0; i < usable; i++) dma.unmapPage(dev, addrs[i], BIG, 0);
    // 255 entries fill the 256-slot ring.
    expect(fq.rings[0].full).toBe(true);
    expect(fq.flushes).toBe(0);
    // The 256th queue_iova() finds the ring full: flush, free all 255 (counter 0 < finish 1), then queue.
    dma.unmapPage(dev, addrs[usable], BIG, 0);
    expect(fq.fullFlushes).toBe(1);
    expect(fq.pending).toBe(1);
    expect(tree.findIova(addrs[0] / 4096)).toBeNull();
    const last = addrs[usable] / 4096;
    expect(fq.rings[0].counters[fq.rings[0].head]).toBe(1);
    // Another queue_iova() frees nothing new: no flush started after the last entry was queued.
    const extra = dma.mapPage(dev, 0x9_0000_0000, BIG, 0);
    dma.unmapPage(dev, extra, BIG, 0);
    expect(tree.findIova(last)).not.toBeNull();
    expect(fq.pending).toBe(2);
    // The timer (armed by the first queue_iova at t=0) fires at 10 ms.
    domain.advanceTo(10);
    expect(tree.findIova(last)).toBeNull();
    expect(fq.pending).toBe(0);
    expect(domain.iotlbInvalidations).toBe(2);
  });

  it('frees into the magazines of the CPU that runs the code: queue_iova on the unmapping CPU, the timer on the arming CPU', () => {
    const { domain, dma, dev, fq } = lazy({ cpus: 4 });
    const addr = dma.mapPage(dev, 0x1_0000_0000, 4096, 0);
    dma.unmapPage(dev, addr, 4096, 3); // completion on CPU 3 arms the timer there
    expect(fq.timerCpu).toBe(3);
    domain.advanceTo(10);
    const rcache = domain.rcache!;
    expect(rcache.classes[0].cpus[3].loaded.size).toBe(1);
    expect(rcache.classes[0].cpus[0].loaded.size).toBe(0);
  });

  it('a clock advanced on a named CPU runs the timer there (the golden harness: tick on the current CPU)', () => {
    const { domain, dma, dev, fq } = lazy({ cpus: 4 });
    const addr = dma.mapPage(dev, 0x1_0000_0000, 4096, 0);
    dma.unmapPage(dev, addr, 4096, 3);
    domain.advanceTo(10, 1);
    expect(fq.timerFlushes).toBe(1);
    const rcache = domain.rcache!;
    expect(rcache.classes[0].cpus[1].loaded.size).toBe(1);
    expect(rcache.classes[0].cpus[3].loaded.size).toBe(0);
  });

  it('at the same jiffy the flush-queue timer runs before the depot trimming work (7.0)', () => {
    // 7.0, 1 CPU: fill the depot with one magazine (its trim work falls due at 100 ms) and both CPU
    // magazines, then queue one more IOVA at 90 ms so that the fq timer also falls due at 100 ms.
    // Timer first: it pushes a second magazine to the depot, and the trim work, finding more
    // magazines than online CPUs, frees one (127 IOVAs) back to the tree at 100 ms. Work first: it
    // finds one magazine, does nothing, and the timer's push re-arms it for 200 ms.
    const { domain, dma, dev } = lazy({ kernel: '7.0', cpus: 1 });
    const tree = domain.allocator as IovaDomain<number>;
    const rcache = domain.rcache!;
    const magazine = domain.profile.magazineSize;
    const kept = dma.mapPage(dev, 0x1_0000_0000, 4096, 0);
    const pfns: number[] = [];
    for (let i = 0; i < 3 * magazine; i++) pfns.push(dma.mapPage(dev, 0x1_0000_0000, 4096, 0) / 4096);
    for (const pfn of pfns) rcache.freeIovaFast(pfn, 1);
    expect(rcache.classes[0].depot.length).toBe(1);
    const nodes = tree.nodeCount;
    domain.advanceTo(90);
    dma.unmapPage(dev, kept, 4096, 0);
    domain.advanceTo(99);
    expect(tree.nodeCount).toBe(nodes);
    domain.advanceTo(100);
    expect(rcache.classes[0].depot.length).toBe(1);
    expect(tree.nodeCount).toBe(nodes - magazine);
  });

  it('the timer is armed once while pending (fq_timer_on), and re-armed by the next queue after it ran', () => {
    const { domain, dma, dev, fq } = lazy();
    for (let t = 0; t < 10; t++) {
      domain.advanceTo(t);
      dma.unmapPage(dev, dma.mapPage(dev, 0x1_0000_0000, 4096, 0), 4096, 0);
    }
    domain.advanceTo(10);
    expect(fq.timerFlushes).toBe(1);
    domain.advanceTo(15);
    dma.unmapPage(dev, dma.mapPage(dev, 0x1_0000_0000, 4096, 0), 4096, 0);
    domain.advanceTo(24);
    expect(fq.timerFlushes).toBe(1);
    domain.advanceTo(25);
    expect(fq.timerFlushes).toBe(2);
  });

  it('6.7+ shadow_on_flush: one global 32768-slot queue with a 1000 ms timer (32d5bc8b09c7, 9f5b681e2a3f)', () => {
    const { domain, dma, dev, fq, tree } = lazy({ kernel: '6.7', flushQueue: 'single', cpus: 2 });
    expect(fq.rings.length).toBe(1);
    expect(fq.rings[0].size).toBe(IOVA_SINGLE_FQ_SIZE);
    const a = dma.mapPage(dev, 0x1_0000_0000, BIG, 0);
    dma.unmapPage(dev, a, BIG, 1);
    domain.advanceTo(999);
    expect(tree.findIova(a / 4096)).not.toBeNull();
    domain.advanceTo(1000);
    expect(tree.findIova(a / 4096)).toBeNull();
    expect(() => lazy({ kernel: '6.6', flushQueue: 'single' })).toThrow(/from 6\.7/);
  });

  it('untrusted devices always get a strict domain (iommu_get_def_domain_type)', () => {
    const dev = new DmaDevice({ trusted: false });
    const domain = new IommuDmaDomain({ kernel: '6.0', invalidation: 'lazy', devices: [dev] });
    expect(domain.invalidation).toBe('strict');
    expect(domain.flushQueue).toBeNull();
  });
});
