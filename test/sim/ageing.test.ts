// The ageing model (src/sim/ageing.ts): the mechanisms arise from the background mix, on an 8-CPU host.
import { describe, expect, it } from 'vitest';
import { ageingCompression, type AgeingSample } from '../../src/sim/ageing.js';
import { simulate } from '../../src/sim/engine.js';
import type { AgeingModel, BackgroundStream, Scenario } from '../../src/sim/scenario.js';
import { parseScenarioText } from '../../src/sim/scenario-loader.js';
import { TimerClock } from '../../src/sim/shared-resources.js';
import { DelayedWork } from '../../src/rcache/delayed-work.js';
import { SMALL_SCENARIO } from '../support/scenarios.js';

const CPUS = [0, 1, 2, 3, 4, 5, 6, 7];

/** 4 KiB I/O, 100k maps/s, 5 ms in flight, unmapped on the interrupt CPU. */
const IO_4K: BackgroundStream = { name: 'io-4k', sizes: [4096], lifetimeMs: 5, ratePerSecond: 100_000, cpus: CPUS, unmapOn: 'irq', dmaMaskBits: 64 };
/** Long-lived buffers of 4 KiB, 64 KiB and 1 MiB, 4 a second, held an hour on average. */
const LONG_LIVED: BackgroundStream = { name: 'long', sizes: [4096, 65536, 1048576], lifetimeMs: 3_600_000, ratePerSecond: 4, cpus: CPUS, unmapOn: 'same', dmaMaskBits: 64 };

function aged(streams: BackgroundStream[], hours: number, extra: Partial<Scenario> = {}, samples = 4): readonly AgeingSample[] {
  const ageing: AgeingModel = { uptimeHours: hours, sampleHours: hours / samples, mapsPerHour: 50_000, streams };
  const result = simulate({ ...SMALL_SCENARIO, durationMs: 12, warmupMs: 10, ageing, ...extra });
  expect(result.ageing).toBeDefined();
  return result.ageing?.samples ?? [];
}

