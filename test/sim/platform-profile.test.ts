// Platform profiles: the costs each platform derives, how scenarios and fio job files select them,
// and what the engine does with polled completion, batching and synchronous engines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COST_MODEL, type CostModel } from '../../src/sim/cost-model.js';
import { simulate, type SimulationResult } from '../../src/sim/engine.js';
import { fioToScenario } from '../../src/sim/fio-scenario.js';
import { costTableMarkdown, DEFAULT_PLATFORM, ENGINE_COSTS, DRIVER_COSTS, platformCosts, type PlatformSelection } from '../../src/sim/platform-profile.js';
import { AHCI_VTD, NVME_AMDVI, SAS_128CPU } from '../../src/sim/presets.js';
import { applyOverrides, parseScenarioText } from '../../src/sim/scenario-loader.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { WorkloadError } from '../../src/workloads/errors.js';
import { parseFioJobText } from '../../src/workloads/fio-job.js';
import { repoRoot } from '../support/shared.js';

const IO_URING_POLLED_NVME: PlatformSelection = { ...DEFAULT_PLATFORM, ioEngine: 'io_uring', completion: 'polled', driver: 'nvme', iommu: 'amd-vi' };

/** CPU ns per 4 KiB I/O that the cost table says the stack takes, outside the IOMMU, at one I/O per submission and reap. */
function stackNsPerIo(c: CostModel): number {
  return c.submitNs + (c.submitBatchNs ?? 0) + (c.reapBatchNs ?? 0) + c.dispatchNs + c.completionNs + c.bioCompletionNs;
}

describe('platform costs', () => {
  it('derive the seed story’s constants for the default platform (libaio, SCSI, interrupts, SMMUv3)', () => {
    expect(platformCosts(DEFAULT_PLATFORM)).toEqual(DEFAULT_COST_MODEL);
    expect(SAS_128CPU.costs).toEqual(DEFAULT_COST_MODEL);
    // The calibrated sum: 2,500 ns per I/O on the job's CPU at batch 1, as before profiles existed.
    expect(DEFAULT_COST_MODEL.submitNs + (DEFAULT_COST_MODEL.submitBatchNs ?? 0)).toBe(2500);
    expect(DEFAULT_COST_MODEL.completionNs).toBe(2000);
  });

  it('sum to ~100 ns per I/O for polled io_uring on NVMe at batch 32 (Axboe 2021), above SPDK’s 72 ns', () => {
    const c = platformCosts({ ...IO_URING_POLLED_NVME, batch: { submit: 32, completeMin: 32, completeMax: 32 } });
    const perIo = c.submitNs + (c.submitBatchNs ?? 0) / 32 + (c.reapBatchNs ?? 0) / 32 + c.dispatchNs + c.completionNs + c.bioCompletionNs;
    expect(perIo).toBeGreaterThan(1e9 / 13.85e6);
    expect(Math.abs(perIo - 100)).toBeLessThan(10);
  });

  it('charge interrupts by completion style and the IOMMU by kind', () => {
    const interrupt = platformCosts({ ...IO_URING_POLLED_NVME, completion: 'interrupt' });
    const polled = platformCosts(IO_URING_POLLED_NVME);
    const coalesced = platformCosts({ ...IO_URING_POLLED_NVME, completion: 'coalesced', coalesce: 4 });
    expect(polled.completionNs).toBe(DRIVER_COSTS.nvme.completionNs.ns);
    expect(interrupt.completionNs - polled.completionNs).toBe(500);
    expect(coalesced.completionNs - polled.completionNs).toBe(125);
    expect(platformCosts({ ...DEFAULT_PLATFORM, sqPoll: true }).submitBatchNs).toBe(0);
  });

  it('are listed in README’s cost-model section exactly as the code has them', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(costTableMarkdown());
  });
});

