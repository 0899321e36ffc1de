/**
 * The latency benchmark behind `iovasim alloc-bench --pattern fifo|mixed|random`: how long one
 * allocation and one free take, as percentiles, on each allocator, with or without an rcache in
 * front, for a given lifetime model, size distribution, live count and state of the 32-bit space.
 *
 * Model. Each allocator holds `live` mappings (plus, in the `full32` state, a 32-bit space filled
 * with one-granule mappings that stay). Mapping asks below 4 GiB first and then anywhere, as
 * dma-iommu does for PCI devices ("SAC"): alloc_iova_fast(size, 32-bit, no flush), then
 * alloc_iova_fast(size, full, flush) with the rcache; allocIova twice without it. Every size is
 * size-aligned. The timed run is a sequence of batches: free k mappings (the lifetime model picks
 * which), then map k new ones into the freed slots, so the live count stays constant.
 *   fifo    a ring of `live` in-flight mappings freed oldest first, as an I/O queue makes them;
 *   mixed   90% long-lived (made in setup; a free picks one of them, at random, 1 time in 16) and
 *           10% short-lived in FIFO order — long-lived buffers among a queue's churn;
 *   random  each free picks a live mapping uniformly at random.
 * Where frees land relative to the allocator's search start decides Linux's walk length (its cached
 * node moves up on every free at or above it), so the model matters most for `linux`.
 *
 * Timing. A timer read (performance.now()) costs about as much as the fastest ops, so single ops are
 * not timed: each batch of k frees and each batch of k maps is timed as a whole, the timer's own
 * cost (median of back-to-back reads, measured before the run) is subtracted, and the rest divided
 * by the ops in the batch. Percentiles are over these per-batch means (k = 1 times single ops, at
 * the timer's resolution and with its overhead subtracted). A slow op in a batch of k shows as 1/k of
 * its excess, so p99.9 and max understate single-op tails by up to k; the mean is exact. Linux runs
 * its walks step by step (skipLongWalks off), as the kernel does.
 *
 * Memory. Bytes per live IOVA: heap used plus ArrayBuffer bytes after full garbage collections, read
 * at the end of a run with the allocator (and rcache) alive and again once it is dropped; the
 * difference, divided by the mappings it held (fill included). The harness's own arrays outlive both
 * readings, so they are not counted; garbage left by earlier runs is in both, so it cancels out.
 * Readings vary by some hundred KB from run to run (V8's own heap), so small live counts give rough
 * figures; quote them at 100k live and more.
 *
 * Determinism: one seed fixes sizes and victims; every allocator sees the same sequence of sizes and
 * draws (the victims of fifo and mixed depend only on slot order, not on addresses).
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import type { AllocatorStats, IovaAllocator, IovaRange } from '../allocators/allocator.js';
import { IovaDomain } from '../allocators/iova-domain.js';
import { kernelProfile } from '../allocators/kernel-version.js';
import { numberPfn } from '../allocators/pfn.js';
import { createAllocator, defaultEndPfn, type AllocatorName } from '../allocators/registry.js';
import { Rcache } from '../rcache/rcache.js';
import { escapeXml, percentileChart, colourOf, type PercentileCurve } from '../report/svg.js';
import { REPORT_CSS } from '../report/html.js';
import { readIoRecords } from '../workloads/detect.js';
import { Mulberry32 } from '../workloads/random.js';
import { WorkloadError } from '../workloads/errors.js';
import { WeightedSizes } from './alloc-bench.js';
import { collectGarbage } from './gc.js';

export const LIFETIME_MODELS = ['fifo', 'mixed', 'random'] as const;
export type LifetimeModel = (typeof LIFETIME_MODELS)[number];
export const SPACE_STATES = ['empty', 'full32'] as const;
export type SpaceState = (typeof SPACE_STATES)[number];

const GRANULE = 4096;
const START_PFN = 1;
const END_PFN = defaultEndPfn(GRANULE);
const LIMIT32 = 2 ** 20 - 1;
/** mixed: share of long-lived mappings, and how often a free picks one of them. */
const MIXED_LONG_SHARE = 0.9;
const MIXED_LONG_FREE_CHANCE = 1 / 16;

export const DEFAULT_LATENCY_OPS = 200_000;
export const DEFAULT_LATENCY_LIVE = 10_000;
export const DEFAULT_BATCH = 8;
export const MAX_LATENCY_LIVE = 1_000_000;