describe('ageing over uptime', () => {
  it('long-lived mappings fragment the 32-bit space over uptime; short-lived I/O alone does not', () => {
    const withLong = aged([IO_4K, LONG_LIVED], 4);
    const ioOnly = aged([IO_4K], 4);
    const first = withLong[0];
    const last = withLong[withLong.length - 1];
    expect(last.uptimeHours).toBeCloseTo(4, 6);
    // About 14,400 long-lived buffers live after a few hours, ~90 granules each on average: more than
    // the 2^20 granules below 4 GiB hold (the PCI device tries below 4 GiB first).
    expect(first.largestFree32).toBeGreaterThan(500_000);
    expect(last.largestFree32).toBeLessThan(1024);
    // The walk lengthens as the space fills: steps per tree allocation at 4 h over those at 1 h.
    expect(last.walkStepsPerTreeAlloc).toBeGreaterThan(2 * withLong[1].walkStepsPerTreeAlloc);
    expect(withLong.slice(1).some((s) => s.sac32Failures > 0)).toBe(true);
    expect(withLong.slice(1).some((s) => s.max32Resets > 0)).toBe(true);
    const ioLast = ioOnly[ioOnly.length - 1];
    expect(ioLast.largestFree32).toBeGreaterThan(500_000);
    expect(ioOnly.every((s) => s.sac32Failures === 0)).toBe(true);
    expect(ioLast.walkStepsPerTreeAlloc).toBeLessThan(last.walkStepsPerTreeAlloc / 5);
  });

  it('a full fixed depot frees whole magazines into the tree; a larger depot holds more parked IOVAs', () => {
    // A job of ~20,000 4 KiB mappings in flight (100k/s, 200 ms each) that runs half an hour, pauses
    // half an hour, and so on: each pause drains ~150 full magazines from the interrupt CPUs.
    const bursty: BackgroundStream = { ...IO_4K, lifetimeMs: 200, onSeconds: 1800, offSeconds: 1800 };
    const run = (depot: number | 'list') => aged([bursty], 4, { depot }, 32);
    const overflows = (samples: readonly AgeingSample[]): number => samples.reduce((n, s) => n + s.depotOverflows, 0);
    const trims = (samples: readonly AgeingSample[]): number => samples.reduce((n, s) => n + s.depotTrims, 0);
    const meanParked = (samples: readonly AgeingSample[]): number => samples.reduce((n, s) => n + s.parkedInDepots, 0) / samples.length;
    const maxParked = (samples: readonly AgeingSample[]): number => Math.max(...samples.map((s) => s.parkedInDepots));
    const slots32 = run(32);
    const slots128 = run(128);
    const list = run('list');
    expect(overflows(slots32)).toBeGreaterThan(50);
    expect(maxParked(slots32)).toBeLessThanOrEqual(32 * 128);
    expect(overflows(slots128)).toBeLessThan(overflows(slots32));
    expect(meanParked(slots128)).toBeGreaterThan(meanParked(slots32));
    expect(maxParked(slots128)).toBeGreaterThan(32 * 128);
    // 6.7's list never overflows; its trimmer frees magazines instead.
    expect(overflows(list)).toBe(0);
    expect(trims(list)).toBeGreaterThan(0);
    expect(trims(slots32)).toBe(0);
  });

  it('is deterministic: the same seed gives the same series', () => {
    expect(aged([IO_4K, LONG_LIVED], 1)).toEqual(aged([IO_4K, LONG_LIVED], 1));
  });

  it('compresses short-lived streams only, so long-lived births over the uptime all happen', () => {
    const model: AgeingModel = { uptimeHours: 1, sampleHours: 1, mapsPerHour: 50_000, streams: [IO_4K, LONG_LIVED] };
    // 3.6e8 short-lived maps an hour into the 50,000 - 14,400 left by the long-lived births.
    expect(ageingCompression(model)).toBeCloseTo(3.6e8 / (50_000 - 14_400), 6);
    expect(() => ageingCompression({ ...model, mapsPerHour: 14_000 })).toThrow(/ageing.maps_per_hour/);
  });

  it('reads the ageing block and the depot knob from a scenario file, and names a bad field', () => {
    const text = ['preset: sas-128cpu', 'depot: list', 'ageing:', '  uptime_hours: 8', '  streams:', '    - sizes: [4096]', '      lifetime_ms: 2', '      rate_per_s: 1000', '      cpus_allowed: 0-3'].join('\n');
    const scenario = parseScenarioText(text, 'aged.yaml');
    expect(scenario.depot).toBe('list');
    expect(scenario.ageing?.uptimeHours).toBe(8);
    expect(scenario.ageing?.streams[0].cpus).toEqual([0, 1, 2, 3]);
    expect(() => parseScenarioText(text.replace('0-3', '0-200'), 'aged.yaml')).toThrow(/aged\.yaml:9:\d+: ageing\.streams\[0\]\.cpus_allowed: CPU 200 is not below the CPU count 128/);
    expect(() => parseScenarioText(text.replace('depot: list', 'depot: many'), 'aged.yaml')).toThrow(/aged\.yaml:2:\d+: depot: must be a number of depot slots/);
  });

  it('puts the clock back after ageing with every pending timer keeping its remaining delay', () => {
    const clock = new TimerClock();
    let ran = 0;
    const work = new DelayedWork(() => ran++);
    clock.moveTo(150e6);
    clock.advance(3_600_000);
    work.schedule(clock, 100);
    clock.rewind(150);
    expect(clock.nowMs).toBe(150);
    expect(clock.nextDueNs).toBe(250e6);
    clock.runDue(249e6);
    expect(ran).toBe(0);
    clock.runDue(250e6);
    expect(ran).toBe(1);
  });

  it('measures after ageing on 7.0 (depot list, trimmer armed) and in lazy mode', () => {
    for (const extra of [{ kernel: '7.0' }, { iommu: { ...SMALL_SCENARIO.iommu, invalidation: 'lazy' as const } }]) {
      const ageing: AgeingModel = { uptimeHours: 1, sampleHours: 0.5, mapsPerHour: 20_000, streams: [IO_4K, LONG_LIVED] };
      const result = simulate({ ...SMALL_SCENARIO, durationMs: 14, warmupMs: 10, ageing, ...extra });
      expect(result.ios).toBeGreaterThan(0);
      expect(result.ageing?.samples.length).toBe(3);
      expect(result.ageing?.samples[2].treeRanges).toBeGreaterThan(1000);
    }
  });

  it('a 32-bit-only device sharing the domain fails to map once long-lived mappings fill the space below 4 GiB', () => {
    const samples = aged([IO_4K, { ...LONG_LIVED, dmaMaskBits: 32 }], 4);
    const failures = (list: readonly AgeingSample[]): number => list.reduce((n, s) => n + s.mapFailures, 0);
    expect(failures(samples)).toBeGreaterThan(0);
    // The same buffers on a 64-bit device go above 4 GiB when the space below is full.
    expect(failures(aged([IO_4K, LONG_LIVED], 4))).toBe(0);
  });
});
