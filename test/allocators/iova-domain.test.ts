// The Linux IOVA domain: the worked example of spec §2.13, model-based properties over random
// operation sequences, and agreement of the number and bigint pfn representations.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { IovaDomain } from '../../src/allocators/iova-domain.js';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { bigintPfn, numberPfn } from '../../src/allocators/pfn.js';
import { parseIovaTrace, runIovaTrace } from '../../src/conformance/iova-trace.js';
import { Rcache } from '../../src/rcache/rcache.js';
import { sharedDir } from '../support/shared.js';

describe('spec §2.13 worked example (newest kernel, 4 KiB granule, start pfn 1, one CPU)', () => {
  it('hands out the addresses the spec derives step by step', () => {
    const profile = kernelProfile('7.0');
    const domain = new IovaDomain(numberPfn, profile, 4096, 1);
    const rcache = new Rcache(domain, numberPfn, profile, 1);
    const limit32 = 0xfffff; // dma-iommu's 32-bit "SAC" attempt: 0xFFFFFFFF >> 12
    const map = (bytes: number): number => rcache.allocIovaFast(Math.ceil(bytes / 4096), limit32, false) * 4096;
    expect(map(4096)).toBe(0xfffff000);
    expect(domain.tree.pfnLo(domain.cached32Node)).toBe(0xfffff);
    expect(map(4096)).toBe(0xffffe000);
    expect(map(8192)).toBe(0xffffc000);
    expect(map(12288)).toBe(0xffff8000); // 3 pages round up to 4, aligned to 4
    rcache.freeIovaFast(0xfffff, 1); // strict unmap of #1: into class 0's loaded magazine
    expect(rcache.classes[0].cpus[0].loaded.size).toBe(1);
    expect(domain.nodeCount).toBe(4); // cached ranges stay in the tree
    const visitsBefore = domain.visits;
    expect(map(4096)).toBe(0xfffff000); // an rcache hit: no tree walk
    expect(domain.visits).toBe(visitsBefore);
  });

  it('steps over a reserved MSI window on the way down (x86)', () => {
    const domain = new IovaDomain(numberPfn, kernelProfile('7.0'), 4096, 1);
    expect(domain.reserveIova(0xfee00, 0xfeeff)).toBe(true);
    let pfn = 0;
    for (let i = 0; i < 0x1100; i++) pfn = domain.allocIova(1, 0xfffff, true) as number;
    // 0x1100 pfns fit above the window (0xFEF00-0xFFFFF); the next one lands just below it.
    expect(pfn).toBe(0xfef00);
    expect(domain.allocIova(1, 0xfffff, true)).toBe(0xfedff);
  });
});