/** Where mapping sizes (granules) come from. */
export interface SizeSource {
  /** As given on the command line (fixed:1, pow2:1-64, mix, hist:FILE, workload:FILE). */
  readonly label: string;
  /** The i-th size, from a uniform draw u in [0, 1) (tables) or the index (sequences). */
  size(i: number, u: number): number;
}

export class SizeSpecError extends Error {}

class WeightedSizeSource implements SizeSource {
  private readonly table: WeightedSizes;
  constructor(
    readonly label: string,
    sizes: readonly number[],
    weights: readonly number[],
  ) {
    this.table = new WeightedSizes(sizes, weights);
  }

  size(_i: number, u: number): number {
    return this.table.pick(u);
  }
}

class SequenceSizes implements SizeSource {
  constructor(
    readonly label: string,
    private readonly sizes: Uint32Array,
  ) {}

  size(i: number): number {
    return this.sizes[i % this.sizes.length];
  }
}

/** The churn pattern's mix (alloc-bench.ts): mostly small, some not powers of two. */
const MIX_SIZES = [1, 2, 3, 4, 8, 16, 32, 48, 64, 128, 256];
const MIX_WEIGHTS = [30, 10, 5, 10, 10, 10, 8, 4, 6, 4, 3];
/** A mapping larger than this many granules (4 GiB) is refused in tables and workloads. */
const MAX_SIZE = 2 ** 20;
const MAX_WORKLOAD_SIZES = 1_000_000;

function granulesOf(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new SizeSpecError(`${what}: "${text}" is not a whole number of granules`);
  const value = Number(text);
  if (value < 1 || value > MAX_SIZE) throw new SizeSpecError(`${what}: ${value} granules is outside 1..${MAX_SIZE}`);
  return value;
}

/**
 * A size source from its description: `fixed:N`; `pow2:A-B` (the powers of two from A to B, equally
 * likely); `mix` (default); `hist:FILE` (lines `GRANULES WEIGHT`, `#` comments); `workload:FILE`
 * (any workload src/workloads reads: each read or write's length in 4 KiB granules, rounded up, used
 * in trace order, the first 1,000,000).
 */
export async function loadSizeSource(spec: string): Promise<SizeSource> {
  if (spec === 'mix') return new WeightedSizeSource('mix', MIX_SIZES, MIX_WEIGHTS);
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'fixed':
      return new WeightedSizeSource(spec, [granulesOf(rest, 'fixed')], [1]);
    case 'pow2': {
      const match = /^(\d+)-(\d+)$/.exec(rest);
      if (match === null) throw new SizeSpecError(`pow2: "${rest}" is not MIN-MAX (granules, e.g. pow2:1-64)`);
      const lo = granulesOf(match[1], 'pow2 MIN');
      const hi = granulesOf(match[2], 'pow2 MAX');
      const sizes: number[] = [];
      for (let s = 1; s <= hi; s *= 2) if (s >= lo) sizes.push(s);
      if (sizes.length === 0) throw new SizeSpecError(`pow2: no power of two between ${lo} and ${hi}`);
      return new WeightedSizeSource(spec, sizes, sizes.map(() => 1));
    }
    case 'hist':
      return readHistogram(rest, spec);
    case 'workload':
      return readWorkloadSizes(rest, spec);
    default:
      throw new SizeSpecError(`unknown size distribution "${spec}" (fixed:N, pow2:A-B, mix, hist:FILE, workload:FILE)`);
  }
}

async function readHistogram(file: string, label: string): Promise<SizeSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SizeSpecError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const sizes: number[] = [];
  const weights: number[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    const where = `${file}:${index + 1}`;
    if (fields.length !== 2) throw new SizeSpecError(`${where}: expected "GRANULES WEIGHT", got ${fields.length} field(s)`);
    if (!/^\d+$/.test(fields[0]) || Number(fields[0]) < 1 || Number(fields[0]) > MAX_SIZE) throw new SizeSpecError(`${where}: GRANULES "${fields[0]}" is not a whole number from 1 to ${MAX_SIZE}`);
    const weight = Number(fields[1]);
    if (!/^\d+(\.\d+)?$/.test(fields[1]) || !(weight > 0)) throw new SizeSpecError(`${where}: WEIGHT "${fields[1]}" is not a positive number`);
    sizes.push(Number(fields[0]));
    weights.push(weight);
  });
  if (sizes.length === 0) throw new SizeSpecError(`${file}: no "GRANULES WEIGHT" lines`);
  return new WeightedSizeSource(label, sizes, weights);
}

