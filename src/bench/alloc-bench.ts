/**
 * The allocator benchmark behind `iovasim alloc-bench`: the same seeded workload on every allocator,
 * side by side in one process, straight on the allocator (no rcache in front, so that the allocator's
 * own cost is what is measured; the rcache hides it exactly when it hits).
 *
 * Patterns (4 KiB granules, a 48-bit space: pfns 1 .. 2^36 - 1, 32-bit limit 2^20 - 1):
 *   churn       `live` ranges of mixed sizes (1 to 256 granules, some not powers of two); each step
 *               unmaps a random one and maps a new one, first below 4 GiB and, if that fails, anywhere
 *               (dma-iommu's "SAC" attempt). One op = one map or one unmap.
 *   zero-churn  the "[0]" case (Zhen Lei's 2021 report, spec §5.1): the 32-bit space is full of
 *               1-granule ranges (`live` of them; space below that is reserved); each iteration frees
 *               a random one, allocates one (which must get it back) and attempts one more, which must
 *               fail. One op = each of the three calls.
 *   ageing      a long run in the 32-bit space alone, half the requests above 128 KiB (33 to 1024
 *               granules, the sizes the rcache never caches), kept about 80% full: allocate while
 *               below the target, else free a random range. Fragmentation is what to look at.
 *   scaling     zero-churn at several live counts (10k, 100k, 1M by default): flat or not.
 * Runs: one untimed audit run first (it counts false failures with an exact mirror, see
 * ../allocators/fragmentation.ts), one warm-up run whose time is discarded, then `runs` timed runs;
 * ns/op is the median over the timed runs, each allocator measured in turn within each run. Each run
 * starts from a fresh allocator and repeats the untimed setup (fill), then a full garbage collection,
 * before its timed ops. In
 * zero-churn and scaling linux runs fewer ops (linuxOps) than the others: its ops cost O(live). A seed fixes every random choice, and every
 * step draws the same numbers whatever the allocator answers, so all allocators see one sequence.
 * ns/op includes the harness's own work (two or three random draws and an array update per op),
 * the same for every allocator.
 */
import { cpus } from 'node:os';
import type { IovaAllocator } from '../allocators/allocator.js';
import { externalFragmentation, FailureAuditor, internalWaste } from '../allocators/fragmentation.js';
import { IovaDomain } from '../allocators/iova-domain.js';
import { createAllocator, defaultEndPfn, type AllocatorName } from '../allocators/registry.js';
import { Mulberry32 } from '../workloads/random.js';
import { median } from '../stats/summary.js';
import { collectGarbage } from './gc.js';

export const ALLOC_BENCH_PATTERNS = ['churn', 'zero-churn', 'ageing', 'scaling'] as const;
export type AllocBenchPattern = (typeof ALLOC_BENCH_PATTERNS)[number];

export const GRANULE = 4096;
export const START_PFN = 1;
export const END_PFN = defaultEndPfn(GRANULE);
/** Highest pfn below 4 GiB at 4 KiB: the 32-bit limit. */
export const LIMIT32 = 2 ** 20 - 1;

export interface AllocBenchOptions {
  readonly allocators: readonly AllocatorName[];
  readonly pattern: AllocBenchPattern;
  readonly seed: number;
  /** Timed runs (an untimed audit run comes first). */
  readonly runs: number;
  /** Timed ops per run; the pattern's default when omitted. */
  readonly ops?: number;
  /**
   * Timed ops per run for linux in zero-churn and scaling, where each of its ops walks the whole
   * 32-bit space (O(live)); the state is the same before and after every iteration (full), so per-op
   * figures compare across different op counts. Default 150; other patterns use `ops` for all.
   */
  readonly linuxOps?: number;
  /** Live ranges: one count for churn and zero-churn, several for scaling. */
  readonly live?: readonly number[];
  /** Called after each measurement (for progress output). */
  readonly onProgress?: (message: string) => void;
}

export interface AllocBenchRow {
  readonly allocator: AllocatorName;
  /** Live ranges when timing starts (for ageing: after its fill, which depends on the allocator). */
  readonly live: number;
  readonly ops: number;
  /** Median over the timed runs. */
  readonly nsPerOp: number;
  readonly runNsPerOp: number[];
  /** Linux's ns/op over this one's, measured in the same run set (null without a linux row). */
  readonly speedupVsLinux: number | null;
  readonly stepsPerOp: number;
  readonly failures: number;
  readonly falseFailures: number;
  /** Over the pattern's window (the 32-bit space, except churn: the whole space). */
  readonly freeGranules: number;
  readonly largestFreeBlock: number;
  readonly externalFragmentation: number;
  readonly internalWaste: number;
}