describe('kernel versions (the switches of src/kernel/changes.ts)', () => {
  /** A domain whose cached32 node sits above 20 free pfns with a 40-pfn window [71, 100] (limit 100). */
  function freeSpaceAboveCached(version: string) {
    const domain = new IovaDomain(numberPfn, kernelProfile(version), 4096, 1);
    const top = domain.allocIova(1, 0xfffff, false); // a range above the limit: iova_find_limit() finds it
    expect(top).toBe(0xfffff);
    expect(domain.allocIova(10, 100, false)).toBe(91);
    expect(domain.allocIova(10, 40, false)).toBe(31); // cached32 drops to [31, 40]
    return domain;
  }

  it('5.10 fails where 4e89dce72521 (5.11) retries from the top of the limit', () => {
    expect(freeSpaceAboveCached('5.10').allocIova(50, 100, false)).toBeNull();
    expect(freeSpaceAboveCached('5.11').allocIova(50, 100, false)).toBe(41);
    expect(freeSpaceAboveCached('5.19').allocIova(50, 100, false)).toBe(41);
    // The what-if of 2021: the pass reverted on 5.19 behaves as 5.10.
    const reverted = new IovaDomain(numberPfn, kernelProfile('5.19', { retryPass: false }), 4096, 1);
    reverted.allocIova(10, 100, false);
    reverted.allocIova(10, 40, false);
    expect(reverted.allocIova(50, 100, false)).toBeNull();
  });

  it('5.11-5.12 restart at the anchor, 371d7955e310 (5.13) at iova_find_limit(): same address, one visit fewer here', () => {
    const from5_12 = freeSpaceAboveCached('5.12');
    const from5_13 = freeSpaceAboveCached('5.13');
    const before12 = from5_12.visits;
    const before13 = from5_13.visits;
    expect(from5_12.allocIova(50, 100, false)).toBe(41);
    expect(from5_13.allocIova(50, 100, false)).toBe(41);
    expect(from5_12.visits - before12).toBe(from5_13.visits - before13 + 1);
  });

  it('before 5b61343b5059 (5.18, backported in 5.15.33) a free below cached32 leaves max32_alloc_size set', () => {
    const run = (version: string): number | null => {
      // start_pfn 71: three 10-pfn ranges fill [71, 100].
      const domain = new IovaDomain(numberPfn, kernelProfile(version), 4096, 71);
      const a = domain.allocIova(10, 100, false);
      const b = domain.allocIova(10, 100, false);
      const c = domain.allocIova(10, 100, false);
      expect([a, b, c]).toEqual([91, 81, 71]);
      domain.freeIova(81); // at or above cached32 (c): cached32 moves up to a
      expect(domain.allocIova(20, 100, false)).toBeNull(); // 10 free pfns: fails, max32_alloc_size = 20
      domain.freeIova(71); // below cached32
      return domain.allocIova(20, 100, false);
    };
    expect(run('5.10')).toBeNull();
    expect(run('5.15')).toBeNull();
    expect(run('5.15.32')).toBeNull();
    expect(run('5.15.33')).toBe(71);
    expect(run('5.18')).toBe(71);
  });

  it('the retry-overflow fix dcdb3ba7e2a8 reaches 5.15 at 5.15.89 and 6.1 at 6.1.7', () => {
    const versions = ['5.15.88', '5.15.89', '6.1', '6.1.6', '6.1.7', '6.2', '6.6'];
    expect(versions.map((v) => kernelProfile(v).retryOverflowBug)).toEqual([true, false, true, true, false, false, false]);
    expect(kernelProfile('5.10').retryOverflowBug).toBe(false); // no retry pass to overflow
  });
});

interface Live {
  lo: number;
  hi: number;
  reserved: boolean;
}

type Operation =
  | { kind: 'alloc'; size: number; limit: number; aligned: boolean }
  | { kind: 'free'; pick: number }
  | { kind: 'reserve'; lo: number; length: number };

const START_PFN = 16;
/** dma_32bit_pfn at 4 KiB granules. Limits around it mix 32-bit and 64-bit requests. */
const DMA32 = 2 ** 20;
const limitPfn = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: DMA32 - 3000, max: DMA32 + 3000 }));

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), size: fc.integer({ min: 1, max: 70 }), limit: limitPfn, aligned: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reserve' as const), lo: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: DMA32 - 3000, max: DMA32 + 3000 })), length: fc.integer({ min: 1, max: 40 }) }) },
);

