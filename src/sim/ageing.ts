/**
 * Ageing a domain before it is measured. Two models:
 *
 * `ageDomain()` (scenario field `ageingMaps`, kept as it was): a count of mappings drawn from the
 * sizes seen in the warm-up, each mapped on a job thread's CPU and unmapped, once a queue of the
 * same depth as the run keeps in flight has moved on, on that CPU's interrupt CPU. No notion of time.
 *
 * `ageOverUptime()` (scenario block `ageing:`): a host that has been up for `uptimeHours` under a
 * background mix of streams (mapping sizes, mean lifetimes, rates, CPUs, unmap CPU, device mask).
 * It runs the real DMA layer, rcache, flush queue and allocator on the scenario's domain, event by
 * event in time order, with no cost model: only which operations happen, in which order, at which
 * instant of the domain's clock. What it reports (live IOVAs, IOVAs parked in magazines and depots,
 * the largest free run below 4 GiB, failed 32-bit first attempts, max32_alloc_size resets, walk steps
 * per tree allocation, magazines a full depot freed to the tree) arises from that; nothing is set.
 *
 * Time compression. Hours of a storage host are ~10^10 mappings; the model runs `mapsPerHour` per
 * hour of uptime instead. Streams split by mean lifetime:
 * - short-lived (under SHORT_LIVED_MS = 1 s: I/O buffers) keep their real rate and lifetime;
 * - long-lived (1 s and more: rings, pools, buffers held for minutes or hours) are compressed, every
 *   one of their births over the uptime happens (rate × C) and lives 1/C as long.
 * One simulated second stands for C seconds of uptime, C chosen so the short-lived streams plus
 * every long-lived birth make `mapsPerHour` maps per hour (C = 1 when that needs no compression).
 * A process moving between CPUs (`migrateSeconds`) and a stream's bursts and pauses (`onSeconds`,
 * `offSeconds`) are uptime-scale events and are compressed too.
 * The domain's clock runs on simulated time, so the flush-queue timeout (10 ms) and the 6.7+ depot
 * trimmer (100 ms) fire at their real periods among the short-lived maps and unmaps, and every free
 * keeps its order relative to every allocation. What compression preserves: the short-lived
 * streams' steady state (mappings in flight, rcache and depot flows, timer ticks per map), the count
 * and order of long-lived births and deaths, and what is live at each instant. What it loses:
 * (1) each long-lived birth sees 1/C as many short-lived maps and timer ticks around it as it would;
 * (2) drift that short-lived traffic alone builds up slowly (a rare imbalance between CPUs' allocs
 * and frees that a 100 ms trimmer would correct) runs for 1/C of the uptime; (3) lifetimes are
 * exponential (no fixed-length rings) and arrivals Poisson (no bursts, no diurnal pattern).
 * After ageing the domain's clock is put back to where the run stands, every pending timer keeping
 * the delay it had left, so the measured run that follows sees the aged domain with its timers live.
 */
import type { IovaDomain } from '../allocators/iova-domain.js';
import { DmaDevice, dmaBitMask, type DmaDevice as DmaDeviceType } from '../dma/device.js';
import { DMA_MAPPING_ERROR, type IommuDma } from '../dma/dma-iommu.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import { ScatterList } from '../dma/scatterlist.js';
import { Mulberry32, mixSeed } from '../workloads/random.js';
import type { CountingAllocator } from './counting-allocator.js';
import { EventQueue } from './event-queue.js';
import { DEFAULT_AGEING_MAPS_PER_HOUR, ScenarioError, SHORT_LIVED_MS } from './scenario-schema.js';
import type { AgeingModel, BackgroundStream } from './scenario.js';

export interface AgeingInput {
  readonly dma: IommuDma;
  readonly device: DmaDeviceType;
  readonly maps: number;
  /** Granules of the mappings made in the warm-up (drawn from uniformly). */
  readonly sizes: readonly number[];
  /** The CPU of each job thread (a thread is drawn uniformly per mapping). */
  readonly threadCpus: Int32Array;
  readonly irqCpuOfCpu: Int32Array;
  /** Mappings in flight at once. */
  readonly depth: number;
  readonly granule: number;
  readonly seed: number;
}

