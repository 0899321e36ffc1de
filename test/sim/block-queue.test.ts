// The engine's block layer is `iovasim limits`' block layer: the same I/Os become the same
// requests (sectors, sizes, segment counts, scatterlists) through BlockQueue as through planIo(),
// and a simulation replaying them maps exactly the IOVA sizes planIo() predicts.
import { describe, expect, it } from 'vitest';
import { bioSplitToLimits, buildDioBios, DEFAULT_PHYS_BASE } from '../../src/block/bio-split.js';
import { planIo, type PlannedRequest } from '../../src/block/io-path.js';
import { PRESETS } from '../../src/block/presets.js';
import { tryMerge, type BlkRequest } from '../../src/block/request-merge.js';
import { blkRqMapSg } from '../../src/block/rq-map-sg.js';
import { ScatterList } from '../../src/dma/scatterlist.js';
import { probeHost, type HostSetup } from '../../src/block/probe.js';
import { BlockQueue, type SimRequest } from '../../src/sim/block-queue.js';
import { simulate } from '../../src/sim/engine.js';
import { scenarioHostSetup } from '../../src/sim/host-setup.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { Mulberry32 } from '../../src/workloads/random.js';

const K = 1024;
const M = 1024 * K;
const SIZES = [4 * K, 8 * K, 60 * K, 128 * K, 132 * K, 256 * K, 516 * K, M, 3 * M + 4 * K, 4 * M];

interface Shape {
  sector: number;
  bytes: number;
  nrPhysSegments: number;
  sg: { phys: number; length: number }[];
}

function shapeOf(sector: number, bytes: number, nrPhysSegments: number, sg: { nents: number; phys: Float64Array; length: Float64Array }): Shape {
  const entries: { phys: number; length: number }[] = [];
  for (let i = 0; i < sg.nents; i++) entries.push({ phys: sg.phys[i], length: sg.length[i] });
  return { sector, bytes, nrPhysSegments, sg: entries };
}

const planned = (plans: PlannedRequest[]): Shape[] => plans.map((p) => shapeOf(p.request.sector, p.request.bytes, p.request.nrPhysSegments, p.sg));

/** The requests BlockQueue makes of `count` back-to-back I/Os of `bytes` from `sector`, buffers laid out as planIo lays them. */
function engineRequests(setup: HostSetup, bytes: number, sector: number, count = 1): Shape[] {
  // planIo continues one buffer of scattered pages: I/O i starts 2 * i * bytes further on.
  const ios = Array.from({ length: count }, (_, i) => ({ sector: sector + (i * bytes) / 512, bytes, phys: DEFAULT_PHYS_BASE + 2 * i * bytes }));
  return queueRequests(setup, ios);
}

const HOSTS: [string, HostSetup][] = [
  ['hisi_sas 5.19 cap none', probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '5.19', cap: 'none' })],
  ['hisi_sas 5.19 cap seed', probeHost(PRESETS['hisi_sas-smmuv3'], { kernel: '5.19', cap: 'seed' })],
  ['ahci 6.0 merged', probeHost(PRESETS['ahci-vtd'], { kernel: '6.0', cap: 'merged' })],
  ['nvme 6.6 (virt boundary)', probeHost(PRESETS['nvme-amdvi'], { kernel: '6.6' })],
];

describe('BlockQueue and iovasim limits make the same requests', () => {
  it.each(HOSTS)('%s: single I/Os of every size', (_, setup) => {
    for (const bytes of SIZES) {
      for (const sector of [0, 8, 2048 * 7 + 1]) {
        const expected = planned(planIo(setup, { ioBytes: bytes, sector }));
        expect(engineRequests(setup, bytes, sector), `${bytes} bytes at sector ${sector}`).toEqual(expected);
      }
    }
  });

  it.each(HOSTS)('%s: back-to-back sequential I/Os merge alike', (_, setup) => {
    for (const [bytes, count] of [[4 * K, 300], [64 * K, 20], [12 * K, 50]]) {
      const expected = planned(planIo(setup, { ioBytes: bytes, count }));
      expect(expected.length).toBeLessThan(count);
      expect(engineRequests(setup, bytes, 0, count), `${count} x ${bytes}`).toEqual(expected);
    }
  });
});

