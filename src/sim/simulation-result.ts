/**
 * What a simulation run reports, and the counters the engine keeps to assemble it. Counters start at
 * the end of the warm-up (Measurements is replaced then), so the result covers the measured span only.
 *
 * Reads and writes are counted apart as fio does (its "read" and "write" groups): each completed I/O
 * adds its bytes and its latency to its direction, and the all-I/O latency is the two histograms
 * added together at the end (one histogram update per I/O). Total bandwidth counts the bytes of the
 * requests completed in the window, the per-direction figures the bytes of the I/Os completed in it
 * (as fio does); the two differ only by I/Os split across the warm-up's end.
 */
import type { UptimeAgeingResult } from './ageing.js';
import type { CountingAllocator } from './counting-allocator.js';
import { LogHistogram, type TimeSample } from './metrics.js';
import type { Scenario } from './scenario.js';
import type { SharedResource } from './shared-resources.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';

/** Buckets of the 32-bit IOVA space in the occupancy picture. */
export const OCCUPANCY_BUCKETS = 4096;

/** Latency percentiles of I/Os, submission to completion, in µs. */
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** One direction's figures, as fio reports a "read" or "write" group. */
export interface DirectionResult {
  /** I/Os of this direction completed in the measured window. */
  readonly ios: number;
  readonly bytes: number;
  readonly iops: number;
  readonly bandwidthMBps: number;
  readonly latencyUs: LatencySummary;
}

export interface SimulationResult {
  readonly scenario: Scenario;
  /** Simulated time measured (after the warm-up), ms. */
  readonly measuredMs: number;
  /** Simulated time before measuring started, ms (0 for a trace replay, which measures from its first record). */
  readonly warmupMs: number;
  /** True for a trace replay (open loop: the window runs from the first record to the last completion). */
  readonly replay: boolean;
  /** I/Os completed (a job's I/O counts once however many requests it was split into). */
  readonly ios: number;
  readonly iops: number;
  readonly bandwidthMBps: number;
  readonly latencyUs: LatencySummary;
  readonly read: DirectionResult;
  readonly write: DirectionResult;
  /** Latency CDF from the histogram (µs, fraction of I/Os at or below), one point per non-empty bucket. */
  readonly latencyCdf: readonly { readonly us: number; readonly fraction: number }[];
  /** Requests (commands, one DMA mapping each) completed. */
  readonly requests: number;
  /** Bios (the pieces of I/Os after splitting to the queue limits) per request: above 1 when they merge. */
  readonly biosPerRequest: number;
  readonly mapping: {
    /** DMA map + unmap CPU time per I/O (lock and queue waits included), ns. */
    readonly cpuNsPerIo: number;
    readonly mapNsP50: number;
    readonly mapNsP99: number;
    readonly treeStepsPerMap: number;
    readonly treeStepsP99: number;
    readonly allocFailures: number;
    readonly sac32Attempts: number;
    readonly sac32Failures: number;
  };
  readonly lock: { readonly acquisitions: number; readonly contended: number; readonly waitNsPerIo: number; readonly holdNsPerIo: number; readonly utilisation: number };
  readonly iotlb: {
    readonly invalidations: number;
    readonly flushes: number;
    /** Time CPUs waited for the IOMMU command queue per I/O, ns. */
    readonly waitNsPerIo: number;
    /** Fraction of the measured time the command queue was busy. */
    readonly utilisation: number;
  };
  readonly rcache: {
    /** hits / (hits + misses + tooLarge): the share of every IOVA allocation the rcache served. */
    readonly hitRate: number;
    readonly hits: number;
    /** Allocations of a cached size the magazines and depot could not serve. */
    readonly misses: number;
    /** Allocations above the largest size class: never cached, always the allocator. */
    readonly tooLarge: number;
    readonly perClass: readonly { readonly order: number; readonly hits: number; readonly misses: number }[];
    readonly depotMagazines: number;
  };
  readonly allocator: { readonly name: string; readonly liveIovas: number; readonly freeGranules32: number; readonly largestFree32: number; readonly externalFragmentation32: number };
  readonly cpuUtilisation: number;
  readonly series: readonly TimeSample[];
  /** The domain over its uptime, when the scenario has an `ageing:` block (./ageing.ts). */
  readonly ageing?: UptimeAgeingResult;
  /** Fraction of each of OCCUPANCY_BUCKETS equal slices of the 32-bit IOVA space in use at the end. */
  readonly occupancy32: readonly number[];
  /** Events the engine processed, to check its own throughput. */
  readonly simulatedEvents: number;
}

/** Counters of the measured span. */
export class Measurements {
  ios = 0;
  bytes = 0;
  requests = 0;
  /** Bios (after splitting) of the completed requests. */
  bios = 0;
  mappingCpuNs = 0;
  invalidations = 0;
  flushes = 0;
  treeSteps = 0;
  maps = 0;
  sac32Attempts = 0;
  sac32Failures = 0;
  allocFailures = 0;
  readIos = 0;
  writeIos = 0;
  readBytes = 0;
  writeBytes = 0;
  readonly readLatency = new LogHistogram();
  readonly writeLatency = new LogHistogram();
  readonly mapNs = new LogHistogram();
  readonly stepsPerMap = new LogHistogram();
  intervalIos = 0;
  intervalLockWait = 0;
  readonly classHitsAtStart: number[];
  readonly classMissesAtStart: number[];
  readonly tooLargeAtStart: number;

  constructor(domain: IommuDmaDomain | null) {
    const classes = domain?.rcache?.classes ?? [];
    this.classHitsAtStart = classes.map((k) => k.hits);
    this.classMissesAtStart = classes.map((k) => k.misses);
    this.tooLargeAtStart = domain?.rcache?.tooLarge ?? 0;
  }
}