async function readWorkloadSizes(file: string, label: string): Promise<SizeSource> {
  const sizes = new Uint32Array(MAX_WORKLOAD_SIZES);
  let count = 0;
  try {
    for await (const record of readIoRecords(file)) {
      if ((record.op !== 'read' && record.op !== 'write') || record.lengthBytes <= 0) continue;
      const granules = Math.ceil(record.lengthBytes / GRANULE);
      if (granules > MAX_SIZE) throw new SizeSpecError(`${file}:${record.line}: length: ${record.lengthBytes} bytes is more than 4 GiB`);
      sizes[count++] = granules;
      if (count === MAX_WORKLOAD_SIZES) break;
    }
  } catch (error) {
    if (error instanceof WorkloadError) throw new SizeSpecError(error.message);
    throw error;
  }
  if (count === 0) throw new SizeSpecError(`${file}: no read or write with a length`);
  return new SequenceSizes(label, sizes.slice(0, count));
}

export interface LatencyBenchOptions {
  readonly allocators: readonly AllocatorName[];
  readonly lifetime: LifetimeModel;
  readonly sizes: SizeSource;
  readonly seed: number;
  /** Mappings live throughout the timed run (the 32-bit fill of `full32` not counted). */
  readonly live?: number;
  /** Timed frees, and timed maps, per allocator and run. */
  readonly ops?: number;
  /** Ops per timed batch (1: single ops). */
  readonly batch?: number;
  /** Timed runs per allocator, pooled; each after an untimed warm-up of ops/4 batches' worth. */
  readonly runs?: number;
  /** Kernel version whose rcache sits in front (one CPU), or null for the bare allocator. */
  readonly rcache?: string | null;
  /** Kernel version modelled by linux (default 7.0). */
  readonly kernel?: string;
  readonly space?: SpaceState;
  readonly onProgress?: (message: string) => void;
}

export interface LatencySummary {
  readonly meanNs: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** (latency ns, percentile) points for a CDF chart. */
  readonly curve: readonly { readonly value: number; readonly percentile: number }[];
}

export interface LatencyRow {
  readonly allocator: AllocatorName;
  readonly alloc: LatencySummary;
  readonly free: LatencySummary;
  /** Maps that failed twice (below 4 GiB, then anywhere), over all timed runs. */
  readonly failures: number;
  /** Allocator search steps per timed map (tree nodes, list entries, bitmap words). */
  readonly stepsPerMap: number;
  /** rcache hits per timed map (null without an rcache). */
  readonly rcacheHitRate: number | null;
  /** Mappings held when memory was measured (live + the full32 fill). */
  readonly heldAtMemory: number;
  readonly bytesPerLiveIova: number;
}

export interface LatencyResult {
  readonly lifetime: LifetimeModel;
  readonly sizes: string;
  readonly live: number;
  readonly ops: number;
  readonly batch: number;
  readonly runs: number;
  readonly seed: number;
  readonly rcache: string | null;
  readonly space: SpaceState;
  readonly timerOverheadNs: number;
  readonly node: string;
  readonly rows: LatencyRow[];
}

/** Median cost of one back-to-back pair of timer reads, in ns. */
function timerOverheadNs(): number {
  const samples = new Float64Array(20_001);
  for (let i = 0; i < samples.length; i++) {
    const start = performance.now();
    samples[i] = performance.now() - start;
  }
  samples.sort();
  return samples[samples.length >> 1] * 1e6;
}

/**
 * Heap used plus ArrayBuffer bytes after full collections. V8 frees the backing stores of collected
 * typed arrays on a background thread, so the reading waits a moment after collecting (else the
 * previous allocator's arrays may or may not still be counted).
 */