/**
 * The requests of I/Os submitted in the given order, through src/block's object path: each piece is
 * tried against the newest request (tryMerge, which may front-merge), else starts a new one.
 */
function objectPathRequests(setup: HostSetup, ios: { sector: number; bytes: number; phys: number }[]): Shape[] {
  const pageSize = setup.description.iommu.pageSize;
  const lim = setup.limits;
  const requests: BlkRequest[] = [];
  for (const io of ios) {
    for (const bio of buildDioBios(io.sector, io.bytes, { offset: 0, chunkBytes: pageSize, physBase: io.phys }, pageSize, lim.logicalBlockSize)) {
      for (const piece of bioSplitToLimits(bio, lim, pageSize)) {
        const newest = requests.at(-1);
        if (newest !== undefined && tryMerge(newest, piece, lim)) continue;
        requests.push({ sector: piece.sector, bytes: piece.bytes, bios: [piece], nrPhysSegments: piece.nrSegs });
      }
    }
  }
  return requests.map((request) => {
    const sg = new ScatterList(4);
    blkRqMapSg(request.bios, lim, pageSize, sg);
    return shapeOf(request.sector, request.bytes, request.nrPhysSegments, sg);
  });
}

describe('BlockQueue merges as src/block does', () => {
  it.each(HOSTS)('%s: descending I/Os front-merge alike', (_, setup) => {
    for (const [bytes, count] of [[4 * K, 200], [12 * K, 40], [16 * K, 6]]) {
      // Each I/O ends where the previous one began; buffers physically contiguous with the previous one's start where bytes allow.
      const ios = Array.from({ length: count }, (_, i) => ({ sector: ((count - i) * bytes) / 512, bytes, phys: DEFAULT_PHYS_BASE + (count - i) * bytes }));
      const queue = new BlockQueue(setup.limits, setup.description.iommu.pageSize, setup.description.iommu.granule, 1, 1);
      for (const io of ios) {
        queue.submit(queue.ios.alloc(), 0, 0, io.sector * 512, io.bytes, io.phys);
      }
      const shapes: Shape[] = [];
      for (let request: SimRequest | null; (request = queue.take(0)) !== null; ) {
        queue.mapSg(request);
        shapes.push(shapeOf(request.sector, request.bytes, request.nrPhysSegments, request.sg));
        queue.release(request);
      }
      const expected = objectPathRequests(setup, ios);
      expect(expected.length, `${count} x ${bytes}: some front merges`).toBeLessThan(count);
      expect(shapes, `${count} x ${bytes}`).toEqual(expected);
    }
  });
});

/** The requests BlockQueue (one CPU, one disk) makes of I/Os submitted in order, taken after the last. */
function queueRequests(setup: HostSetup, ios: { sector: number; bytes: number; phys: number }[]): Shape[] {
  const queue = new BlockQueue(setup.limits, setup.description.iommu.pageSize, setup.description.iommu.granule, 1, 1);
  for (const io of ios) queue.submit(queue.ios.alloc(), 0, 0, io.sector * 512, io.bytes, io.phys);
  const shapes: Shape[] = [];
  for (let request: SimRequest | null; (request = queue.take(0)) !== null; ) {
    queue.mapSg(request);
    shapes.push(shapeOf(request.sector, request.bytes, request.nrPhysSegments, request.sg));
    queue.release(request);
  }
  return shapes;
}

