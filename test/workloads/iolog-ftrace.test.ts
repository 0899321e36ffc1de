import { describe, expect, it } from 'vitest';
import { readFioIolog } from '../../src/workloads/fio-iolog.js';
import { newReadStats } from '../../src/workloads/io-record.js';
import { newFtraceStats, readIommuFtrace } from '../../src/workloads/iommu-ftrace.js';
import { chunks, collect, expectWorkloadError, fixture } from './helpers.js';

describe('fio iolog', () => {
  it('reads the v3 sample t0038: 10 trims and 10 writes, microsecond times, file actions skipped', async () => {
    const stats = newReadStats();
    const records = await collect(readFioIolog(fixture('fio/t0038.iolog'), { stats }));
    expect(records.length).toBe(20);
    expect(stats.ignored).toBe(3); // add, open, close
    // line 4: "10736 /dev/null trim 0 2147483648"
    expect(records[0]).toEqual({ timeNs: 10_736_000, op: 'trim', offsetBytes: 0, lengthBytes: 2147483648, device: '/dev/null', line: 4 });
    // line 5: "10752 /dev/null write 0 4096"
    expect(records[1]).toEqual({ timeNs: 10_752_000, op: 'write', offsetBytes: 0, lengthBytes: 4096, device: '/dev/null', line: 5 });
    // line 23: "10809 /dev/null write 36864 4096"
    expect(records[19]).toEqual({ timeNs: 10_809_000, op: 'write', offsetBytes: 36864, lengthBytes: 4096, device: '/dev/null', line: 23 });
    expect(records.filter((r) => r.op === 'write').map((r) => r.offsetBytes)).toEqual(Array.from({ length: 10 }, (_, i) => i * 4096));
  });

  it('reads v2: no times except `wait` (ms since start), sync as flush', async () => {
    const text = 'fio version 2 iolog\n/dev/sdb add\n/dev/sdb open\n/dev/sdb read 0 4096\n/dev/sdb wait 250 0\n/dev/sdb write 8192 512\n/dev/sdb sync 0 0\n/dev/sdb close\n';
    const records = await collect(readFioIolog(chunks(text)));
    expect(records.map((r) => [r.line, r.timeNs, r.op, r.offsetBytes, r.lengthBytes])).toEqual([
      [4, 0, 'read', 0, 4096],
      [6, 250_000_000, 'write', 8192, 512],
      [7, 250_000_000, 'flush', 0, 0],
    ]);
  });

  it('can read v3 times as milliseconds', async () => {
    const records = await collect(readFioIolog(chunks('fio version 3 iolog\n7 f read 0 512\n'), { v3TimeUnit: 'ms' }));
    expect(records[0].timeNs).toBe(7_000_000);
  });

  it.each([
    ['fio version 1 iolog\n', 1, 'header'],
    ['fio version 3 iolog\n30 /dev/null add\n31 /dev/null erase 0 4096\n', 3, 'action'],
    ['fio version 3 iolog\n31 /dev/null read 0\n', 2, 'length'],
    ['fio version 3 iolog\n31 /dev/null read 0 4096 99\n', 2, 'line'],
    ['fio version 3 iolog\nsoon /dev/null read 0 4096\n', 2, 'time'],
    ['fio version 2 iolog\n/dev/null read x 4096\n', 2, 'offset'],
    ['fio version 2 iolog\n/dev/null open 0 0\n', 2, 'line'],
    ['', 1, 'header'],
  ])('rejects malformed input (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readFioIolog(chunks(text), { name: 'job.iolog' })), { file: 'job.iolog', line, field });
  });
});