async function settledMemoryInUse(): Promise<number> {
  // Collections age unused bytecode until V8 drops it: the previous allocator's code would leave
  // the heap between the two readings of the next one.
  setFlagsFromString('--no-flush-bytecode');
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Forwards to an allocator and counts allocIova calls: an rcache hit is a map that made none. */
class AllocCallCounter implements IovaAllocator<number> {
  calls = 0;
  constructor(private readonly inner: IovaAllocator<number> & { lastAllocHung?: boolean }) {}
  get name(): string {
    return this.inner.name;
  }
  get startPfn(): number {
    return this.inner.startPfn;
  }
  get dma32BitPfn(): number {
    return this.inner.dma32BitPfn;
  }
  get searchSteps(): number {
    return this.inner.searchSteps;
  }
  get lastAllocHung(): boolean {
    return this.inner.lastAllocHung ?? false;
  }
  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    this.calls++;
    return this.inner.allocIova(size, limitPfn, sizeAligned);
  }
  freeIova(pfn: number): boolean {
    return this.inner.freeIova(pfn);
  }
  reserveIova(pfnLo: number, pfnHi: number): boolean {
    return this.inner.reserveIova(pfnLo, pfnHi);
  }
  findIova(pfn: number): IovaRange<number> | null {
    return this.inner.findIova(pfn);
  }
  stats(endPfn: number): AllocatorStats {
    return this.inner.stats(endPfn);
  }
}

/** One allocator's mappings and the calls that make and undo them (with or without an rcache). */
class Mappings {
  readonly rcache: Rcache<number> | null;
  private readonly counter: AllocCallCounter | null;
  failures = 0;
  maps = 0;
  rcacheHits = 0;

  constructor(
    readonly allocator: IovaAllocator<number>,
    rcacheVersion: string | null,
    /** Per slot: the mapping's pfn (-1: none) and size; made by the caller before its memory reading. */
    readonly pfns: Float64Array,
    readonly sizes: Float64Array,
  ) {
    this.counter = rcacheVersion === null ? null : new AllocCallCounter(allocator);
    this.rcache = this.counter === null || rcacheVersion === null ? null : new Rcache<number>(this.counter, numberPfn, kernelProfile(rcacheVersion), 1);
  }

  /** Maps `size` granules into slot i: below 4 GiB first, then anywhere. False when both fail. */
  map(i: number, size: number): boolean {
    this.maps++;
    let pfn: number;
    const rcache = this.rcache;
    if (rcache !== null) {
      const counter = this.counter as AllocCallCounter;
      const calls = counter.calls;
      pfn = rcache.allocIovaFast(size, LIMIT32, false);
      if (pfn === 0) pfn = rcache.allocIovaFast(size, END_PFN, true);
      if (pfn !== 0 && counter.calls === calls) this.rcacheHits++;
    } else {
      pfn = this.allocator.allocIova(size, LIMIT32, true) ?? this.allocator.allocIova(size, END_PFN, true) ?? 0;
    }
    if (pfn === 0) {
      this.failures++;
      this.pfns[i] = -1;
      return false;
    }
    this.pfns[i] = pfn;
    this.sizes[i] = size;
    return true;
  }

  /** Unmaps slot i (nothing when it is empty). */
  unmap(i: number): void {
    const pfn = this.pfns[i];
    if (pfn < 0) return;
    if (this.rcache !== null) this.rcache.freeIovaFast(pfn, this.sizes[i]);
    else this.allocator.freeIova(pfn);
    this.pfns[i] = -1;
  }
}

/** Picks the slots each batch frees (and refills), per lifetime model. */
class VictimPicker {
  private next = 0;
  private readonly longCount: number;

  constructor(
    private readonly model: LifetimeModel,
    private readonly live: number,
    private readonly random: Mulberry32,
  ) {
    this.longCount = model === 'mixed' ? Math.floor(live * MIXED_LONG_SHARE) : 0;
  }

  /** Fills `slots` with k distinct slots to free (all currently mapped or empty after a failure). */
  pick(slots: Int32Array, k: number): void {
    const live = this.live;
    for (let j = 0; j < k; j++) {
      let slot: number;
      switch (this.model) {
        case 'fifo':
          slot = this.next;
          this.next = this.next + 1 === live ? 0 : this.next + 1;
          break;
        case 'random':
          slot = this.distinct(slots, j, () => this.random.below(live));
          break;
        case 'mixed': {
          const shortCount = live - this.longCount;
          if (this.longCount > 0 && this.random.next() < MIXED_LONG_FREE_CHANCE) {
            slot = this.distinct(slots, j, () => this.random.below(this.longCount));
          } else {
            slot = this.longCount + this.next;
            this.next = this.next + 1 === shortCount ? 0 : this.next + 1;
          }
          break;
        }
      }
      slots[j] = slot;
    }
  }

  private distinct(slots: Int32Array, j: number, draw: () => number): number {
    for (;;) {
      const slot = draw();
      let seen = false;
      for (let i = 0; i < j; i++) if (slots[i] === slot) seen = true;
      if (!seen) return slot;
    }
  }
}

