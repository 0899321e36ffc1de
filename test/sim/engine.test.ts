// The simulator: determinism, mechanisms that must emerge (merging under saturation, lock
// contention, lazy flushing), and scenario validation errors.
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import type { IovaDomain } from '../../src/allocators/iova-domain.js';
import { scenarioAllocator, scenarioHostSetup } from '../../src/sim/host-setup.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { SMALL_SCENARIO } from '../support/scenarios.js';
import { parseScenarioYaml, ScenarioError, type Scenario } from '../../src/sim/scenario.js';
import { DEFAULT_COST_MODEL } from '../../src/sim/cost-model.js';
import { PRESETS } from '../../src/sim/presets.js';

const SMALL: Scenario = SMALL_SCENARIO;

describe('simulate', () => {
  it('is deterministic: same scenario and seed, identical JSON', () => {
    const a = JSON.stringify(simulate(SMALL));
    const b = JSON.stringify(simulate(SMALL));
    expect(a).toBe(b);
    const other = JSON.stringify(simulate({ ...SMALL, seed: 2, jobs: [{ ...SMALL.jobs[0], rw: 'randread' }] }));
    expect(other).not.toBe(a);
  });

  it('merges sequential 4 KiB bios into large requests only when the disks are saturated', () => {
    const saturated = simulate(SMALL);
    expect(saturated.biosPerRequest).toBeGreaterThan(4);
    // One thread at depth 1 never finds a queued request to merge into.
    const light = simulate({ ...SMALL, jobs: [{ ...SMALL.jobs[0], numjobs: 1, iodepth: 1 }] });
    expect(light.biosPerRequest).toBe(1);
    // Random reads do not continue each other.
    const random = simulate({ ...SMALL, jobs: [{ ...SMALL.jobs[0], rw: 'randread' }] });
    expect(random.biosPerRequest).toBeLessThan(1.1);
  });

  it('caps request sizes by dma_opt_mapping_size under the seed variant, so every mapping is cacheable', () => {
    const capped = simulate({ ...SMALL, host: { ...SMALL.host, cap: 'seed' } });
    expect(capped.biosPerRequest).toBeLessThanOrEqual(32);
    expect(capped.mapping.treeStepsPerMap).toBeLessThan(simulate(SMALL).mapping.treeStepsPerMap + 1e-9);
    expect(capped.rcache.perClass.slice(6).every((k) => k.hits + k.misses === 0)).toBe(true);
  });

  it('splits 1 MiB reads into eight cacheable 128 KiB requests under the seed cap, as the kernel does', () => {
    const big: Scenario = {
      ...SMALL,
      disks: { ...SMALL.disks, bandwidthMBps: 100_000 },
      linkMBps: 1_000_000,
      host: { ...SMALL.host, cap: 'seed' },
      jobs: [{ ...SMALL.jobs[0], bs: 1024 * 1024, iodepth: 4 }],
    };
    const result = simulate(big);
    expect(result.ios).toBeGreaterThan(50);
    expect(result.requests / result.ios).toBeGreaterThan(7.8);
    expect(result.requests / result.ios).toBeLessThan(8.2);
    expect(result.bandwidthMBps / result.iops).toBeCloseTo(1.048576, 3);
    // Every request is 32 granules: rcache order 5, and it hits once the magazines are warm.
    const order5 = result.rcache.perClass[5];
    expect(order5.hits + order5.misses).toBe(result.rcache.perClass.reduce((n, k) => n + k.hits + k.misses, 0));
    expect(result.rcache.hitRate).toBeGreaterThan(0.9);
    expect(result.mapping.treeStepsPerMap).toBeLessThan(1);
  });

  it('follows the rcache range with dma_opt_mapping_size when the max_opt_dma_size knob widens it', () => {
    // iova_rcache_range() = PAGE_SIZE << (classes - 1): 128 KiB in mainline, 512 KiB with 8 classes.
    expect(scenarioHostSetup({ ...SMALL, host: { ...SMALL.host, cap: 'seed' } }).limits.maxSectors).toBe(256);
    // 5.18, the knob's era: on 5.19/6.0 hisi_sas v3 caps max_hw_sectors at 128 KiB itself (fce54ed02757).
    const widened = { ...SMALL, kernel: '5.18', host: { ...SMALL.host, cap: 'seed' as const }, iommu: { ...SMALL.iommu, rcacheClasses: 8 } };
    expect(scenarioHostSetup(widened).dmaOpt).toBe(512 * 1024);
    expect(scenarioHostSetup(widened).limits.maxSectors).toBe(1024);
  });

  it('lets lock contention emerge from hold times: dearer tree steps, longer waits', () => {
    const cheap = simulate({ ...SMALL, costs: { ...DEFAULT_COST_MODEL, treeStepNs: 1 } });
    const dear = simulate({ ...SMALL, costs: { ...DEFAULT_COST_MODEL, treeStepNs: 2000, treeInsertNs: 200_000, treeEraseNs: 200_000 } });
    expect(dear.lock.holdNsPerIo).toBeGreaterThan(cheap.lock.holdNsPerIo);
    expect(dear.lock.waitNsPerIo).toBeGreaterThan(cheap.lock.waitNsPerIo);
    expect(dear.iops).toBeLessThan(cheap.iops);
  });

  it('invalidates per unmap when strict and per flush when lazy', () => {
    const strict = simulate(SMALL);
    const lazy = simulate({ ...SMALL, iommu: { ...SMALL.iommu, invalidation: 'lazy' } });
    expect(strict.iotlb.invalidations).toBe(strict.requests);
    expect(strict.iotlb.flushes).toBe(0);
    expect(lazy.iotlb.invalidations).toBe(0);
    expect(lazy.iotlb.flushes).toBeGreaterThan(0);
    expect(lazy.iotlb.flushes).toBeLessThan(lazy.requests);
  });

  it('replays recorded I/Os open-loop and merges a sequential run issued at once', () => {
    // 64 sequential 4 KiB reads at t=0 from one CPU, then 10 scattered ones later.
    const records = [
      ...Array.from({ length: 64 }, (_, i) => ({ timeNs: 0, op: 'read', offsetBytes: i * 4096, lengthBytes: 4096, device: 'sda', cpu: 1 })),
      ...Array.from({ length: 10 }, (_, i) => ({ timeNs: 5e6 + i * 1e5, op: 'write', offsetBytes: (i * 7919 + 13) * 65536, lengthBytes: 8192, device: 'sdb' })),
    ];
    const result = simulate({ ...SMALL, host: { ...SMALL.host, queueDepth: 4 } }, { records });
    expect(result.ios).toBe(74);
    expect(result.requests).toBeLessThan(74);
    expect(result.measuredMs).toBeGreaterThan(5);
    expect(result.occupancy32.length).toBe(4096);
    expect(JSON.stringify(simulate({ ...SMALL, host: { ...SMALL.host, queueDepth: 4 } }, { records }))).toBe(JSON.stringify(result));
  });

  it('without an IOMMU maps nothing', () => {
    const none = simulate({ ...SMALL, iommu: { ...SMALL.iommu, mode: 'none' } });
    expect(none.ios).toBeGreaterThan(0);
    expect(none.mapping.cpuNsPerIo).toBe(0);
    expect(none.lock.acquisitions).toBe(0);
  });
});