export interface ResultInputs {
  readonly scenario: Scenario;
  readonly measuredNs: number;
  readonly warmupNs: number;
  readonly replay: boolean;
  readonly m: Measurements;
  readonly treeLock: SharedResource;
  readonly iommuQueue: SharedResource;
  readonly domain: IommuDmaDomain | null;
  readonly counting: CountingAllocator | null;
  readonly cpuBusyNs: number;
  readonly series: readonly TimeSample[];
  readonly simulatedEvents: number;
}

export function assembleResult(input: ResultInputs): SimulationResult {
  const { scenario, measuredNs, m, treeLock, iommuQueue, counting } = input;
  const measuredS = measuredNs / 1e9;
  const ios = m.ios;
  const perIo = (x: number): number => (ios === 0 ? 0 : x / ios);
  const classes = input.domain?.rcache?.classes ?? [];
  const perClass = classes.map((k, i) => ({ order: k.order, hits: k.hits - (m.classHitsAtStart[i] ?? 0), misses: k.misses - (m.classMissesAtStart[i] ?? 0) }));
  const hits = perClass.reduce((n, k) => n + k.hits, 0);
  const misses = perClass.reduce((n, k) => n + k.misses, 0);
  const tooLarge = (input.domain?.rcache?.tooLarge ?? 0) - m.tooLargeAtStart;
  const lookups = hits + misses + tooLarge;
  const latency = new LogHistogram();
  latency.add(m.readLatency);
  latency.add(m.writeLatency);
  const direction = (ios: number, bytes: number, histogram: LogHistogram): DirectionResult => ({
    ios,
    bytes,
    iops: ios / measuredS,
    bandwidthMBps: bytes / 1e6 / measuredS,
    latencyUs: latencySummary(histogram),
  });
  let depot = 0;
  for (const k of classes) depot += k.depot.length;
  const allocator = counting?.inner;
  const stats32 = allocator === undefined ? null : allocator.stats(allocator.dma32BitPfn - 1);
  return {
    scenario,
    measuredMs: measuredNs / 1e6,
    warmupMs: input.warmupNs / 1e6,
    replay: input.replay,
    ios,
    iops: ios / measuredS,
    bandwidthMBps: m.bytes / 1e6 / measuredS,
    latencyUs: latencySummary(latency),
    read: direction(m.readIos, m.readBytes, m.readLatency),
    write: direction(m.writeIos, m.writeBytes, m.writeLatency),
    latencyCdf: latency.cdf().map((p) => ({ us: p.value / 1e3, fraction: p.fraction })),
    requests: m.requests,
    biosPerRequest: m.requests === 0 ? 0 : m.bios / m.requests,
    mapping: {
      cpuNsPerIo: perIo(m.mappingCpuNs),
      mapNsP50: m.mapNs.percentile(50),
      mapNsP99: m.mapNs.percentile(99),
      treeStepsPerMap: m.maps === 0 ? 0 : m.treeSteps / m.maps,
      treeStepsP99: m.stepsPerMap.percentile(99),
      allocFailures: m.allocFailures,
      sac32Attempts: m.sac32Attempts,
      sac32Failures: m.sac32Failures,
    },
    lock: {
      acquisitions: treeLock.acquisitions,
      contended: treeLock.contended,
      waitNsPerIo: perIo(treeLock.waitNs),
      holdNsPerIo: perIo(treeLock.holdNs),
      utilisation: treeLock.holdNs / measuredNs,
    },
    iotlb: { invalidations: m.invalidations, flushes: m.flushes, waitNsPerIo: perIo(iommuQueue.waitNs), utilisation: iommuQueue.holdNs / measuredNs },
    rcache: { hitRate: lookups === 0 ? 0 : hits / lookups, hits, misses, tooLarge, perClass, depotMagazines: depot },
    allocator: {
      name: allocator?.name ?? 'none',
      liveIovas: counting === null ? 0 : counting.allocSuccesses - counting.freeSuccesses,
      freeGranules32: stats32?.freeGranules ?? 0,
      largestFree32: stats32?.largestFreeBlock ?? 0,
      externalFragmentation32: stats32 === null || stats32.freeGranules === 0 ? 0 : 1 - stats32.largestFreeBlock / stats32.freeGranules,
    },
    cpuUtilisation: input.cpuBusyNs / (measuredNs * scenario.cpus),
    series: input.series,
    occupancy32: counting === null ? [] : occupancy(counting),
    simulatedEvents: input.simulatedEvents,
  };
}

function latencySummary(histogram: LogHistogram): LatencySummary {
  return {
    mean: histogram.mean() / 1e3,
    p50: histogram.percentile(50) / 1e3,
    p99: histogram.percentile(99) / 1e3,
    p999: histogram.percentile(99.9) / 1e3,
    max: histogram.max / 1e3,
  };
}

/** Fraction in use of each of OCCUPANCY_BUCKETS slices of the 32-bit space, from the held ranges. */
function occupancy(allocator: CountingAllocator): number[] {
  const slice = allocator.dma32BitPfn / OCCUPANCY_BUCKETS;
  const used = new Float64Array(OCCUPANCY_BUCKETS);
  // Whole granules: the sums are exact whatever order the held ranges come in.
  allocator.held.forEach((pfnLo, granules) => {
    const end = Math.min(pfnLo + granules, allocator.dma32BitPfn);
    for (let lo = pfnLo; lo < end; ) {
      const bucket = Math.floor(lo / slice);
      const bucketEnd = Math.min(end, (bucket + 1) * slice);
      used[bucket] += bucketEnd - lo;
      lo = bucketEnd;
    }
  });
  return Array.from(used, (granules) => Math.min(1, granules / slice));
}