function summarize(all: readonly Float64Array[], meanNs: number): LatencySummary {
  let total = 0;
  for (const a of all) total += a.length;
  const sorted = new Float64Array(total);
  let at = 0;
  for (const a of all) {
    sorted.set(a, at);
    at += a.length;
  }
  sorted.sort();
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const curvePercentiles = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.8, 99.9, 99.95, 99.99, 100];
  return {
    meanNs,
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
    p999: rank(99.9),
    max: sorted[sorted.length - 1],
    curve: curvePercentiles.map((p) => ({ value: Math.max(rank(p), 0.5), percentile: p })),
  };
}

interface TimedRun {
  readonly allocNs: Float64Array;
  readonly freeNs: Float64Array;
  readonly maps: number;
  readonly frees: number;
  readonly failures: number;
  readonly steps: number;
  readonly hits: number;
  readonly held: number;
  readonly bytesPerLive: number;
}

interface RunSettings {
  readonly live: number;
  readonly batch: number;
  readonly batches: number;
  readonly rcacheVersion: string | null;
  readonly overhead: number;
}

/** A fresh allocator (and rcache) holding the 32-bit fill of `full32` and `live` mappings. */
function setUp(name: AllocatorName, options: LatencyBenchOptions, settings: RunSettings, state: RunState): Mappings {
  const allocator = createAllocator(name, { granule: GRANULE, startPfn: START_PFN, endPfn: END_PFN, version: options.kernel });
  if (allocator instanceof IovaDomain) allocator.skipLongWalks = false;
  const mappings = new Mappings(allocator, settings.rcacheVersion, state.slotPfns, state.slotSizes);
  // full32: every granule below 4 GiB mapped (straight on the allocator), never freed.
  for (let i = 0; i < state.fillPfns.length; i++) {
    const pfn = allocator.allocIova(1, LIMIT32, true);
    if (pfn === null) throw new Error(`${name}: the 32-bit fill failed after ${i} of ${state.fillPfns.length} granules`);
    state.fillPfns[i] = pfn;
  }
  for (let i = 0; i < settings.live; i++) mappings.map(i, options.sizes.size(state.sizeIndex++, state.sizeRandom.next()));
  return mappings;
}

/** The untimed warm-up, then the timed batches; returns the counts over the timed part. */
function runBatches(name: AllocatorName, mappings: Mappings, options: LatencyBenchOptions, settings: RunSettings, state: RunState): Omit<TimedRun, 'held' | 'bytesPerLive'> {
  const { batch, batches, overhead } = settings;
  const { slots, allocNs, freeNs, sizeRandom } = state;
  const sizes = options.sizes;
  const picker = new VictimPicker(options.lifetime, settings.live, new Mulberry32(options.seed));
  const step = (timed: boolean, b: number): void => {
    picker.pick(slots, batch);
    let start = performance.now();
    for (let j = 0; j < batch; j++) mappings.unmap(slots[j]);
    let end = performance.now();
    if (timed) freeNs[b] = Math.max(0, (end - start) * 1e6 - overhead) / batch;
    start = performance.now();
    for (let j = 0; j < batch; j++) mappings.map(slots[j], sizes.size(state.sizeIndex++, sizeRandom.next()));
    end = performance.now();
    if (timed) allocNs[b] = Math.max(0, (end - start) * 1e6 - overhead) / batch;
  };
  for (let b = 0; b < Math.ceil(batches / 4); b++) step(false, b);
  const allocator = mappings.allocator;
  const failuresBefore = mappings.failures;
  const mapsBefore = mappings.maps;
  const hitsBefore = mappings.rcacheHits;
  const stepsBefore = allocator.searchSteps;
  collectGarbage();
  for (let b = 0; b < batches; b++) step(true, b);
  const fill = state.fillPfns;
  if (fill.length > 0 && allocator.findIova(fill[0]) === null) throw new Error(`${name}: a 32-bit fill mapping vanished`);
  return {
    allocNs,
    freeNs,
    maps: mappings.maps - mapsBefore,
    frees: batches * batch,
    failures: mappings.failures - failuresBefore,
    steps: allocator.searchSteps - stepsBefore,
    hits: mappings.rcacheHits - hitsBefore,
  };
}