describe('iommu/dma ftrace (mailing-list samples)', () => {
  it('reads every map/unmap in the samples: both iommu formats, dev=, dma_alloc/free', async () => {
    const stats = newFtraceStats();
    const events = await collect(readIommuFtrace(fixture('iommu-ftrace-snippets.txt'), { stats }));
    expect(events.length).toBe(16);
    expect(events.map((e) => [e.line, e.event, e.kind])).toEqual([
      [9, 'unmap', 'unmap'],
      [10, 'unmap', 'unmap'],
      [11, 'map', 'map'],
      [12, 'map', 'map'],
      [13, 'map', 'map'],
      [14, 'map', 'map'],
      [15, 'map', 'map'],
      [16, 'map', 'map'],
      [20, 'map', 'map'],
      [21, 'dma_alloc', 'map'],
      [22, 'dma_free', 'unmap'],
      [23, 'unmap', 'unmap'],
      [28, 'map', 'map'],
      [29, 'unmap', 'unmap'],
      [30, 'map', 'map'],
      [31, 'unmap', 'unmap'],
    ]);
    expect(stats.ignored).toBe(1); // io_page_fault
    expect(events[0]).toEqual({
      timeNs: 0,
      traceTimeNs: 438_308_478_000,
      cpu: 8,
      task: 'qemu-kvm',
      pid: 4575,
      kind: 'unmap',
      event: 'unmap',
      iova: 0n,
      sizeBytes: 4096,
      unmappedBytes: 4096,
      line: 9,
    });
    // line 11: iova=0x0 - 0xc0000 paddr=0x1a6800000 size=786432
    expect(events[2]).toMatchObject({ timeNs: 36_000, iova: 0n, sizeBytes: 786432, physAddr: 0x1a6800000n });
    // line 16: iova=0xfffc0000, 6.331 ms after the first event
    expect(events[7]).toMatchObject({ timeNs: 6_331_000, iova: 0xfffc0000n, sizeBytes: 4096, physAddr: 0x14c17f000n });
    // line 20: an excerpt from another capture, so earlier than the first event
    expect(events[8]).toMatchObject({ timeNs: -433_430_402_000, cpu: 10, task: '(udev-worker)', pid: 532, iova: 0xfe980000n, sizeBytes: 524288 });
    expect(events[9]).toMatchObject({ device: '0000:c2:00.0', iova: 0xfe980000n, sizeBytes: 524288, task: '(udev-worker)' });
    expect(events[10]).toMatchObject({ kind: 'unmap', device: '0000:c2:00.0', iova: 0xfe980000n, cpu: 11, task: 'kworker/u64:0', pid: 12 });
    // header-less lines: no time, no CPU
    expect(events[12]).toEqual({ kind: 'map', event: 'map', iova: 0xffff36000n, physAddr: 0x1164d8000n, sizeBytes: 4096, line: 28 });
    expect(events[14]).toMatchObject({ device: '1d84000.ufshc', iova: 0xfffa88000n });
    expect(events[15]).toMatchObject({ device: '1d84000.ufshc', kind: 'unmap', unmappedBytes: 4096 });
  });

  it('pairs dma_map_sg with dma_unmap_sg by phys_addrs and keeps 64-bit IOVAs exact', async () => {
    const text = [
      '# tracer: nop',
      '#',
      '     fio-2001    [003] .....   100.000001: dma_map_sg: 0000:01:00.0 dir=FROM_DEVICE nents=2/2 ents=1/1 dma_addrs={0xfffffffffff00000} sizes={0x3000} phys_addrs={0x1000,0x5000} attrs=',
      '     fio-2001    [003] .....   100.000002: dma_map_phys: 0000:01:00.0 dir=TO_DEVICE dma_addr=ffffffffffe00000 size=4096 phys_addr=9000 attrs=',
      '     fio-2001    [003] .....   100.000003: sched_switch: prev_comm=fio prev_pid=2001',
      'CPU:3 [LOST 42 EVENTS]',
      '  <idle>-0       [003] d.h1.   100.000050: dma_unmap_sg: 0000:01:00.0 dir=FROM_DEVICE phys_addrs={0x1000,0x5000} attrs=',
      '  <idle>-0       [003] d.h1.   100.000051: dma_unmap_phys: 0000:01:00.0 dir=TO_DEVICE dma_addr=ffffffffffe00000 size=4096 attrs=',
      '  <idle>-0       [003] d.h1.   100.000052: dma_unmap_sg: 0000:01:00.0 dir=FROM_DEVICE phys_addrs={0x7000} attrs=',
      '     fio-2001    [002] .....   100.000060: dma_map_sg: 0000:01:00.0 dir=TO_DEVICE nents=200/200 ents=2/2 [TRUNCATED] dma_addrs={0x10000,0x20000} sizes={0x1000,0x800} phys_addrs={0x1,0x2} attrs=',
      '',
    ].join('\n');
    const stats = newFtraceStats();
    const events = await collect(readIommuFtrace(chunks(text), { stats }));
    expect(events.map((e) => [e.event, e.kind, e.iova, e.sizeBytes, e.timeNs])).toEqual([
      ['dma_map_sg', 'map', 0xfffffffffff00000n, 0x3000, 0],
      ['dma_map_phys', 'map', 0xffffffffffe00000n, 4096, 1000],
      ['dma_unmap_sg', 'unmap', 0xfffffffffff00000n, 0x3000, 49000],
      ['dma_unmap_phys', 'unmap', 0xffffffffffe00000n, 4096, 50000],
      ['dma_unmap_sg', 'unmap', null, 0, 51000],
      ['dma_map_sg', 'map', 0x10000n, 0x1800, 59000],
    ]);
    expect(events[0]).toMatchObject({ dir: 'FROM_DEVICE', device: '0000:01:00.0', segments: [{ iova: 0xfffffffffff00000n, sizeBytes: 0x3000 }], physAddrs: [0x1000n, 0x5000n] });
    expect(events[1].physAddr).toBe(0x9000n);
    expect(events[2]).toMatchObject({ task: '<idle>', pid: 0, physAddrs: [0x1000n, 0x5000n] });
    expect(events[5]).toMatchObject({ truncated: true, cpu: 2, segments: [{ iova: 0x10000n, sizeBytes: 0x1000 }, { iova: 0x20000n, sizeBytes: 0x800 }] });
    expect(stats).toEqual({ ignored: 1, nonData: 3, lostEvents: 42, unmatchedUnmapSg: 1 });
  });

  it.each([
    ['  qemu-4575 [008] ..... 438.308478: map: IOMMU: iova=0x1000 - 0x3000 paddr=0x0 size=4096\n', 1, 'iova'],
    ['  qemu-4575 [008] ..... 438.308478: map: IOMMU: iova=0xZZ paddr=0x0 size=4096\n', 1, 'iova'],
    ['  qemu-4575 [008] ..... 438.308478: map: IOMMU: iova=0x1000 size=4096\n', 1, 'paddr'],
    ['  qemu-4575 [008] ..... 438.308478: unmap: IOMMU: iova=0x1000 size=4096\n', 1, 'unmapped_size'],
    ['# tracer: nop\nthis is not ftrace\n', 2, 'line'],
    ['  fio-1 [000] ..... 1.000000: dma_map_phys: 0000:01:00.0 dir=SIDEWAYS dma_addr=1000 size=4096 phys_addr=0 attrs=\n', 1, 'dir'],
    ['  fio-1 [000] ..... 1.000000: dma_map_sg: 0000:01:00.0 dir=TO_DEVICE dma_addrs={0x1000} sizes={} phys_addrs={0x1} attrs=\n', 1, 'sizes'],
    ['  fio-1 [000] ..... 1.000000: dma_unmap_phys: 0000:01:00.0 dir=TO_DEVICE size=4096 attrs=\n', 1, 'dma_addr'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readIommuFtrace(chunks(text), { name: 'trace.txt' })), { file: 'trace.txt', line, field });
  });
});
