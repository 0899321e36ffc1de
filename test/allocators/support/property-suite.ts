/**
 * The property suite every allocator runs: random operation lists against the bitmap oracle over
 * each small domain, with the allocator's own structural self-checks every 50 operations and a stats
 * comparison at random points and at the end of every list.
 *
 * Size: IOVASIM_PROPERTY_OPS operations per allocator (default 1,000,000 — what CI runs), in lists of
 * exactly OPS_PER_RUN operations. `npm run soak` sets it to 10,000,000. The count actually run is
 * printed and checked, so a generator that quietly makes shorter lists fails the suite.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocatorName } from '../../../src/allocators/registry.js';
import { DOMAINS, drive, EXPECTATIONS, newCounters, opArb, reservationsArb } from './drive.js';

export const OPS_PER_RUN = 1000;
export const TARGET_OPS = propertyOps();
export const RUNS = Math.ceil(TARGET_OPS / OPS_PER_RUN);
/** A generous bound for a loaded 2-core machine: about 20 s per million operations when idle. */
const TIME_LIMIT_MS = Math.max(240_000, (TARGET_OPS / 1_000_000) * 240_000);

function propertyOps(): number {
  const text = process.env.IOVASIM_PROPERTY_OPS;
  if (text === undefined || text === '') return 1_000_000;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < OPS_PER_RUN) throw new Error(`IOVASIM_PROPERTY_OPS: expected a whole number of at least ${OPS_PER_RUN}, got ${JSON.stringify(text)}`);
  return value;
}

export function definePropertySuite(name: AllocatorName): void {
  describe(`${name}: random operations against the bitmap oracle`, () => {
    const counters = newCounters();

    it(
      'never overlaps, stays inside [startPfn, limit], aligns, frees, keeps reservations, reports stats',
      () => {
        const domainIndex = fc.integer({ min: 0, max: DOMAINS.length - 1 });
        const scenario = domainIndex.chain((d) =>
          fc.tuple(fc.constant(d), reservationsArb(DOMAINS[d]), fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN })),
        );
        fc.assert(
          fc.property(scenario, ([d, reservations, ops]) => {
            drive(name, DOMAINS[d], reservations, ops, counters);
          }),
          // A failure shrinks 1000-operation lists; cap the time so a bug cannot stall the suite.
          // IOVASIM_NO_SHRINK=1 reports the first failing case as found (quick when checking mutants).
          { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true, endOnFailure: process.env.IOVASIM_NO_SHRINK === '1' },
        );
      },
      TIME_LIMIT_MS + 60_000,
    );

    it(`ran at least ${TARGET_OPS.toLocaleString('en')} operations, and counted its false failures`, () => {
      // Printed so that a run shows how much was checked and what each allocator costs in failures.
      console.log(`${name}: ${counters.ops} ops, ${counters.allocs} allocations, ${counters.failures} failures, ${counters.falseFailures} false failures`);
      expect(counters.ops).toBeGreaterThanOrEqual(TARGET_OPS);
      expect(counters.failures).toBeGreaterThan(0);
      if (EXPECTATIONS[name].noFalseFailures === 'all') expect(counters.falseFailures).toBe(0);
    });
  });
}
