/**
 * Drives an allocator and the bitmap oracle with the same operations and checks every answer.
 * Operations carry raw random numbers; the driver turns them into sizes, limits and victims against
 * the current state, so any operation list is valid for any allocator and domain.
 */
import fc from 'fast-check';
import type { IovaAllocator } from '../../../src/allocators/allocator.js';
import { hasGrantAccounting } from '../../../src/allocators/fragmentation.js';
import { createAllocator, type AllocatorName } from '../../../src/allocators/registry.js';
import { BitmapOracle, LIVE, RESERVED, roundupPow2 } from './bitmap-oracle.js';

export interface Domain {
  readonly label: string;
  readonly granule: number;
  readonly startPfn: number;
  readonly endPfn: number;
}

/** Small domains, so the oracle's scans stay cheap; the first two straddle the 32-bit boundary. */
export const DOMAINS: readonly Domain[] = [
  { label: '4K granule around 4 GiB', granule: 4096, startPfn: 2 ** 20 - 600, endPfn: 2 ** 20 + 423 },
  { label: '512 B granule around 4 GiB', granule: 512, startPfn: 2 ** 23 - 300, endPfn: 2 ** 23 + 299 },
  { label: '4K granule, low and odd', granule: 4096, startPfn: 1, endPfn: 700 },
];

export type Op =
  | { readonly kind: 'alloc'; readonly size: number; readonly limitKind: number; readonly limitPick: number; readonly aligned: boolean }
  | { readonly kind: 'free'; readonly pick: number; readonly offset: number }
  | { readonly kind: 'bogus'; readonly pick: number }
  | { readonly kind: 'reserve'; readonly pick: number; readonly length: number }
  | { readonly kind: 'stats' };

const pick = fc.integer({ min: 0, max: 2 ** 30 });

export const sizeArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 6 },
  { arbitrary: fc.integer({ min: 9, max: 64 }), weight: 3 },
  { arbitrary: fc.integer({ min: 65, max: 300 }), weight: 1 },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const),
      size: sizeArb,
      limitKind: fc.integer({ min: 0, max: 3 }),
      limitPick: pick,
      aligned: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
    }),
    weight: 50,
  },
  { arbitrary: fc.record({ kind: fc.constant('free' as const), pick, offset: pick }), weight: 40 },
  { arbitrary: fc.record({ kind: fc.constant('bogus' as const), pick }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('reserve' as const), pick, length: fc.integer({ min: 1, max: 40 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'stats' as const }), weight: 2 },
);

export interface Expectations {
  /** Every allocation must be the plain top-down first fit from the limit (gap-tree). */
  readonly exactTopDown: boolean;
  /** Which failures must never be false: 'all', 'pow2-aligned' (buddy) or 'none' (no claim). */
  readonly noFalseFailures: 'all' | 'pow2-aligned' | 'none';
  /** Linux frees reserved nodes and stretches live ones on reserve; the alternatives refuse both. */
  readonly linuxSemantics: boolean;
}

export const EXPECTATIONS: Record<AllocatorName, Expectations> = {
  linux: { exactTopDown: false, noFalseFailures: 'none', linuxSemantics: true },
  buddy: { exactTopDown: false, noFalseFailures: 'pow2-aligned', linuxSemantics: false },
  'gap-tree': { exactTopDown: true, noFalseFailures: 'all', linuxSemantics: false },
  vmem: { exactTopDown: false, noFalseFailures: 'all', linuxSemantics: false },
  tlsf: { exactTopDown: false, noFalseFailures: 'none', linuxSemantics: false },
};

export interface Counters {
  ops: number;
  allocs: number;
  failures: number;
  falseFailures: number;
}

export function newCounters(): Counters {
  return { ops: 0, allocs: 0, failures: 0, falseFailures: 0 };
}

function fail(name: string, message: string): never {
  throw new Error(`${name}: ${message}`);
}

interface Invariants {
  checkInvariants?: () => void;
}