export interface AllocBenchResult {
  readonly pattern: AllocBenchPattern;
  readonly seed: number;
  readonly runs: number;
  readonly node: string;
  readonly cpu: string;
  readonly rows: AllocBenchRow[];
}

export const DEFAULT_OPS: Record<AllocBenchPattern, number> = {
  churn: 200_000,
  'zero-churn': 30_000,
  ageing: 300_000,
  scaling: 30_000,
};

/** Default linux ops for the patterns where its ops are O(live) (see linuxOps). */
export const DEFAULT_LINUX_OPS = 150;

export const DEFAULT_LIVE: Record<AllocBenchPattern, readonly number[]> = {
  churn: [10_000],
  'zero-churn': [LIMIT32],
  ageing: [0],
  scaling: [10_000, 100_000, 1_000_000],
};

/** Mapping sizes (granules) of churn and their weights: mostly small, some not powers of two. */
const CHURN_SIZES = [1, 2, 3, 4, 8, 16, 32, 48, 64, 128, 256];
const CHURN_WEIGHTS = [30, 10, 5, 10, 10, 10, 8, 4, 6, 4, 3];
/** Ageing: half cacheable sizes, half above 128 KiB. */
const AGEING_SIZES = [1, 2, 4, 8, 16, 32, 33, 40, 48, 64, 96, 100, 128, 200, 256, 300, 512, 700, 1024];
const AGEING_WEIGHTS = [10, 8, 8, 8, 8, 8, 5, 5, 5, 5, 5, 4, 5, 4, 4, 3, 3, 1, 1];
/** Ageing keeps the 32-bit space this full (asked granules). */
const AGEING_FILL = 0.8;

/** Sizes drawn by weight: `pick(u)` for a uniform draw u in [0, 1). */
export class WeightedSizes {
  private readonly cumulative: Float64Array;
  constructor(
    private readonly sizes: readonly number[],
    weights: readonly number[],
  ) {
    const total = weights.reduce((a, b) => a + b, 0);
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      sum += weights[i] / total;
      this.cumulative[i] = sum;
    }
  }

  pick(u: number): number {
    for (let i = 0; i < this.cumulative.length; i++) if (u < this.cumulative[i]) return this.sizes[i];
    return this.sizes[this.sizes.length - 1];
  }
}

const churnSizes = new WeightedSizes(CHURN_SIZES, CHURN_WEIGHTS);
const ageingSizes = new WeightedSizes(AGEING_SIZES, AGEING_WEIGHTS);

export class BenchInvariantError extends Error {}

/** The live ranges of one run and the allocator calls, audited when an auditor is attached. */
class Harness {
  pfns: Float64Array;
  sizes: Float64Array;
  count = 0;
  askedGranules = 0;
  failures = 0;

  constructor(
    readonly allocator: IovaAllocator<number>,
    readonly random: Mulberry32,
    readonly auditor: FailureAuditor | null,
    capacity: number,
  ) {
    this.pfns = new Float64Array(Math.max(16, capacity));
    this.sizes = new Float64Array(Math.max(16, capacity));
  }

  reserve(lo: number, hi: number): void {
    if (!this.allocator.reserveIova(lo, hi)) throw new BenchInvariantError(`${this.allocator.name}: reserveIova(${lo}, ${hi}) refused`);
    this.auditor?.reserved(lo, hi);
  }

