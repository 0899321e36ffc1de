// The simulator's IOVA recorder: the recorded trace, replayed through a fresh allocator and rcache
// of the same kind, gives every allocation the same result, and recording changes nothing.
import { describe, expect, it } from 'vitest';
import type { IovaAllocator } from '../../src/allocators/allocator.js';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { numberPfn } from '../../src/allocators/pfn.js';
import { createAllocator, type AllocatorName } from '../../src/allocators/registry.js';
import { Op, parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { SimulatedClock } from '../../src/rcache/delayed-work.js';
import { Rcache } from '../../src/rcache/rcache.js';
import { simulate } from '../../src/sim/engine.js';
import { IovaRecorder, RECORDED_FAIL, RECORDED_HANG, type RecordedDomain } from '../../src/sim/iova-recorder.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { SMALL_SCENARIO } from '../support/scenarios.js';

/** Replays a recorded trace through a fresh allocator + rcache; returns each allocation's result. */
function replay(text: string, recorded: RecordedDomain): { results: number[]; trims: number } {
  const trace = parseIovaTrace(text, 'recorded.trace', { maxCpus: 4096 });
  const profile = kernelProfile(recorded.kernel);
  let cpus = 1;
  let allocator: (IovaAllocator<number> & { lastAllocHung?: boolean }) | null = null;
  let rcache: Rcache<number> | null = null;
  const results: number[] = [];
  let trims = 0;
  for (const { op, values } of trace.ops) {
    const v = values as number[];
    switch (op) {
      case Op.Cpus:
        cpus = v[0];
        break;
      case Op.Domain:
        allocator = createAllocator(recorded.allocator as AllocatorName, { granule: v[0], startPfn: v[1], profile, retryPass: recorded.retryPass });
        break;
      case Op.Rcache:
        rcache = new Rcache<number>(allocator!, numberPfn, profile, cpus, new SimulatedClock(), recorded.rcacheClasses);
        // Count the trimmer's runs in the replay.
        for (const sizeClass of rcache.classes) {
          const work = sizeClass.trimWork as { run: () => void };
          const run = work.run;
          work.run = () => {
            trims++;
            run();
          };
        }
        break;
      case Op.Cpu:
        rcache!.currentCpu = v[0];
        break;
      case Op.Reserve:
        allocator!.reserveIova(v[0], v[1]);
        break;
      case Op.AllocFast: {
        const pfn = rcache!.allocIovaFast(v[0], v[1], v[2] === 1);
        results.push(rcache!.lastAllocHung ? RECORDED_HANG : pfn);
        break;
      }
      case Op.FreeFast:
        rcache!.freeIovaFast(v[0], v[1]);
        break;
      case Op.Alloc: {
        const pfn = allocator!.allocIova(v[0], v[1], v[2] === 1);
        results.push(pfn === null ? (allocator!.lastAllocHung ? RECORDED_HANG : RECORDED_FAIL) : pfn);
        break;
      }
      case Op.Free:
        allocator!.freeIova(v[0]);
        break;
      case Op.Tick:
        rcache!.tick(v[0]);
        break;
      default:
        throw new Error(`unexpected op ${op} in a recording`);
    }
  }
  return { results, trims };
}

function record(scenario: Scenario, maxOperations?: number): { recorder: IovaRecorder; json: string } {
  const recorder = new IovaRecorder(maxOperations === undefined ? {} : { maxOperations });
  const json = JSON.stringify(simulate(scenario, { iovaRecorder: recorder }));
  return { recorder, json };
}

// Long enough for the 6.7+ depot trimmer (100 ms) to run, with the domain aged a little.
const LONG: Scenario = { ...SMALL_SCENARIO, durationMs: 400, warmupMs: 20, ageingMaps: 2000 };

describe('IovaRecorder', () => {
  it('records a stream that a fresh Linux domain replays with identical pfns (7.0, lazy: flush queue and depot trimmer)', () => {
    const scenario: Scenario = { ...LONG, kernel: '7.0', iommu: { ...LONG.iommu, invalidation: 'lazy' } };
    const { recorder, json } = record(scenario);
    expect(recorder.capped).toBe(false);
    expect(recorder.untimeable).toBeNull();
    expect(recorder.allocResults.length).toBeGreaterThan(1000);
    expect(recorder.domain?.allocator).toBe('linux');
    const { results, trims } = replay(recorder.traceText, recorder.domain!);
    expect(results).toEqual(recorder.allocResults);
    // The trimmer ran in the simulation and in the replay, the same number of times.
    expect(recorder.trims).toBeGreaterThan(0);
    expect(trims).toBe(recorder.trims);
    // Recording changes nothing in the simulation.
    expect(json).toBe(JSON.stringify(simulate(scenario)));
  });

  it('replays exactly on a kernel with the 32-slot depot (5.11, strict), the retry pass off', () => {
    const scenario: Scenario = { ...LONG, kernel: '5.11', iommu: { ...LONG.iommu, retryPass: false } };
    const { recorder } = record(scenario);
    expect(recorder.domain?.retryPass).toBe(false);
    expect(recorder.trims).toBe(0);
    expect(replay(recorder.traceText, recorder.domain!).results).toEqual(recorder.allocResults);
  });

  it('replays exactly with an alternative allocator and with rcache classes beyond mainline', () => {
    for (const scenario of [
      { ...LONG, kernel: '7.0', allocator: 'gap-tree' },
      { ...LONG, kernel: '6.6', allocator: 'buddy', iommu: { ...LONG.iommu, rcacheClasses: 9 } },
    ] as Scenario[]) {
      const { recorder } = record(scenario);
      expect(recorder.domain?.allocator).toBe(scenario.allocator);
      expect(recorder.domain?.rcacheClasses).toBe(scenario.iommu.rcacheClasses);
      expect(replay(recorder.traceText, recorder.domain!).results).toEqual(recorder.allocResults);
    }
  });

  it('a replay through a different allocator diverges, so the comparison above can fail', () => {
    const { recorder } = record({ ...LONG, kernel: '7.0' });
    const other = replay(recorder.traceText, { ...recorder.domain!, allocator: 'vmem' }).results;
    expect(other).not.toEqual(recorder.allocResults);
  });

  it('stops at the cap, says so in the trace, and the prefix still replays exactly', () => {
    const { recorder, json } = record({ ...LONG, kernel: '7.0' }, 5000);
    expect(recorder.capped).toBe(true);
    // An operation that would not fit with the CPU line before it is left out: 4998 to 5000.
    expect(recorder.operations).toBeLessThanOrEqual(5000);
    expect(recorder.operations).toBeGreaterThanOrEqual(4998);
    expect(recorder.traceText).toContain(`# recording stopped at ${recorder.operations} operations (the cap)`);
    expect(parseIovaTrace(recorder.traceText, 'capped', { maxCpus: 4096 }).length).toBe(recorder.operations);
    expect(replay(recorder.traceText, recorder.domain!).results).toEqual(recorder.allocResults);
    expect(json).toBe(JSON.stringify(simulate({ ...LONG, kernel: '7.0' })));
  });

  it('records nothing without a translated domain', () => {
    const recorder = new IovaRecorder();
    simulate({ ...SMALL_SCENARIO, iommu: { ...SMALL_SCENARIO.iommu, mode: 'passthrough' } }, { iovaRecorder: recorder });
    expect(recorder.domain).toBeNull();
    expect(recorder.operations).toBe(0);
  });
});