export function ageDomain(input: AgeingInput): void {
  const { dma, device, sizes, threadCpus, irqCpuOfCpu, granule } = input;
  if (input.maps === 0 || sizes.length === 0 || threadCpus.length === 0) return;
  const rng = new Mulberry32(mixSeed(input.seed, 0x5eed));
  const depth = Math.max(1, input.depth);
  const ring: ScatterList[] = [];
  const ringCpu = new Int32Array(depth);
  for (let i = 0; i < depth; i++) ring.push(new ScatterList(8));
  let at = 0;
  for (let n = 0; n < input.maps; n++) {
    const slot = ring[at];
    if (slot.mappedCount > 0) dma.unmapSg(device, slot, irqCpuOfCpu[ringCpu[at]]);
    const thread = rng.below(threadCpus.length);
    const granules = sizes[rng.below(sizes.length)];
    slot.clear();
    // A buffer of its own, above 4 GiB, one contiguous run.
    slot.add((thread + 1) * 2 ** 32 + 2 ** 31, granules * granule);
    ringCpu[at] = threadCpus[thread];
    dma.mapSg(device, slot, threadCpus[thread]);
    at = (at + 1) % depth;
  }
  for (let i = 0; i < depth; i++) if (ring[i].mappedCount > 0) dma.unmapSg(device, ring[i], irqCpuOfCpu[ringCpu[i]]);
}

export { DEFAULT_AGEING_MAPS_PER_HOUR };
export { SHORT_LIVED_MS };

/** The domain at one instant of uptime; counts "in the interval" cover the time since the previous sample. */
export interface AgeingSample {
  readonly uptimeHours: number;
  /** IOVAs mapped now (by the background and by I/O in flight). */
  readonly liveIovas: number;
  /** IOVAs cached in CPUs' magazines (allocated in the tree, mapped by nobody). */
  readonly parkedInMagazines: number;
  /** IOVAs in depot magazines. */
  readonly parkedInDepots: number;
  readonly depotMagazines: number;
  /** IOVAs unmapped but waiting in the flush queue (lazy). */
  readonly flushQueued: number;
  /** Ranges in the allocator (live + parked + queued). */
  readonly treeRanges: number;
  /** Largest run of free granules below 4 GiB. */
  readonly largestFree32: number;
  readonly sac32Attempts: number;
  readonly sac32Failures: number;
  readonly max32Resets: number;
  readonly treeAllocs: number;
  readonly walkStepsPerTreeAlloc: number;
  /** Full magazines freed to the tree because the fixed depot was full (pre-6.7). */
  readonly depotOverflows: number;
  /** Magazines the 6.7+ trimmer freed to the tree. */
  readonly depotTrims: number;
  readonly mapFailures: number;
  readonly maps: number;
}

export interface UptimeAgeingResult {
  readonly samples: readonly AgeingSample[];
  /** Seconds of uptime per simulated second. */
  readonly compression: number;
  readonly simulatedMs: number;
  readonly maps: number;
}

export interface UptimeAgeingInput {
  readonly dma: IommuDma;
  readonly domain: IommuDmaDomain;
  /** The domain's allocator, wrapped (its counts are the tree's). */
  readonly counting: CountingAllocator;
  /** The device the 64-bit streams map for (the storage host adapter). */
  readonly device: DmaDeviceType;
  readonly irqCpuOfCpu: Int32Array;
  readonly model: AgeingModel;
  readonly seed: number;
}

