/**
 * Search costs that the designs promise, read from searchSteps: the gap tree's O(log n) whatever the
 * layout, limit and alignment; buddy's O(levels); vmem's and TLSF's O(1) when unconstrained; and the
 * O(n) of Linux's walk in the zero-churn case, for contrast.
 */
import { describe, expect, it } from 'vitest';
import type { IovaAllocator } from '../../src/allocators/allocator.js';
import { BuddyAllocator } from '../../src/allocators/buddy.js';
import { GapTreeAllocator } from '../../src/allocators/gap-tree.js';
import { createAllocator } from '../../src/allocators/registry.js';
import { Mulberry32 } from '../../src/workloads/random.js';

const LIMIT32 = 2 ** 20 - 1;
const END = 2 ** 36 - 1;

/** A fragmented 48-bit space: mixed aligned sizes below 4 GiB until it fills, then random frees. */
function fragment(a: IovaAllocator<number>, seed: number): number[] {
  const random = new Mulberry32(seed);
  const live: number[] = [];
  a.reserveIova(1, LIMIT32 - 200_000);
  for (;;) {
    const p = a.allocIova(1 + random.below(48), LIMIT32, true);
    if (p === null) break;
    live.push(p);
  }
  for (let i = 0; i < live.length; i += 1 + random.below(3)) {
    a.freeIova(live[i]);
    live[i] = -1;
  }
  return live.filter((p) => p >= 0);
}

function maxStepsPerAlloc(a: IovaAllocator<number>, seed: number, count: number): { max: number; failures: number } {
  const random = new Mulberry32(seed);
  let max = 0;
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const before = a.searchSteps;
    const limit = random.next() < 0.5 ? LIMIT32 - random.below(150_000) : END;
    const p = a.allocIova(1 + random.below(200), limit, random.next() < 0.8);
    if (p === null) failures++;
    max = Math.max(max, a.searchSteps - before);
  }
  return { max, failures };
}

describe('search cost', () => {
  it('gap-tree: at most a few tree heights per allocation, in a fragmented space, with limits and alignment', () => {
    const a = new GapTreeAllocator(4096, 1, END);
    fragment(a, 7);
    const n = a.nodeCount;
    expect(n).toBeGreaterThan(1000);
    const height = 2 * Math.log2(n + 2);
    const { max, failures } = maxStepsPerAlloc(a, 8, 3000);
    expect(failures).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(3 * height + 3);
  });

  it('buddy: bounded by the levels of the space, not by the live count', () => {
    const a = new BuddyAllocator(4096, 1, END);
    fragment(a, 7);
    const { max } = maxStepsPerAlloc(a, 8, 3000);
    expect(max).toBeLessThanOrEqual(3 * a.rootOrder);
  });

  it('vmem and tlsf: a handful of bitmap words and list heads when the limit does not constrain', () => {
    for (const name of ['vmem', 'tlsf'] as const) {
      const a = createAllocator(name, { endPfn: END });
      fragment(a, 7);
      const random = new Mulberry32(9);
      let max = 0;
      for (let i = 0; i < 3000; i++) {
        const before = a.searchSteps;
        a.allocIova(1 + random.below(200), END, random.next() < 0.8);
        max = Math.max(max, a.searchSteps - before);
      }
      expect(max, name).toBeLessThanOrEqual(6);
    }
  });

  it('zero-churn: a failing 32-bit request is O(live) for linux, O(1) or O(log n) for the others', () => {
    for (const live of [1000, 8000]) {
      const steps: Record<string, number> = {};
      for (const name of ['linux', 'buddy', 'gap-tree', 'vmem', 'tlsf'] as const) {
        const a = createAllocator(name, { endPfn: END });
        a.reserveIova(1, LIMIT32 - live);
        const pfns: number[] = [];
        for (let i = 0; i < live; i++) pfns.push(a.allocIova(1, LIMIT32, true) as number);
        a.freeIova(pfns[live >> 1]);
        expect(a.allocIova(1, LIMIT32, true), name).toBe(pfns[live >> 1]);
        const before = a.searchSteps;
        expect(a.allocIova(1, LIMIT32, true), name).toBeNull();
        steps[name] = a.searchSteps - before;
      }
      expect(steps.linux).toBeGreaterThanOrEqual(live);
      for (const name of ['buddy', 'gap-tree', 'vmem', 'tlsf']) expect(steps[name], name).toBeLessThanOrEqual(60);
    }
  });
});
