// The seed story's variants, shortened (24 ms simulated, 12 ms warm-up, 200,000 ageing maps; about
// 20 s on the loaded 2-core machine): every variant runs, and the directions the story rests on hold.
//
// The base is the preset with a device queue depth of 32 instead of the assumed 64. At saturation a
// request carries (I/Os in flight) / (commands in flight) bios by Little's law: 128 threads x 128 =
// 16,384 I/Os over 12 disks x 64 = 768 commands is ~21 bios (84 KiB), inside the rcache range, so
// with 64 no variant puts the allocator on the path; with 32 requests reach ~36 bios (144 KiB) and
// the story's mechanism (large mappings through the tree under its lock) is there to test.
import { describe, expect, it } from 'vitest';
import { simulate, type SimulationResult } from '../../src/sim/engine.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { ALTERNATIVE_ALLOCATORS, storyVariants } from '../../src/sim/seed-story.js';

const BASE: Scenario = { ...SAS_128CPU, durationMs: 24, warmupMs: 12, ageingMaps: 200_000, host: { ...SAS_128CPU.host, queueDepth: 32 } };

describe('the seed story', () => {
  const results = new Map<string, SimulationResult>();
  for (const variant of storyVariants(BASE)) results.set(variant.key, simulate(variant.scenario));
  const iops = (key: string): number => (results.get(key) as SimulationResult).iops;

  it('runs every variant, alternative allocators included', () => {
    expect([...results.keys()]).toEqual(['a', 'b', 'c', 'd', 'e', 'e2', ...ALTERNATIVE_ALLOCATORS.map((name) => `f-${name}`)]);
    for (const [key, result] of results) {
      expect(result.ios, key).toBeGreaterThan(10_000);
      if (key.startsWith('f-')) expect(result.allocator.name).toBe(key.slice(2));
    }
    // The story's own comparisons: the retry pass (a / b), every size cached (d / a), lazy with every size cached (e2 / e).
    for (const [numerator, denominator] of [['a', 'b'], ['d', 'a'], ['e2', 'e']]) expect(Number.isFinite(iops(numerator) / iops(denominator))).toBe(true);
  });

  it('puts large mappings through the tree in (a): the lock is busy and IOPS fall', () => {
    const a = results.get('a') as SimulationResult;
    expect(a.biosPerRequest).toBeGreaterThan(32);
    expect(a.lock.utilisation).toBeGreaterThan(0.1);
    expect(a.mapping.treeStepsPerMap).toBeGreaterThan(50);
  });

  it('lifts IOPS above (a) by capping max_sectors (c), caching every size (d) or lazy invalidation (e)', () => {
    for (const key of ['c', 'd', 'e']) expect(iops(key), key).toBeGreaterThan(iops('a') * 1.1);
    expect((results.get('c') as SimulationResult).mapping.treeStepsPerMap).toBe(0);
  });

  it('never loses IOPS by reverting the retry pass (b)', () => {
    expect(iops('b')).toBeGreaterThanOrEqual(iops('a') * 0.99);
  });
});