/** Seconds of uptime per simulated second for `model` (see the design comment); throws when the budget cannot hold the long-lived births. */
export function ageingCompression(model: AgeingModel): number {
  let shortPerHour = 0;
  let longPerHour = 0;
  for (const stream of model.streams) {
    if (stream.lifetimeMs < SHORT_LIVED_MS) shortPerHour += stream.ratePerSecond * 3600;
    else longPerHour += stream.ratePerSecond * 3600;
  }
  if (longPerHour >= model.mapsPerHour && shortPerHour > 0) {
    throw new ScenarioError({
      field: 'ageing.maps_per_hour',
      problem: `the long-lived streams alone make ${Math.round(longPerHour)} maps an hour; give at least twice that (${Math.ceil(2 * longPerHour)}) so the short-lived streams have room`,
    });
  }
  if (shortPerHour === 0) return 1;
  return Math.max(1, shortPerHour / (model.mapsPerHour - longPerHour));
}

// Event kinds of ageOverUptime(); the index is a mapping's slot or a stream's number.
const UNMAP = 0;
const NEXT_MAP = 1;
const MIGRATE = 2;

/** A stream as simulated: compressed rate and lifetime, its size table, its CPUs in use. */
interface StreamState {
  readonly spec: BackgroundStream;
  readonly device: DmaDeviceType;
  /** Mean ms between arrivals and mean lifetime, in simulated ms. */
  readonly meanGapMs: number;
  readonly meanLifetimeMs: number;
  readonly migrateMs: number;
  /** Burst and pause lengths in simulated ms (Infinity and 0 for a steady stream). */
  readonly onMs: number;
  readonly offMs: number;
  readonly cumulative: Float64Array;
  readonly active: Int32Array;
  readonly rng: Mulberry32;
}

