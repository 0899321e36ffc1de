// Shared resources: granted first come, first served by the instant holders arrive, and the
// engine's use of them — zero-cost resources cost nothing, one CPU never waits, a lock held h ns
// per acquisition saturates at 1/h, a timer's hold delays exactly the CPUs arriving during it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_COST_MODEL } from '../../src/sim/cost-model.js';
import { simulate } from '../../src/sim/engine.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { SharedResource } from '../../src/sim/shared-resources.js';

const cpusUpTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** 4 KiB random reads on 32 CPUs, 2 hardware queues (so interrupt CPUs run busy), 4 disks. */
const RANDOM_READS: Scenario = {
  ...SAS_128CPU,
  name: 'random-reads',
  cpus: 32,
  durationMs: 20,
  warmupMs: 5,
  ageingMaps: 0,
  disks: { ...SAS_128CPU.disks, count: 4 },
  linkMBps: 10_000,
  host: { ...SAS_128CPU.host, nrHwQueues: 2 },
  jobs: [{ ...SAS_128CPU.jobs[0], rw: 'randread', numjobs: 32, iodepth: 32, cpus: cpusUpTo(32) }],
};

/**
 * Every map and unmap reaches the tree and holds its lock exactly `holdNs` (rcache for 4 KiB only,
 * 8 KiB I/Os; no walk, insert or erase cost); disks and link instantaneous, IOMMU queue free.
 */
function lockBound(holdNs: number, cpus: number): Scenario {
  return {
    ...RANDOM_READS,
    name: 'lock-bound',
    cpus,
    disks: { count: 8, bandwidthMBps: 1e6, commandUs: 0, latencyUs: 0 },
    linkMBps: 1e7,
    iommu: { ...RANDOM_READS.iommu, rcacheClasses: 1 },
    host: { ...RANDOM_READS.host, nrHwQueues: cpus },
    jobs: [{ ...RANDOM_READS.jobs[0], bs: 8192, numjobs: cpus, iodepth: 4, cpus: cpusUpTo(cpus) }],
    costs: { ...DEFAULT_COST_MODEL, treeLockNs: holdNs, treeStepNs: 0, treeInsertNs: 0, treeEraseNs: 0, iotlbInvalidateNs: 0 },
  };
}

describe('SharedResource', () => {
  it('grants in arrival order: max(arrival, when the previous holder lets go)', () => {
    const lock = new SharedResource('lock');
    expect(lock.acquire(100, 50)).toBe(100);
    expect(lock.acquire(120, 50)).toBe(150);
    expect(lock.acquire(300, 10)).toBe(300);
    expect(lock.contended).toBe(1);
    expect(lock.waitNs).toBe(30);
    expect(lock.holdNs).toBe(110);
  });

  it('lets a timer holding the lock delay exactly the CPUs that arrive during its hold', () => {
    const lock = new SharedResource('lock');
    const arrivals = [900, 1000, 1500, 1999, 2000, 2600];
    const grants: number[] = [];
    for (const at of arrivals) {
      // The timer takes the lock at 1000 for 1000 ns (after the CPU arriving at 1000: FIFO).
      if (at === 1500) lock.acquire(1000, 1000);
      grants.push(lock.acquire(at, 0));
    }
    // 900 and the CPU at 1000 (first) pass; 1500 and 1999 wait for the timer; 2000 and later do not.
    expect(grants).toEqual([900, 1000, 2000, 2000, 2000, 2600]);
  });

  it('refuses a request earlier than one already granted: the engine must ask in time order', () => {
    const lock = new SharedResource('tree lock');
    lock.acquire(5000, 10);
    expect(() => lock.acquire(4000, 10)).toThrow(/tree lock: request at 4000 ns after one at 5000 ns/);
  });
});

describe('shared resources in the engine', () => {
  it('gives strict invalidation at zero cost the IOPS of passthrough and lazy', () => {
    const passthrough = simulate({ ...RANDOM_READS, iommu: { ...RANDOM_READS.iommu, mode: 'passthrough' } });
    const lazy = simulate({ ...RANDOM_READS, iommu: { ...RANDOM_READS.iommu, invalidation: 'lazy' } });
    const strictFree = simulate({ ...RANDOM_READS, costs: { ...DEFAULT_COST_MODEL, iotlbInvalidateNs: 0 } });
    expect(passthrough.iops).toBeGreaterThan(100_000);
    expect(strictFree.iops / passthrough.iops).toBeGreaterThan(0.98);
    expect(strictFree.iops / passthrough.iops).toBeLessThan(1.02);
    expect(lazy.iops / passthrough.iops).toBeGreaterThan(0.98);
    // A free queue makes no CPU wait for it.
    expect(strictFree.iotlb.waitNsPerIo).toBe(0);
    expect(strictFree.iotlb.invalidations).toBe(strictFree.requests);
  });

  it('never makes a lone CPU wait for the lock or the queue', () => {
    const one = simulate({ ...lockBound(10_000, 1), jobs: [{ ...lockBound(10_000, 1).jobs[0], iodepth: 8 }] });
    expect(one.ios).toBeGreaterThan(100);
    expect(one.lock.acquisitions).toBeGreaterThan(0);
    expect(one.lock.contended).toBe(0);
    expect(one.lock.waitNsPerIo).toBe(0);
    expect(one.iotlb.waitNsPerIo).toBe(0);
  });

  it('saturates at one I/O per two lock holds when every map and unmap takes the lock for h ns', () => {
    const holdNs = 10_000;
    const result = simulate(lockBound(holdNs, 16));
    // Two acquisitions per I/O (alloc_iova and free_iova), each holding the lock h.
    expect(result.lock.acquisitions / result.ios).toBeCloseTo(2, 1);
    const bound = 1e9 / (2 * holdNs);
    expect(result.iops).toBeLessThanOrEqual(bound * 1.01);
    expect(result.iops).toBeGreaterThan(bound * 0.98);
    expect(result.lock.utilisation).toBeGreaterThan(0.98);
    // Half the load: the lock is not the limit, utilisation follows demand.
    const light = simulate({ ...lockBound(holdNs / 4, 16), jobs: [{ ...lockBound(holdNs / 4, 16).jobs[0], numjobs: 2, cpus: [0, 8], iodepth: 1 }] });
    expect(light.lock.utilisation).toBeLessThan(0.9);
  });
});