describe('simulate() checks its scenario and builds any allocator through the registry', () => {
  it('runs the preset with an alternative allocator', () => {
    const buddy = simulate({ ...PRESETS['sas-128cpu'], allocator: 'buddy', durationMs: 12, warmupMs: 6, ageingMaps: 10_000 });
    expect(buddy.allocator.name).toBe('buddy');
    expect(buddy.ios).toBeGreaterThan(1000);
  });

  it("builds the scenario's allocator with its retry-pass switch (what the engine uses)", () => {
    const args = { granule: 4096, startPfn: 1, profile: kernelProfile('5.19') };
    const reverted = scenarioAllocator({ ...SMALL, iommu: { ...SMALL.iommu, retryPass: false } })(args) as IovaDomain<number>;
    expect(reverted.profile.retryPass).toBe(false);
    expect((scenarioAllocator(SMALL)(args) as IovaDomain<number>).profile.retryPass).toBe(true);
    expect(scenarioAllocator({ ...SMALL, allocator: 'tlsf' })(args).name).toBe('tlsf');
  });

  it.each([
    [{ ...SMALL, allocator: 'slab' }, 'allocator: must be one of linux, buddy, gap-tree, vmem, tlsf, got "slab"'],
    [{ ...SMALL, jobs: undefined }, 'jobs: missing'],
    [{ ...SMALL, disks: { ...SMALL.disks, count: 0 } }, 'disks.count: must be between 1 and 4096, got 0'],
    [{ ...SMALL, jobs: [{ ...SMALL.jobs[0], iodepth: undefined }] }, 'jobs[0].iodepth: missing'],
  ])('rejects a bad scenario object with a ScenarioError: %#', (scenario, message) => {
    expect(() => simulate(scenario as unknown as Scenario)).toThrow(ScenarioError);
    expect(() => simulate(scenario as unknown as Scenario)).toThrow(message);
  });
});