describe('BlockQueue takes page-sized I/Os without building bios, with the same requests', () => {
  // A 4 KiB physical block and max_sectors 8: a 4 KiB I/O at a sector 7 past a block boundary is cut
  // after one sector, so page-sized I/Os at such sectors must take the general path and split.
  const hisi = HOSTS[0][1];
  const smallIo: HostSetup = { ...hisi, limits: { ...hisi.limits, physicalBlockSize: 4096, maxSectors: 8, maxHwSectors: 8 } };
  const hosts: [string, HostSetup][] = [...HOSTS, ['hisi_sas, 4 KiB physical blocks, max_sectors 8', smallIo]];

  it.each(hosts)('%s: seeded mixes of sub-page, page and multi-page I/Os, continuing forwards, backwards or elsewhere', (_, setup) => {
    const pageSize = setup.description.iommu.pageSize;
    const lbs = setup.limits.logicalBlockSize;
    const sizes = [512, 1024, 2048, 4096, 8192, 12288].filter((bytes) => bytes % lbs === 0);
    const random = new Mulberry32(16);
    let singleBvec = 0;
    for (let run = 0; run < 20; run++) {
      const ios: { sector: number; bytes: number; phys: number }[] = [];
      let sector = 2048 * random.below(64) + (random.below(2) === 0 ? 0 : lbs / 512);
      let phys = DEFAULT_PHYS_BASE + pageSize * random.below(1024);
      for (let i = 0; i < 60; i++) {
        const bytes = sizes[random.below(sizes.length)];
        const previous = ios.at(-1);
        if (previous !== undefined) {
          const move = random.below(4);
          // Forwards (a back merge), backwards (a front merge), or far away; buffers on the next
          // page, the page before, or anywhere (always page aligned).
          sector = move <= 1 ? previous.sector + previous.bytes / 512 : move === 2 ? previous.sector - bytes / 512 : 2048 * random.below(64);
          const pages = Math.ceil(bytes / pageSize);
          phys = move === 0 ? previous.phys + pageSize : move === 2 ? previous.phys - pages * pageSize : DEFAULT_PHYS_BASE + pageSize * random.below(1024);
          if (sector < 0 || phys < 0) sector = 2048 * random.below(64);
        }
        if (bytes <= pageSize) singleBvec++;
        ios.push({ sector, bytes, phys });
      }
      expect(queueRequests(setup, ios), `run ${run}`).toEqual(objectPathRequests(setup, ios));
    }
    expect(singleBvec).toBeGreaterThan(100);
  });
});

describe('a simulation maps what planIo predicts', () => {
  const base: Scenario = {
    ...SAS_128CPU,
    name: 'replay',
    cpus: 4,
    ageingMaps: 0,
    host: { ...SAS_128CPU.host, nrHwQueues: 1 },
    disks: { ...SAS_128CPU.disks, count: 1 },
    jobs: [{ ...SAS_128CPU.jobs[0], numjobs: 4, cpus: [0, 1, 2, 3] }],
  };

  it.each(['none', 'seed'] as const)('cap %s: requests and rcache size classes of replayed I/Os', (cap) => {
    const scenario: Scenario = { ...base, host: { ...base.host, cap } };
    const setup = scenarioHostSetup(scenario);
    // One at a time (1 ms apart, far apart on the disk): nothing merges, nothing queues.
    const records = SIZES.map((bytes, i) => ({ timeNs: (i + 1) * 1e6, op: 'read', offsetBytes: i * 64 * M, lengthBytes: bytes, device: 'sda', cpu: 1 }));
    const result = simulate(scenario, { records });
    const plans = SIZES.flatMap((bytes) => planIo(setup, { ioBytes: bytes }));
    expect(result.ios).toBe(SIZES.length);
    expect(result.requests).toBe(plans.length);
    for (const sizeClass of result.rcache.perClass) {
      const expected = plans.filter((p) => p.iova !== null && p.iova.rcacheable && p.iova.order === sizeClass.order).length;
      expect(sizeClass.hits + sizeClass.misses, `order ${sizeClass.order}`).toBe(expected);
    }
  });
});

describe('BlockQueue merging follows the direction of the I/O', () => {
  it('merges a read into a read and never a write into a read (blk_rq_merge_ok: same operation only)', () => {
    const setup = HOSTS[0][1];
    const requestsOf = (writes: number[]): number => {
      const queue = new BlockQueue(setup.limits, setup.description.iommu.pageSize, setup.description.iommu.granule, 1, 1);
      for (let i = 0; i < writes.length; i++) {
        const io = queue.ios.alloc();
        queue.ios.write[io] = writes[i];
        queue.submit(io, 0, 0, i * 4 * K, 4 * K, DEFAULT_PHYS_BASE + i * 4 * K);
      }
      let requests = 0;
      for (let request: SimRequest | null; (request = queue.take(0)) !== null; requests++) queue.release(request);
      return requests;
    };
    // Four back-to-back 4 KiB I/Os on consecutive sectors and pages.
    expect(requestsOf([0, 0, 0, 0])).toBe(1);
    expect(requestsOf([1, 1, 1, 1])).toBe(1);
    expect(requestsOf([0, 1, 0, 1])).toBe(4);
    expect(requestsOf([0, 0, 1, 1])).toBe(2);
  });
});