function setUpAndRun(name: AllocatorName, options: LatencyBenchOptions, settings: RunSettings, state: RunState, holder: { mappings: Mappings | null }): Omit<TimedRun, 'held' | 'bytesPerLive'> {
  const mappings = setUp(name, options, settings, state);
  holder.mappings = mappings;
  return runBatches(name, mappings, options, settings, state);
}

interface RunState {
  readonly slots: Int32Array;
  readonly allocNs: Float64Array;
  readonly freeNs: Float64Array;
  readonly fillPfns: Float64Array;
  readonly slotPfns: Float64Array;
  readonly slotSizes: Float64Array;
  readonly sizeRandom: Mulberry32;
  sizeIndex: number;
}

/**
 * One allocator, one run. Memory: two readings at the end of the run, with the allocator still
 * mapped and then with it dropped; garbage of earlier runs is in both, so it cancels out.
 */
async function timedRun(name: AllocatorName, options: LatencyBenchOptions, settings: RunSettings): Promise<TimedRun> {
  const { live, batch, batches } = settings;
  const state: RunState = {
    slots: new Int32Array(batch),
    allocNs: new Float64Array(batches),
    freeNs: new Float64Array(batches),
    fillPfns: new Float64Array(options.space === 'full32' ? LIMIT32 - START_PFN + 1 : 0),
    slotPfns: new Float64Array(live).fill(-1),
    slotSizes: new Float64Array(live),
    sizeRandom: new Mulberry32(options.seed ^ 0x5bd1e995),
    sizeIndex: 0,
  };
  // The allocator is reached only through `holder`: a reference in a local (or a call's temporary)
  // of this async function would be kept in its suspended frame and outlive `holder.mappings = null`.
  const holder: { mappings: Mappings | null } = { mappings: null };
  const counts = setUpAndRun(name, options, settings, state, holder);
  // What the allocator (and rcache) hold now: the fill and `live` slots, less those whose map failed.
  let held = state.fillPfns.length;
  for (let i = 0; i < live; i++) if (state.slotPfns[i] >= 0) held++;
  const withAllocator = await settledMemoryInUse();
  holder.mappings = null;
  const without = await settledMemoryInUse();
  // The run's own arrays (16 bytes per live slot) must outlive the second reading too: V8 keeps
  // across an await only what is used after it, and without this use they would be collected
  // before it and counted as the allocator's.
  if (state.slotPfns.length !== live || state.slotSizes.length !== live) throw new Error('run state lost');
  return { ...counts, held, bytesPerLive: (withAllocator - without) / held };
}

function totalNs(times: readonly Float64Array[], batch: number): number {
  let total = 0;
  for (const t of times) for (let i = 0; i < t.length; i++) total += t[i] * batch;
  return total;
}