  /** allocIova; on success the range is recorded as live. */
  alloc(size: number, limit: number): number | null {
    const pfn = this.allocator.allocIova(size, limit, true);
    if (pfn === null) {
      this.failures++;
      this.auditor?.failed(size, limit, true);
      return null;
    }
    this.auditor?.allocated(this.allocator, pfn, size);
    if (this.count === this.pfns.length) {
      const pfns = new Float64Array(this.count * 2);
      pfns.set(this.pfns);
      this.pfns = pfns;
      const sizes = new Float64Array(this.count * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
    }
    this.pfns[this.count] = pfn;
    this.sizes[this.count] = size;
    this.count++;
    this.askedGranules += size;
    return pfn;
  }

  /** Frees the live range at index i (the last one takes its slot). */
  free(i: number): void {
    const pfn = this.pfns[i];
    if (!this.allocator.freeIova(pfn)) throw new BenchInvariantError(`${this.allocator.name}: freeIova(${pfn}) of a live range returned false`);
    this.auditor?.freed(pfn);
    this.askedGranules -= this.sizes[i];
    this.count--;
    this.pfns[i] = this.pfns[this.count];
    this.sizes[i] = this.sizes[this.count];
  }
}

interface Workload {
  /** Window for the fragmentation figures: [START_PFN, windowEnd]. */
  readonly windowEnd: number;
  setup(h: Harness): void;
  /** Runs at least `ops` timed operations (whole steps); returns how many it ran. */
  run(h: Harness, ops: number): number;
}

function zeroChurn(live: number): Workload {
  const capacity = LIMIT32 - START_PFN + 1;
  if (!Number.isInteger(live) || live < 1 || live > capacity) {
    throw new RangeError(`zero-churn: live count ${live} must be a whole number from 1 to ${capacity} (the 32-bit space)`);
  }
  return {
    windowEnd: LIMIT32,
    setup(h) {
      if (live < capacity) h.reserve(START_PFN, LIMIT32 - live);
      for (let i = 0; i < live; i++) {
        if (h.alloc(1, LIMIT32) === null) throw new BenchInvariantError(`${h.allocator.name}: zero-churn fill failed after ${i} of ${live}`);
      }
      if (h.alloc(1, LIMIT32) !== null) throw new BenchInvariantError(`${h.allocator.name}: the 32-bit space is not full after the fill`);
      h.failures = 0;
      if (h.auditor !== null) h.auditor.failures = h.auditor.falseFailures = 0;
    },
    run(h, ops) {
      const name = h.allocator.name;
      let done = 0;
      for (; done < ops; done += 3) {
        const i = h.random.below(h.count);
        const freed = h.pfns[i];
        h.free(i);
        const pfn = h.alloc(1, LIMIT32);
        if (pfn !== freed) throw new BenchInvariantError(`${name}: zero-churn allocation gave ${pfn}, the only free pfn is ${freed}`);
        if (h.alloc(1, LIMIT32) !== null) throw new BenchInvariantError(`${name}: zero-churn allocation succeeded in a full 32-bit space`);
      }
      return done;
    },
  };
}

function churn(live: number): Workload {
  if (!Number.isInteger(live) || live < 1 || live > 1_000_000) throw new RangeError(`churn: live count ${live} must be a whole number from 1 to 1,000,000`);
  const map = (h: Harness, u: number): void => {
    const size = churnSizes.pick(u);
    if (h.alloc(size, LIMIT32) === null && h.alloc(size, END_PFN) === null) {
      throw new BenchInvariantError(`${h.allocator.name}: churn could not map ${size} granules anywhere`);
    }
  };
  return {
    windowEnd: END_PFN,
    setup(h) {
      for (let i = 0; i < live; i++) map(h, h.random.next());
    },
    run(h, ops) {
      let done = 0;
      for (; done < ops; done += 2) {
        const victim = h.random.next();
        const u = h.random.next();
        h.free(Math.floor(victim * h.count));
        map(h, u);
      }
      return done;
    },
  };
}

function ageing(): Workload {
  const target = AGEING_FILL * (LIMIT32 - START_PFN + 1);
  const step = (h: Harness): void => {
    const u = h.random.next();
    const victim = h.random.next();
    if (h.askedGranules < target || h.count === 0) h.alloc(ageingSizes.pick(u), LIMIT32);
    else h.free(Math.floor(victim * h.count));
  };
  return {
    windowEnd: LIMIT32,
    setup(h) {
      while (h.askedGranules < target) if (h.alloc(ageingSizes.pick(h.random.next()), LIMIT32) === null) break;
      h.failures = 0;
      if (h.auditor !== null) h.auditor.failures = h.auditor.falseFailures = 0;
    },
    run(h, ops) {
      for (let done = 0; done < ops; done++) step(h);
      return ops;
    },
  };
}

function workloadFor(pattern: AllocBenchPattern, live: number): Workload {
  switch (pattern) {
    case 'churn':
      return churn(live);
    case 'zero-churn':
    case 'scaling':
      return zeroChurn(live);
    case 'ageing':
      return ageing();
  }
}

interface Measurement {
  ns: number;
  ops: number;
  liveAtStart: number;
  steps: number;
  harness: Harness;
}

function measure(name: AllocatorName, pattern: AllocBenchPattern, live: number, seed: number, ops: number, audit: boolean): Measurement {
  const allocator = createAllocator(name, { granule: GRANULE, startPfn: START_PFN, endPfn: END_PFN });
  // Time Linux's algorithm as the kernel runs it, one rb_prev() per step: the simulator's shortcut
  // through long walks (same result, same step count) would hide exactly the cost compared here.
  if (allocator instanceof IovaDomain) allocator.skipLongWalks = false;
  const auditor = audit ? new FailureAuditor(GRANULE, START_PFN, END_PFN) : null;
  const harness = new Harness(allocator, new Mulberry32(seed), auditor, live + 16);
  const workload = workloadFor(pattern, live);
  workload.setup(harness);
  const liveAtStart = harness.count;
  collectGarbage();
  const steps = allocator.searchSteps;
  const start = process.hrtime.bigint();
  const done = workload.run(harness, ops);
  const ns = Number(process.hrtime.bigint() - start);
  return { ns, ops: done, liveAtStart, steps: allocator.searchSteps - steps, harness };
}

export function runAllocBench(options: AllocBenchOptions): AllocBenchResult {
  const { pattern, seed, runs } = options;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs ${runs} must be a whole number >= 1`);
  const opsPerRun = options.ops ?? DEFAULT_OPS[pattern];
  if (!Number.isInteger(opsPerRun) || opsPerRun < 1) throw new RangeError(`ops ${opsPerRun} must be a whole number >= 1`);
  const stationary = pattern === 'zero-churn' || pattern === 'scaling';
  const linuxOps = stationary ? (options.linuxOps ?? DEFAULT_LINUX_OPS) : opsPerRun;
  if (!Number.isInteger(linuxOps) || linuxOps < 1) throw new RangeError(`linux ops ${linuxOps} must be a whole number >= 1`);
  const lives = options.live ?? DEFAULT_LIVE[pattern];
  const rows: AllocBenchRow[] = [];
  for (const live of lives) {
    const audits = new Map<AllocatorName, Measurement>();
    const times = new Map<AllocatorName, number[]>();
    // Run 0 audits (untimed), run 1 warms up (discarded), runs 2.. are timed.
    for (let run = 0; run <= runs + 1; run++) {
      for (const name of options.allocators) {
        const m = measure(name, pattern, live, seed, name === 'linux' ? linuxOps : opsPerRun, run === 0);
        if (run === 0) {
          audits.set(name, m);
          times.set(name, []);
        } else if (run > 1) {
          (times.get(name) as number[]).push(m.ns / m.ops);
        }
        const label = run === 0 ? 'audit' : run === 1 ? 'warm-up' : `run ${run - 1}`;
        options.onProgress?.(`${pattern} live=${live} ${name} ${label}: ${(m.ns / m.ops).toFixed(1)} ns/op`);
      }
    }
    const linuxTimes = times.get('linux');
    const linuxNs = linuxTimes === undefined ? null : median(linuxTimes);
    for (const name of options.allocators) {
      const audit = audits.get(name) as Measurement;
      const runNs = times.get(name) as number[];
      const nsPerOp = median(runNs);
      const h = audit.harness;
      const windowEnd = workloadFor(pattern, live).windowEnd;
      const stats = h.allocator.stats(windowEnd);
      rows.push({
        allocator: name,
        live: audit.liveAtStart,
        ops: audit.ops,
        nsPerOp,
        runNsPerOp: runNs,
        speedupVsLinux: linuxNs === null ? null : linuxNs / nsPerOp,
        stepsPerOp: audit.steps / audit.ops,
        failures: h.auditor?.failures ?? h.failures,
        falseFailures: h.auditor?.falseFailures ?? 0,
        freeGranules: stats.freeGranules,
        largestFreeBlock: stats.largestFreeBlock,
        externalFragmentation: externalFragmentation(stats),
        internalWaste: internalWaste(h.allocator),
      });
    }
  }
  return { pattern, seed, runs, node: process.version, cpu: cpus()[0]?.model ?? 'unknown', rows };
}

function fmt(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The result as a fixed-width text table. */
export function formatAllocBenchTable(result: AllocBenchResult): string {
  const header = ['allocator', 'live', 'ops/run', 'ns/op', 'linux/this', 'steps/op', 'failures', 'false fail', 'free', 'largest free', 'ext frag', 'waste'];
  const lines: string[][] = [header];
  for (const r of result.rows) {
    lines.push([
      r.allocator,
      fmt(r.live, 0),
      fmt(r.ops, 0),
      fmt(r.nsPerOp, r.nsPerOp < 100 ? 1 : 0),
      r.speedupVsLinux === null ? '-' : `${fmt(r.speedupVsLinux, r.speedupVsLinux < 10 ? 2 : 0)}x`,
      fmt(r.stepsPerOp, r.stepsPerOp < 100 ? 2 : 0),
      fmt(r.failures, 0),
      fmt(r.falseFailures, 0),
      fmt(r.freeGranules, 0),
      fmt(r.largestFreeBlock, 0),
      fmt(r.externalFragmentation, 3),
      fmt(r.internalWaste, 0),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  const out = [
    `alloc-bench ${result.pattern}: seed ${result.seed}, median of ${result.runs} timed run(s) after an audit and a warm-up run, node ${result.node}, ${result.cpu}`,
    ...lines.map((l) => l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')),
  ];
  return out.join('\n') + '\n';
}
