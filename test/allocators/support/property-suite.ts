/**
 * The property suite every allocator runs: random operation lists against the bitmap oracle over
 * each small domain. 260 runs of 400 operations: at least 100,000 checked operations per allocator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocatorName } from '../../../src/allocators/registry.js';
import { DOMAINS, drive, EXPECTATIONS, newCounters, opArb, reservationsArb } from './drive.js';

export const OPS_PER_RUN = 400;
export const RUNS = 260;

export function definePropertySuite(name: AllocatorName): void {
  describe(`${name}: random operations against the bitmap oracle`, () => {
    const counters = newCounters();

    it('never overlaps, stays inside [startPfn, limit], aligns, frees, keeps reservations, reports stats', () => {
      const domainIndex = fc.integer({ min: 0, max: DOMAINS.length - 1 });
      const scenario = domainIndex.chain((d) =>
        fc.tuple(fc.constant(d), reservationsArb(DOMAINS[d]), fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN })),
      );
      fc.assert(
        fc.property(scenario, ([d, reservations, ops]) => {
          drive(name, DOMAINS[d], reservations, ops, counters);
        }),
        // A failure shrinks 400-operation lists; cap the time so a bug cannot stall the suite.
        // IOVASIM_NO_SHRINK=1 reports the first failing case as found (quick when checking mutants).
        { numRuns: RUNS, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true, endOnFailure: process.env.IOVASIM_NO_SHRINK === '1' },
      );
    });

    it('ran at least 100,000 operations, and counted its false failures', () => {
      expect(counters.ops).toBeGreaterThanOrEqual(100_000);
      expect(counters.failures).toBeGreaterThan(0);
      if (EXPECTATIONS[name].noFalseFailures === 'all') expect(counters.falseFailures).toBe(0);
      // Printed so that a run shows what each allocator costs in failures.
      console.log(`${name}: ${counters.ops} ops, ${counters.allocs} allocations, ${counters.failures} failures, ${counters.falseFailures} false failures`);
    });
  });
}