/** Runs one operation list on a fresh allocator of `name` over `domain`; throws on any wrong answer. */
export function drive(name: AllocatorName, domain: Domain, reservations: readonly [number, number][], ops: readonly Op[], counters: Counters): void {
  const allocator: IovaAllocator<number> & Invariants = createAllocator(name, {
    granule: domain.granule,
    startPfn: domain.startPfn,
    endPfn: domain.endPfn,
  });
  const expect = EXPECTATIONS[name];
  const { startPfn, endPfn } = domain;
  const width = endPfn - startPfn + 1;
  const oracle = new BitmapOracle(startPfn, endPfn, allocator.dma32BitPfn);
  const liveStarts: number[] = [];
  let lastSteps = 0;

  const reserve = (lo: number, hi: number): void => {
    const overlaps = oracle.overlapsLive(lo, hi);
    if (expect.linuxSemantics) {
      if (overlaps) return; // Linux would stretch the live node; not a reservation the oracle models.
      if (!allocator.reserveIova(lo, hi)) fail(name, `reserveIova(${lo}, ${hi}) refused`);
      oracle.reserve(lo, hi);
      return;
    }
    const ok = allocator.reserveIova(lo, hi);
    if (ok === overlaps) fail(name, `reserveIova(${lo}, ${hi}) returned ${ok} although the range ${overlaps ? 'overlaps' : 'does not overlap'} a live range`);
    if (ok) oracle.reserve(lo, hi);
  };

  const checkStats = (): void => {
    const got = allocator.stats(endPfn);
    const want = oracle.stats(endPfn);
    if (got.liveRanges !== oracle.live.size) fail(name, `stats.liveRanges ${got.liveRanges}, oracle ${oracle.live.size}`);
    if (got.freeGranules !== want.freeGranules) fail(name, `stats.freeGranules ${got.freeGranules}, oracle ${want.freeGranules}`);
    if (got.largestFreeBlock !== want.largestFreeBlock) fail(name, `stats.largestFreeBlock ${got.largestFreeBlock}, oracle ${want.largestFreeBlock}`);
    if (got.largestFreeBlockBelow32 !== want.largestFreeBlockBelow32) {
      fail(name, `stats.largestFreeBlockBelow32 ${got.largestFreeBlockBelow32}, oracle ${want.largestFreeBlockBelow32}`);
    }
    if (got.searchSteps < lastSteps || got.searchSteps !== allocator.searchSteps) fail(name, 'searchSteps went backwards or disagrees with stats');
    lastSteps = got.searchSteps;
    if (hasGrantAccounting(allocator)) {
      if (allocator.askedGranules !== oracle.askedGranules()) fail(name, `askedGranules ${allocator.askedGranules}, oracle ${oracle.askedGranules()}`);
      if (allocator.grantedGranules !== oracle.grantedGranules()) fail(name, `grantedGranules ${allocator.grantedGranules}, oracle ${oracle.grantedGranules()}`);
    }
    allocator.checkInvariants?.();
  };

  for (const [lo, hi] of reservations) reserve(lo, hi);

  for (const op of ops) {
    counters.ops++;
    // The structural self-checks (tree shape, cached numbers, lists, bitmaps) every 50 operations
    // (every 25 cost a third of the suite's time; the oracle checks every answer regardless).
    if (counters.ops % 50 === 0) allocator.checkInvariants?.();
    switch (op.kind) {
      case 'alloc': {
        const { size, aligned } = op;
        let limit: number;
        if (op.limitKind === 0) limit = endPfn;
        else if (op.limitKind === 1) limit = allocator.dma32BitPfn - 1 <= endPfn && allocator.dma32BitPfn - 1 >= startPfn ? allocator.dma32BitPfn - 1 : endPfn;
        else if (op.limitKind === 2 || expect.linuxSemantics) limit = startPfn + (op.limitPick % width);
        else limit = endPfn + 1 + (op.limitPick % 1000); // above the domain: must be clipped
        const oracleFit = oracle.topDownFit(size, limit, aligned);
        const p = allocator.allocIova(size, limit, aligned);
        counters.allocs++;
        if (p === null) {
          counters.failures++;
          if (oracleFit !== null) {
            counters.falseFailures++;
            const mustFit = expect.noFalseFailures === 'all' || (expect.noFalseFailures === 'pow2-aligned' && aligned && roundupPow2(size) === size);
            if (mustFit) fail(name, `allocIova(${size}, ${limit}, ${aligned}) failed although [${oracleFit}, ${oracleFit + size - 1}] is free`);
          }
          break;
        }
        const align = aligned ? roundupPow2(size) : 1;
        if (!Number.isInteger(p) || p % align !== 0) fail(name, `allocIova(${size}, ${limit}, ${aligned}) returned ${p}, not a multiple of ${align}`);
        const range = allocator.findIova(p);
        if (range === null || range.pfnLo !== p || range.pfnHi < p + size - 1) {
          fail(name, `findIova(${p}) after allocIova(${size}) gave ${range === null ? 'null' : `[${range.pfnLo}, ${range.pfnHi}]`}`);
        }
        const hi = range.pfnHi;
        if (p < startPfn || hi > Math.min(limit, endPfn)) fail(name, `allocIova(${size}, ${limit}) gave [${p}, ${hi}], outside [${startPfn}, ${Math.min(limit, endPfn)}]`);
        if (!oracle.isFree(p, hi)) {
          const what = [...Array(hi - p + 1).keys()].some((i) => oracle.state(p + i) === RESERVED) ? 'reserved' : 'live';
          fail(name, `allocIova(${size}, ${limit}) gave [${p}, ${hi}], which overlaps ${what} granules`);
        }
        if (expect.exactTopDown && p !== oracleFit) fail(name, `allocIova(${size}, ${limit}, ${aligned}) gave ${p}, top-down first fit is ${oracleFit}`);
        if (oracleFit === null) fail(name, `allocIova(${size}, ${limit}, ${aligned}) succeeded where the oracle finds no fit`);
        oracle.allocate(p, hi, size);
        liveStarts.push(p);
        break;
      }
      case 'free': {
        if (liveStarts.length === 0) break;
        const index = op.pick % liveStarts.length;
        const lo = liveStarts[index];
        const range = oracle.live.get(lo) as { hi: number };
        const pfn = lo + (op.offset % (range.hi - lo + 1));
        if (!allocator.freeIova(pfn)) fail(name, `freeIova(${pfn}) of live [${lo}, ${range.hi}] returned false`);
        oracle.release(lo);
        liveStarts[index] = liveStarts[liveStarts.length - 1];
        liveStarts.pop();
        if (allocator.findIova(pfn) !== null || allocator.findIova(lo) !== null) fail(name, `findIova(${pfn}) still finds a range after its free`);
        break;
      }
      case 'bogus': {
        const pfn = startPfn + (op.pick % width);
        const state = oracle.state(pfn);
        if (state === LIVE) break;
        if (state === RESERVED && expect.linuxSemantics) break;
        if (allocator.freeIova(pfn)) fail(name, `freeIova(${pfn}) of a ${state === RESERVED ? 'reserved' : 'free'} pfn returned true`);
        if (allocator.findIova(pfn) !== null) fail(name, `findIova(${pfn}) of a ${state === RESERVED ? 'reserved' : 'free'} pfn found a range`);
        break;
      }
      case 'reserve': {
        const lo = startPfn - 5 + (op.pick % (width + 10));
        reserve(lo, lo + op.length - 1);
        break;
      }
      case 'stats':
        checkStats();
        break;
    }
  }
  checkStats();
  // Free everything: the whole domain but the reservations must be free again.
  for (const lo of liveStarts) if (!allocator.freeIova(lo)) fail(name, `final freeIova(${lo}) returned false`);
  for (const lo of liveStarts) oracle.release(lo);
  checkStats();
}

export const reservationsArb = (domain: Domain): fc.Arbitrary<[number, number][]> =>
  fc.array(
    fc.tuple(fc.integer({ min: domain.startPfn - 3, max: domain.endPfn }), fc.integer({ min: 1, max: 64 })).map(([lo, n]): [number, number] => [lo, lo + n - 1]),
    { minLength: 0, maxLength: 3, size: 'max' },
  );