/** Ages the domain through `model.uptimeHours` of the background mix; returns the time series. */
export function ageOverUptime(input: UptimeAgeingInput): UptimeAgeingResult {
  const { dma, domain, counting, model, irqCpuOfCpu } = input;
  const compression = ageingCompression(model);
  const clock = domain.clock;
  const startMs = clock.nowMs;
  const endMs = startMs + (model.uptimeHours * 3_600_000) / compression;
  const sampleEveryMs = (model.sampleHours * 3_600_000) / compression;
  const rcache = domain.rcache;
  const inner = counting.inner as Partial<IovaDomain<number>>;
  const dma32 = counting.dma32BitPfn;

  let device32: DmaDeviceType | null = null;
  const streams: StreamState[] = model.streams.map((spec, index) => {
    let device = input.device;
    if (spec.dmaMaskBits === 32) {
      if (device32 === null) {
        device32 = new DmaDevice({ name: 'ageing-32bit-device', dmaMask: dmaBitMask(32) });
        domain.attach(device32);
      }
      device = device32;
    }
    const long = spec.lifetimeMs >= SHORT_LIVED_MS;
    const weights = spec.weights ?? spec.sizes.map(() => 1);
    const cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) cumulative[i] = sum += weights[i];
    const atOnce = Math.min(spec.cpusAtOnce ?? spec.cpus.length, spec.cpus.length);
    return {
      spec,
      device,
      meanGapMs: spec.ratePerSecond > 0 ? 1000 / (spec.ratePerSecond * (long ? compression : 1)) : Number.POSITIVE_INFINITY,
      meanLifetimeMs: long ? spec.lifetimeMs / compression : spec.lifetimeMs,
      migrateMs: spec.migrateSeconds === undefined ? Number.POSITIVE_INFINITY : (spec.migrateSeconds * 1000) / compression,
      onMs: spec.onSeconds === undefined ? Number.POSITIVE_INFINITY : (spec.onSeconds * 1000) / compression,
      offMs: spec.offSeconds === undefined ? 0 : (spec.offSeconds * 1000) / compression,
      cumulative,
      active: new Int32Array(atOnce),
      rng: new Mulberry32(mixSeed(input.seed, 0xa9e1, index)),
    };
  });
  const streamCount = streams.length;
  const pickActive = (state: StreamState): void => {
    // A partial Fisher-Yates draw of the CPUs in use.
    const pool = state.spec.cpus.slice();
    for (let i = 0; i < state.active.length; i++) {
      const j = i + state.rng.below(pool.length - i);
      const cpu = pool[j];
      pool[j] = pool[i];
      pool[i] = cpu;
      state.active[i] = cpu;
    }
  };
  const exponential = (rng: Mulberry32, mean: number): number => -Math.log(rng.nextOpen()) * mean;

  // Live background mappings, in slots reused through a free list.
  let slotAddr = new Float64Array(1024);
  let slotBytes = new Int32Array(1024);
  let slotCpu = new Int32Array(1024);
  let slotStream = new Int32Array(1024);
  const freeSlots: number[] = [];
  let slotCount = 0;
  const newSlot = (): number => {
    if (freeSlots.length > 0) return freeSlots.pop() as number;
    if (slotCount === slotAddr.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      slotAddr = grow(slotAddr, (n) => new Float64Array(n));
      slotBytes = grow(slotBytes, (n) => new Int32Array(n));
      slotCpu = grow(slotCpu, (n) => new Int32Array(n));
      slotStream = grow(slotStream, (n) => new Int32Array(n));
    }
    return slotCount++;
  };

  // Events (the simulator's agenda: time order, ties in scheduling order): a slot's unmap, stream
  // s's next map, stream s's migration.
  const events = new EventQueue();
  for (let s = 0; s < streamCount; s++) {
    const state = streams[s];
    pickActive(state);
    if (Number.isFinite(state.meanGapMs)) events.schedule(startMs + exponential(state.rng, state.meanGapMs), NEXT_MAP, s);
    if (Number.isFinite(state.migrateMs)) events.schedule(startMs + state.migrateMs, MIGRATE, s);
  }

  // Interval counters.
  const samples: AgeingSample[] = [];
  let maps = 0;
  let intervalMaps = 0;
  let mapFailures = 0;
  let max32Resets = 0;
  let lastMax32 = inner.max32AllocSize ?? dma32;
  let markSacAttempts = dma.sac32Attempts;
  let markSacFailures = dma.sac32Failures;
  let markAllocCalls = counting.allocCalls;
  let markSteps = counting.searchSteps;
  let markOverflows = rcache?.depotOverflows ?? 0;
  let markTrims = rcache?.depotTrims ?? 0;
  const takeSample = (atMs: number): void => {
    let inMagazines = 0;
    let inDepots = 0;
    let depotMagazines = 0;
    for (const sizeClass of rcache?.classes ?? []) {
      for (const cpu of sizeClass.cpus) inMagazines += cpu.loaded.size + cpu.prev.size;
      for (const magazine of sizeClass.depot) inDepots += magazine.size;
      depotMagazines += sizeClass.depot.length;
    }
    const queued = domain.flushQueue?.pending ?? 0;
    const treeRanges = counting.allocSuccesses - counting.freeSuccesses;
    const allocs = counting.allocCalls - markAllocCalls;
    const steps = counting.searchSteps - markSteps;
    samples.push({
      uptimeHours: ((atMs - startMs) * compression) / 3_600_000,
      liveIovas: treeRanges - inMagazines - inDepots - queued,
      parkedInMagazines: inMagazines,
      parkedInDepots: inDepots,
      depotMagazines,
      flushQueued: queued,
      treeRanges,
      largestFree32: counting.stats(dma32 - 1).largestFreeBlockBelow32,
      sac32Attempts: dma.sac32Attempts - markSacAttempts,
      sac32Failures: dma.sac32Failures - markSacFailures,
      max32Resets,
      treeAllocs: allocs,
      walkStepsPerTreeAlloc: allocs === 0 ? 0 : steps / allocs,
      depotOverflows: (rcache?.depotOverflows ?? 0) - markOverflows,
      depotTrims: (rcache?.depotTrims ?? 0) - markTrims,
      mapFailures,
      maps: intervalMaps,
    });
    markSacAttempts = dma.sac32Attempts;
    markSacFailures = dma.sac32Failures;
    markAllocCalls = counting.allocCalls;
    markSteps = counting.searchSteps;
    markOverflows = rcache?.depotOverflows ?? 0;
    markTrims = rcache?.depotTrims ?? 0;
    max32Resets = 0;
    mapFailures = 0;
    intervalMaps = 0;
  };
  const noteMax32 = (): void => {
    const now = inner.max32AllocSize;
    if (now === undefined) return;
    if (now === dma32 && lastMax32 !== dma32) max32Resets++;
    lastMax32 = now;
  };

  takeSample(startMs);
  let nextSampleMs = startMs + sampleEveryMs;
  while (events.size > 0 && events.nextTime <= endMs) {
    events.pop();
    const time = events.time;
    const kind = events.kind;
    const index = events.index;
    while (nextSampleMs <= time) {
      domain.advanceTo(nextSampleMs);
      noteMax32();
      takeSample(nextSampleMs);
      nextSampleMs += sampleEveryMs;
    }
    domain.advanceTo(time);
    noteMax32();
    if (kind === UNMAP) {
      const state = streams[slotStream[index]];
      const cpu = slotCpu[index];
      dma.unmapPage(state.device, slotAddr[index], slotBytes[index], state.spec.unmapOn === 'irq' ? irqCpuOfCpu[cpu] : cpu);
      freeSlots.push(index);
    } else if (kind === NEXT_MAP) {
      const s = index;
      const state = streams[s];
      const rng = state.rng;
      if (state.offMs > 0) {
        // In a pause: the next map comes at the start of the next burst.
        const period = state.onMs + state.offMs;
        const into = (time - startMs) % period;
        if (into >= state.onMs) {
          events.schedule(time + (period - into), NEXT_MAP, s);
          continue;
        }
      }
      const cpu = state.active[rng.below(state.active.length)];
      const r = rng.next() * state.cumulative[state.cumulative.length - 1];
      let k = 0;
      while (k < state.cumulative.length - 1 && state.cumulative[k] <= r) k++;
      const bytes = state.spec.sizes[k];
      const lifetime = exponential(rng, state.meanLifetimeMs);
      events.schedule(time + exponential(rng, state.meanGapMs), NEXT_MAP, s);
      maps++;
      intervalMaps++;
      // A page-aligned buffer: only the offset within a granule matters to the DMA layer.
      const addr = dma.mapPage(state.device, 0, bytes, cpu);
      if (addr === DMA_MAPPING_ERROR) mapFailures++;
      else {
        const slot = newSlot();
        slotAddr[slot] = addr;
        slotBytes[slot] = bytes;
        slotCpu[slot] = cpu;
        slotStream[slot] = s;
        events.schedule(time + lifetime, UNMAP, slot);
      }
    } else {
      const state = streams[index];
      pickActive(state);
      events.schedule(time + state.migrateMs, MIGRATE, index);
    }
    noteMax32();
  }
  while (nextSampleMs <= endMs + 1e-9) {
    domain.advanceTo(Math.min(nextSampleMs, endMs));
    noteMax32();
    takeSample(Math.min(nextSampleMs, endMs));
    nextSampleMs += sampleEveryMs;
  }
  domain.advanceTo(endMs);
  // The background's mappings stay mapped into the measured run: a host's rings do not stop.
  // Pending ones are abandoned here (never unmapped), which is what a long-lived mapping is.
  rewindDomainClock(domain, startMs);
  return { samples, compression, simulatedMs: endMs - startMs, maps };
}

/** Puts the domain's clock back to `toMs`; pending timers keep the delay they had left. */
export function rewindDomainClock(domain: IommuDmaDomain, toMs: number): void {
  const shift = domain.clock.nowMs - toMs;
  if (shift <= 0) return;
  const fq = domain.flushQueue;
  if (fq !== null && fq.timerOn) fq.timerDueMs -= shift;
  domain.clock.rewind(toMs);
}