describe('scenario files', () => {
  const parse = (text: string): Scenario => parseScenarioYaml(text, 'scenario.yaml', PRESETS, SAS_128CPU);
  const problem = (text: string): string => {
    try {
      parse(text);
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads a preset and overrides', () => {
    const s = parse('preset: sas-128cpu\ncpus: 16\niommu:\n  invalidation: lazy\njobs:\n  - rw: randread\n    bs: 8192\n    cpus_allowed: 0-3,8\n');
    expect(s.cpus).toBe(16);
    expect(s.iommu.invalidation).toBe('lazy');
    expect(s.iommu.mode).toBe('translated');
    expect(s.jobs[0].cpus).toEqual([0, 1, 2, 3, 8]);
    expect(s.jobs[0].bs).toBe(8192);
  });

  it.each([
    ['cpus: 0\n', 'scenario.yaml:1:7: cpus: must be between 1 and 4096, got 0'],
    ['host:\n  max_sectors: 0\n', 'scenario.yaml:2:16: host.max_sectors: must be between 1 and 65535, got 0'],
    ['host:\n  max_sector: 8\n', 'scenario.yaml:2:3: host.max_sector: unknown key'],
    ['iommu:\n  invalidation: sloppy\n', 'scenario.yaml:2:17: iommu.invalidation: must be one of strict, lazy, got "sloppy"'],
    ['preset: nope\n', 'scenario.yaml:1:9: preset: unknown preset "nope"'],
    ['jobs:\n  - cpus_allowed: 0-500\n', 'scenario.yaml:2:19: jobs[0].cpus_allowed: CPU 500 is not below the CPU count 128'],
    ['duration_ms: 10\nwarmup_ms: 20\n', 'scenario.yaml:2:12: warmup_ms: must be below duration_ms (10)'],
    ['costs:\n  tree_step_ns: fast\n', 'scenario.yaml:2:17: costs.tree_step_ns: must be a number, got "fast"'],
    ['cpus: [1\n', 'scenario.yaml:2:1: not valid YAML'],
  ])('%j', (text, message) => {
    expect(problem(text)).toContain(message);
  });
});

describe('lazy invalidation: the flush-queue timer', () => {
  it('flushes every 10 ms (fq_flush_timeout) when no per-CPU ring fills, and frees what the rings held', () => {
    // One thread at depth 1 on 4 KiB reads: ~one request per 100 µs, far below a 256-entry ring per 10 ms.
    const scenario: Scenario = {
      ...SMALL_SCENARIO,
      kernel: '6.6',
      durationMs: 120,
      warmupMs: 20,
      iommu: { ...SMALL_SCENARIO.iommu, invalidation: 'lazy' },
      jobs: [{ ...SMALL_SCENARIO.jobs[0], numjobs: 1, iodepth: 1, cpus: [0] }],
    };
    const result = simulate(scenario);
    const measured = result.measuredMs;
    // One flush per 10 ms timer period that found entries (every period does at this rate), ±1 at the window's edges.
    expect(result.iotlb.flushes).toBeGreaterThanOrEqual(Math.floor(measured / 10) - 1);
    expect(result.iotlb.flushes).toBeLessThanOrEqual(Math.ceil(measured / 10) + 1);
    expect(result.ios).toBeGreaterThan(500);
  });
});