describe('a scenario selects its platform', () => {
  it('re-derives the costs from a platform: mapping, with costs: overrides applied last', () => {
    const scenario = parseScenarioText('platform:\n  io_engine: io_uring\n  driver: nvme\n  completion: polled\n  iommu: vt-d\ncosts:\n  dispatch_ns: 99\n', 'p.yaml');
    expect(scenario.platform).toEqual({ ...IO_URING_POLLED_NVME, iommu: 'vt-d' });
    expect(scenario.costs).toEqual({ ...platformCosts({ ...IO_URING_POLLED_NVME, iommu: 'vt-d' }), dispatchNs: 99 });
  });

  it('keeps a base’s explicit override when a later file changes the platform', () => {
    const base = parseScenarioText('costs:\n  tree_step_ns: 7\n', 'base.yaml');
    const moved = parseScenarioText('platform:\n  io_engine: io_uring\n', 'moved.yaml', { preset: 'nvme-amdvi' });
    expect(moved.costs.submitNs).toBe(ENGINE_COSTS.io_uring.submitNs.ns);
    expect(base.costs.treeStepNs).toBe(7);
    const again = parseScenarioText('preset: sas-128cpu\ncosts:\n  tree_step_ns: 7\n', 'a.yaml');
    expect(applyOverrides(again, { kernel: '6.6' }).costs.treeStepNs).toBe(7);
    const nvme = parseScenarioText('preset: sas-128cpu\ncosts:\n  tree_step_ns: 7\nplatform:\n  driver: nvme\n', 'b.yaml');
    expect(nvme.costs.treeStepNs).toBe(7);
    expect(nvme.costs.dispatchNs).toBe(DRIVER_COSTS.nvme.dispatchNs.ns);
  });

  it('names the file, line and field of a bad platform value', () => {
    const message = (text: string): string => {
      try {
        parseScenarioText(text, 'p.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message('platform:\n  io_engine: spdk\n')).toMatch(/^p\.yaml:2:14: platform\.io_engine: must be one of .*io_uring/);
    expect(message('platform:\n  engine: io_uring\n')).toMatch(/^p\.yaml:2:3: platform\.engine: /);
    expect(message('platform:\n  completion: polled\n  io_engine: libaio\n')).toMatch(/^p\.yaml:\d+:\d+: platform\.completion: polled completion needs io_engine io_uring/);
    expect(message('platform:\n  batch:\n    complete_min: 8\n    complete_max: 4\n')).toMatch(/platform\.batch\.complete_max: must be at least complete_min \(8\), got 4/);
  });

  it('checks a platform object built in code, field by field', () => {
    const broken = { ...NVME_AMDVI, platform: { ...NVME_AMDVI.platform, batch: { submit: 1, completeMin: 1 } } } as unknown as Scenario;
    expect(() => simulate(broken)).toThrow(/platform\.batch\.completeMax: missing/);
  });
});

describe('a fio job file selects the platform', () => {
  const job = (options: string): ReturnType<typeof fioToScenario> =>
    fioToScenario(parseFioJobText(`[global]\nrw=randread\nbs=4k\ndirect=1\niodepth=64\ncpus_allowed=0\n${options}\n[nvme]\n`, 'j.fio'), NVME_AMDVI, { durationOverridden: true });

  it('maps ioengine, hipri, iodepth_batch* and sqthread_poll; the host’s driver and IOMMU stay', () => {
    const { scenario } = job('ioengine=io_uring\nhipri=1\niodepth_batch_submit=16\niodepth_batch_complete_min=4\niodepth_batch_complete_max=32\nsqthread_poll=1');
    expect(scenario.platform).toEqual({ ...IO_URING_POLLED_NVME, batch: { submit: 16, completeMin: 4, completeMax: 32 }, sqPoll: true });
    expect(scenario.costs.submitBatchNs).toBe(0);
    const libaio = job('ioengine=libaio').scenario;
    expect(libaio.platform).toEqual({ ...IO_URING_POLLED_NVME, ioEngine: 'libaio', completion: 'interrupt' });
    expect(libaio.costs).toEqual(platformCosts(libaio.platform));
    expect(job('ioengine=pvsync2\nhipri=1').scenario.platform?.ioEngine).toBe('psync');
  });

  it('says when it keeps the base’s engine, and refuses hipri on an engine that cannot poll', () => {
    const { scenario, notes } = job('');
    expect(scenario.platform?.ioEngine).toBe('io_uring');
    expect(notes.some((n) => /no ioengine: simulated with the base's io_uring \(fio's own default is psync\)/.test(n))).toBe(true);
    expect(() => job('ioengine=libaio\nhipri=1')).toThrow(WorkloadError);
    expect(() => job('ioengine=libaio\nhipri=1')).toThrow(/^j\.fio:\d+: hipri: polled completion needs ioengine=io_uring or pvsync2, not libaio/);
  });
});

/** A one-core, one-thread NVMe run short enough for a test; the CPU, not the drive, is the limit. */
function nvmeRun(iommu: 'strict' | 'lazy' | 'passthrough', changes: Partial<Scenario> = {}): SimulationResult {
  return simulate(applyOverrides({ ...NVME_AMDVI, ...changes }, { iommu, durationMs: 30 }));
}

describe('the engine follows the platform', () => {
  it('runs polled completions on the submitting CPU: no interrupt CPU shares the work', () => {
    // Two CPUs, one hardware queue: interrupts land on CPU 0, the thread runs on CPU 1. Submission
    // (1,500 ns per I/O) outweighs completion (1,000 ns), so with interrupts CPU 1 only submits and
    // sets the pace; polled, CPU 1 does both.
    const host = { ...NVME_AMDVI, cpus: 2, host: { ...NVME_AMDVI.host, nrHwQueues: 1 }, jobs: [{ ...NVME_AMDVI.jobs[0], cpus: [1] }] };
    const interrupt = { ...IO_URING_POLLED_NVME, completion: 'interrupt' as const };
    const costs = { submitNs: 1500, completionNs: 1000 };
    const split = nvmeRun('passthrough', { ...host, platform: interrupt, costs: { ...platformCosts(interrupt), ...costs } });
    const polled = nvmeRun('passthrough', { ...host, costs: { ...NVME_AMDVI.costs, ...costs } });
    const c = { ...NVME_AMDVI.costs, ...costs };
    const submitSide = c.submitNs + (c.submitBatchNs ?? 0) + (c.reapBatchNs ?? 0) + c.dispatchNs;
    const completeSide = c.completionNs + c.bioCompletionNs;
    expect(split.iops).toBeCloseTo(1e9 / submitSide, -4);
    expect(polled.iops).toBeCloseTo(1e9 / (submitSide + completeSide), -4);
    expect(polled.iops / split.iops).toBeCloseTo(submitSide / (submitSide + completeSide), 2);
  });

  it('charges a submission call once per batch', () => {
    const batched = { ...NVME_AMDVI.platform!, batch: { submit: 2, completeMin: 1, completeMax: 1 } };
    const one = nvmeRun('passthrough');
    const two = nvmeRun('passthrough', { platform: batched, costs: platformCosts(batched) });
    const c = NVME_AMDVI.costs;
    // Half the calls: still CPU-bound (below the drive's ~3.3M per second).
    const predicted = stackNsPerIo(c) / (stackNsPerIo(c) - (c.submitBatchNs ?? 0) / 2);
    expect(two.iops).toBeLessThan(3.2e6);
    expect(two.iops / one.iops).toBeCloseTo(predicted, 2);
  });

  it('keeps one I/O in flight per thread with a synchronous engine', () => {
    const psync = { ...AHCI_VTD.platform!, ioEngine: 'psync' as const };
    const sync = simulate(applyOverrides({ ...AHCI_VTD, platform: psync, costs: platformCosts(psync) }, { durationMs: 60 }));
    const aio = simulate(applyOverrides(AHCI_VTD, { durationMs: 60 }));
    // One I/O at a time cannot beat one per device latency; libaio at depth 32 does.
    expect(sync.iops).toBeLessThan(1e6 / AHCI_VTD.disks.latencyUs);
    expect(aio.iops).toBeGreaterThan(1e6 / AHCI_VTD.disks.latencyUs);
  });
});

describe('acceptance: strict, lazy and passthrough on the NVMe preset with polled io_uring', () => {
  it('order passthrough > lazy > strict, each as the cost table predicts', () => {
    const runs = { passthrough: nvmeRun('passthrough'), lazy: nvmeRun('lazy'), strict: nvmeRun('strict') };
    expect(runs.passthrough.iops).toBeGreaterThan(runs.lazy.iops);
    expect(runs.lazy.iops).toBeGreaterThan(runs.strict.iops);

    // The prediction: one CPU does everything, so IOPS = 1 / (CPU ns per I/O). A 4 KiB read is one
    // bio, one request, one segment, one granule, served by the magazines.
    const c = NVME_AMDVI.costs;
    const stack = stackNsPerIo(c);
    const map = c.sgSegmentNs + c.rcacheHitNs + c.pageTableNsPerGranule;
    const unmapPages = c.pageTableNsPerGranule;
    const strictExtra = map + unmapPages + c.iotlbInvalidateNs + c.rcacheHitNs;
    // Lazy: queue_iova per unmap, and a whole-IOTLB flush each time the flush queue fills (its
    // count is read from the run; the timer's flushes among them take no CPU, which the bound covers).
    const flushesPerIo = runs.lazy.iotlb.flushes / runs.lazy.ios;
    const lazyExtra = map + unmapPages + c.flushQueueNs + flushesPerIo * c.iotlbFlushAllNs;
    const predicted = { passthrough: 1e9 / stack, lazy: 1e9 / (stack + lazyExtra), strict: 1e9 / (stack + strictExtra) };
    // The drive is not the limit anywhere: ~3.3M per second.
    const driveIops = 1e9 / (NVME_AMDVI.disks.commandUs * 1e3 + (4096 / (NVME_AMDVI.disks.bandwidthMBps * 1e6)) * 1e9);
    expect(predicted.passthrough).toBeLessThan(driveIops);

    // Tolerance, derived: a measured window counts completions, and each of the iodepth I/Os in
    // flight at either edge may fall on either side (2 x iodepth of the expected count), and each
    // timer flush (one per 10 ms) counted as CPU work is 3,000 ns in the window.
    const windowNs = (30 - NVME_AMDVI.warmupMs) * 1e6;
    const iodepth = NVME_AMDVI.jobs[0].iodepth;
    for (const mode of ['passthrough', 'lazy', 'strict'] as const) {
      const expectedIos = (predicted[mode] * windowNs) / 1e9;
      const tolerance = (2 * iodepth) / expectedIos + (Math.ceil(windowNs / 10e6) * c.iotlbFlushAllNs) / windowNs;
      expect(Math.abs(runs[mode].iops / predicted[mode] - 1)).toBeLessThan(tolerance);
      expect(runs[mode].iotlb.invalidations).toBe(mode === 'strict' ? runs[mode].ios : 0);
      expect(runs[mode].mapping.sac32Failures).toBe(0);
    }
    // The headline ratio follows from the per-I/O invalidation against the per-I/O stack.
    const ratio = runs.strict.iops / runs.passthrough.iops;
    expect(Math.abs(ratio / (stack / (stack + strictExtra)) - 1)).toBeLessThan(2 * ((2 * iodepth) / ((predicted.strict * windowNs) / 1e9)));
  });
});