describe('IovaDomain properties (7.0 profile, random operation sequences)', () => {
  // Operation counts per property, printed at the end: fast-check's arrays are as long as stated
  // only when minLength is given (without it, fast-check 4 keeps them to about 10 elements).
  const operations = { model: 0, bigint: 0, dense: 0 };
  afterAll(() => {
    console.log(`IovaDomain properties: ${operations.model} model operations, ${operations.bigint} number/bigint trace lines, ${operations.dense} dense-walk trace lines`);
  });

  it('never overlaps, stays inside [start_pfn, limit], honours alignment and really frees', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 200, maxLength: 400 }), (script) => {
        operations.model += script.length;
        const domain = new IovaDomain(numberPfn, kernelProfile('7.0'), 2 ** 12, START_PFN);
        const live: Live[] = [];
        for (const step of script) {
          if (step.kind === 'alloc') {
            const pfn = domain.allocIova(step.size, step.limit, step.aligned);
            if (pfn === null) continue;
            const hi = pfn + step.size - 1;
            expect(pfn).toBeGreaterThanOrEqual(START_PFN);
            expect(hi).toBeLessThanOrEqual(step.limit);
            if (step.aligned) expect(pfn % 2 ** Math.ceil(Math.log2(step.size))).toBe(0);
            // A plain loop: one expect() per live range and step would dominate the test's time.
            const overlapped = live.find((other) => !(hi < other.lo || pfn > other.hi));
            if (overlapped !== undefined) expect([pfn, hi], 'overlaps a live range').toEqual([overlapped.lo, overlapped.hi]);
            live.push({ lo: pfn, hi, reserved: false });
          } else if (step.kind === 'free') {
            const allocated = live.filter((r) => !r.reserved);
            if (allocated.length === 0) continue;
            const victim = allocated[step.pick % allocated.length];
            expect(domain.freeIova(victim.lo)).toBe(true);
            live.splice(live.indexOf(victim), 1);
            expect(domain.findIova(victim.lo)).toBeNull();
          } else {
            const hi = step.lo + step.length - 1;
            // Reserving over live allocations stretches them; keep the model simple by reserving free space only.
            if (live.some((r) => !(hi < r.lo || step.lo > r.hi))) continue;
            expect(domain.reserveIova(step.lo, hi)).toBe(true);
            live.push({ lo: step.lo, hi, reserved: true });
          }
          if (domain.nodeCount !== live.length) expect(domain.nodeCount).toBe(live.length);
        }
        const ranges = [...domain.ranges()].map((r) => [r.pfnLo, r.pfnHi]);
        expect(ranges).toEqual(live.map((r) => [r.lo, r.hi]).sort((a, b) => a[0] - b[0]));
      }),
      { numRuns: 300 },
    );
    expect(operations.model).toBeGreaterThanOrEqual(300 * 200);
  });

  it('gives the same results with number and bigint pfns', () => {
    const pfn = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: DMA32 - 3000, max: DMA32 + 3000 }));
    const line = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 40 }), pfn, fc.integer({ min: 0, max: 1 })).map(([s, l, a]) => `alloc ${s} ${l} ${a}`),
      fc.tuple(fc.integer({ min: 1, max: 40 }), pfn, fc.integer({ min: 0, max: 1 })).map(([s, l, f]) => `alloc_fast ${s} ${l} ${f}`),
      pfn.map((p) => `free ${p}`),
      fc.integer({ min: 0, max: 40 }).map((k) => `free @${k}`),
      fc.tuple(pfn, fc.integer({ min: 1, max: 40 })).map(([p, s]) => `free_fast ${p} ${s}`),
      fc.tuple(pfn, fc.integer({ min: 0, max: 20 })).map(([p, n]) => `reserve ${p} ${p + n}`),
      fc.integer({ min: 0, max: 1 }).map((c) => `cpu ${c}`),
      fc.integer({ min: 0, max: 300 }).map((ms) => `tick ${ms}`),
    );
    fc.assert(
      fc.property(fc.constantFrom('5.10', '5.11', '5.15', '5.15.89', '5.19', '6.1.7', '7.0'), fc.integer({ min: 0, max: 20 }), fc.array(line, { minLength: 100, maxLength: 200 }), (version, start, lines) => {
        operations.bigint += lines.length;
        // Handles past the allocations made so far would be rejected by the parser: drop them.
        let allocs = 0;
        const valid = lines.filter((l) => {
          if (l.startsWith('alloc')) allocs++;
          return !l.startsWith('free @') || Number(l.slice(6)) < allocs;
        });
        const text = ['cpus 2', `domain 4096 ${start}`, 'rcache', ...valid, 'stats', 'dump', 'rcdump'].join('\n');
        const trace = parseIovaTrace(text, 'random.trace');
        const profile = kernelProfile(version);
        expect(runIovaTrace(trace, profile, { pfns: 'bigint' })).toBe(runIovaTrace(trace, profile));
      }),
      { numRuns: 150 },
    );
    expect(operations.bigint).toBeGreaterThanOrEqual(150 * 100);
  });

  it('skips long walks exactly: dense one-page domains give the same addresses and visits as a plain walk', () => {
    // Many 1-2 page allocations below 4 GiB make walks of hundreds of steps, where number pfns
    // (augmented tree, skipping) and bigint pfns (plain rb_prev walk) must still agree on every line.
    const line = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1 })).map(([s, a]) => `alloc ${s} ${DMA32 - 1} ${a}`) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: DMA32 - 3000, max: DMA32 - 1 })).map(([s, l]) => `alloc ${s} ${l} 1`) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 2000 }).map((k) => `free @${k}`) },
      { weight: 1, arbitrary: fc.integer({ min: DMA32 - 2500, max: DMA32 - 1 }).map((p) => `reserve ${p} ${p + 3}`) },
    );
    fc.assert(
      fc.property(fc.constantFrom('5.10', '5.11', '5.15', '5.19', '7.0'), fc.array(line, { minLength: 200, maxLength: 600 }), (version, lines) => {
        operations.dense += lines.length;
        let allocs = 0;
        const valid = lines.filter((l) => {
          if (l.startsWith('alloc')) allocs++;
          return !l.startsWith('free @') || Number(l.slice(6)) < allocs;
        });
        const trace = parseIovaTrace([`domain 4096 ${DMA32 - 2600}`, ...valid, 'stats', 'dump'].join('\n'), 'dense.trace');
        const profile = kernelProfile(version);
        expect(runIovaTrace(trace, profile, { pfns: 'bigint' })).toBe(runIovaTrace(trace, profile));
      }),
      { numRuns: 60 },
    );
    expect(operations.dense).toBeGreaterThanOrEqual(60 * 200);
  });

  it('does not take a gap whose aligned candidate lands on the predecessor when skipping', () => {
    // Above: 90 one-page ranges (a walk long enough to skip). Then a 9-page gap whose 8-aligned
    // candidate is exactly the predecessor's last pfn (1000): no fit. The next fit is below it.
    const lines = ['domain 4096 1', 'reserve 1000 1000', 'reserve 1010 1010'];
    for (let p = 1011; p <= 1100; p++) lines.push(`reserve ${p} ${p}`);
    lines.push('alloc 8 1100 1', 'stats');
    const trace = parseIovaTrace(lines.join('\n'), 'edge.trace');
    const out = runIovaTrace(trace, kernelProfile('7.0'));
    expect(out.split('\n').filter((l) => !/^(ok|nodes|visits)/.test(l))[0]).toBe('992 999');
    expect(out).toBe(runIovaTrace(trace, kernelProfile('7.0'), { pfns: 'bigint' }));
  });

  it('replays the smaller golden traces identically with bigint pfns, on every kernel version', () => {
    const conformance = join(sharedDir(), 'conformance');
    // The traces live in 5.19/; every version folder holds the outputs of its kernel.
    const versions = readdirSync(conformance).filter((name) => existsSync(join(conformance, name, 't01_tiny_basic.out')));
    expect(versions.length).toBeGreaterThanOrEqual(10);
    for (const version of versions) {
      for (const name of ['t02_alloc_sizes', 't09_small_domain_churn', 't11_anchor_overflow', 't16_depot_overflow', 't23_size_edges', 't26_random_medium']) {
        const file = join(conformance, '5.19', `${name}.trace`);
        const expected = readFileSync(join(conformance, version, `${name}.out`), 'utf8');
        const actual = runIovaTrace(parseIovaTrace(readFileSync(file, 'utf8'), file), kernelProfile(version), { pfns: 'bigint' });
        expect(actual === expected, `${version} ${name}`).toBe(true);
      }
    }
  });

  it('keeps 64-bit pfns exact with a 512-byte granule', () => {
    const domain = new IovaDomain(bigintPfn, kernelProfile('7.0'), 512, 0n);
    const top = (1n << 55n) - 1n; // ~0UL >> 9
    expect(domain.allocIova(3n, top - 1n, false)).toBe(top - 3n);
    expect(domain.allocIova(4n, top, true)).toBe(top - 7n);
    expect(domain.reserveIova(top + 1n, top + 1n)).toBe(false); // the kernel's WARN
  });
});