export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyResult> {
  const live = options.live ?? DEFAULT_LATENCY_LIVE;
  const ops = options.ops ?? DEFAULT_LATENCY_OPS;
  const batch = options.batch ?? DEFAULT_BATCH;
  const runs = options.runs ?? 1;
  const rcacheVersion = options.rcache ?? null;
  const space = options.space ?? 'empty';
  if (!Number.isInteger(live) || live < 1 || live > MAX_LATENCY_LIVE) throw new RangeError(`live count ${live} must be a whole number from 1 to ${MAX_LATENCY_LIVE}`);
  if (!Number.isInteger(ops) || ops < 1) throw new RangeError(`ops ${ops} must be a whole number >= 1`);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1024 || batch > live) throw new RangeError(`batch ${batch} must be a whole number from 1 to min(1024, live)`);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs ${runs} must be a whole number >= 1`);
  if (rcacheVersion !== null) kernelProfile(rcacheVersion);
  const batches = Math.ceil(ops / batch);
  const settings: RunSettings = { live, batch, batches, rcacheVersion, overhead: timerOverheadNs() };
  const rows: LatencyRow[] = [];
  for (const name of options.allocators) {
    const results: TimedRun[] = [];
    for (let run = 0; run < runs; run++) {
      const result = await timedRun(name, { ...options, space }, settings);
      results.push(result);
      options.onProgress?.(`${options.lifetime} live=${live} ${name} run ${run + 1}/${runs}: alloc mean ${(totalNs([result.allocNs], batch) / result.maps).toFixed(1)} ns, free mean ${(totalNs([result.freeNs], batch) / result.frees).toFixed(1)} ns`);
    }
    const sum = (f: (r: TimedRun) => number): number => results.reduce((acc, r) => acc + f(r), 0);
    const maps = sum((r) => r.maps);
    const allocs = results.map((r) => r.allocNs);
    const frees = results.map((r) => r.freeNs);
    rows.push({
      allocator: name,
      alloc: summarize(allocs, totalNs(allocs, batch) / maps),
      free: summarize(frees, totalNs(frees, batch) / sum((r) => r.frees)),
      failures: sum((r) => r.failures),
      stepsPerMap: sum((r) => r.steps) / maps,
      rcacheHitRate: rcacheVersion === null ? null : sum((r) => r.hits) / maps,
      heldAtMemory: results[0].held,
      bytesPerLiveIova: results[0].bytesPerLive,
    });
  }
  return { lifetime: options.lifetime, sizes: options.sizes.label, live, ops: batches * batch, batch, runs, seed: options.seed, rcache: rcacheVersion, space, timerOverheadNs: settings.overhead, node: process.version, rows };
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ns(x: number): string {
  return fmt(x, x < 100 ? 1 : 0);
}

export function latencyHeadline(r: LatencyResult): string {
  return (
    `alloc-bench ${r.lifetime}: live ${fmt(r.live)}, sizes ${r.sizes}, rcache ${r.rcache === null ? 'none' : `kernel ${r.rcache} (1 CPU)`}, space ${r.space}, seed ${r.seed}; ` +
    `${fmt(r.ops)} maps and frees per allocator and run, ${r.runs} run(s), timed in batches of ${r.batch} (timer overhead ${r.timerOverheadNs.toFixed(0)} ns per batch subtracted), node ${r.node}`
  );
}

/** The result as a fixed-width text table (ns per op). */
export function formatLatencyTable(r: LatencyResult): string {
  const header = ['allocator', 'alloc p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'free p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'steps/map', 'rcache hit', 'failures', 'bytes/live'];
  const lines: string[][] = [header];
  for (const row of r.rows) {
    const a = row.alloc;
    const f = row.free;
    lines.push([
      row.allocator,
      ns(a.p50),
      ns(a.p90),
      ns(a.p99),
      ns(a.p999),
      ns(a.max),
      ns(a.meanNs),
      ns(f.p50),
      ns(f.p90),
      ns(f.p99),
      ns(f.p999),
      ns(f.max),
      ns(f.meanNs),
      fmt(row.stepsPerMap, row.stepsPerMap < 100 ? 2 : 0),
      row.rcacheHitRate === null ? '-' : `${(row.rcacheHitRate * 100).toFixed(1)}%`,
      fmt(row.failures),
      fmt(row.bytesPerLiveIova, 1),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  return [latencyHeadline(r), ...lines.map((l) => l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))].join('\n') + '\n';
}

/** A self-contained HTML page: the alloc and free latency CDFs (./../report/svg.ts) and the table. */
export function renderLatencyHtml(r: LatencyResult, command: string): string {
  const curves = (kind: 'alloc' | 'free'): PercentileCurve[] => r.rows.map((row, i) => ({ name: row.allocator, colour: colourOf(i), points: row[kind].curve }));
  const chart = (kind: 'alloc' | 'free'): string =>
    percentileChart({
      id: `chart-${kind}-latency`,
      title: `${kind === 'alloc' ? 'Allocation' : 'Free'} latency per op (${r.lifetime}, ${fmt(r.live)} live)`,
      description: `Percentiles of per-batch mean ${kind} latency (batches of ${r.batch}) for each allocator`,
      xLabel: `ns per ${kind === 'alloc' ? 'map' : 'unmap'} (log scale)`,
      yLabel: 'percentile',
      curves: curves(kind),
      xFormat: (v) => fmt(v),
    });
  return [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
    `<title>iovasim alloc-bench ${escapeXml(r.lifetime)}</title><style>${REPORT_CSS}</style></head><body><main>`,
    `<header><h1>Allocator latency: ${escapeXml(r.lifetime)}</h1><p class="sub"><code>${escapeXml(command)}</code></p><p class="sub">${escapeXml(latencyHeadline(r))}</p></header>`,
    `<section>${chart('alloc')}${chart('free')}</section>`,
    `<section><pre>${escapeXml(formatLatencyTable(r))}</pre></section>`,
    '<footer>iovasim — a self-contained report: no scripts, no network; charts are inline SVG.</footer>',
    '</main></body></html>\n',
  ].join('');
}
