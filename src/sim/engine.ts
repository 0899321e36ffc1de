/**
 * The discrete-event simulation of a storage host doing DMA through an IOMMU.
 *
 * Simulated time is in nanoseconds. fio-like job threads, each pinned to a CPU, keep `iodepth` bios in
 * flight against one disk; each bio costs its CPU `submitNs`. A bio joins the disk's queue of requests
 * not yet dispatched, back-merging into the last one when it continues it and the block limits allow
 * (max_sectors, max_segments); so merging happens exactly when the disk is saturated, as in blk-mq.
 * Dispatching a request maps it with dma_map_sg (the real IommuDma, rcache and allocator), on the CPU
 * that dispatches. The disk serves commands in order (per-command overhead plus media bandwidth), then
 * the shared link carries the data; the completion interrupt runs on the CPU that owns the submitting
 * CPU's hardware queue, which unmaps (strict: IOTLB invalidation + free_iova_fast; lazy: queue_iova),
 * ends the bios and dispatches more. Every CPU runs one thing at a time; time spent mapping delays
 * that CPU's next submission.
 *
 * Shared resources are reserved in time: the domain's tree lock (held for exactly the allocator work
 * done: walk steps, inserts, erases) and the IOMMU's invalidation queue (strict invalidations and
 * lazy flushes). A CPU that wants a held resource waits for it; contention emerges from the model.
 * Timer work (flush-queue timeouts, depot trimming) holds the lock and the queue but no CPU.
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import { IovaDomain } from '../allocators/iova-domain.js';
import { numberPfn } from '../allocators/pfn.js';
import { createDomain, type HostSetup } from '../block/probe.js';
import type { DmaDevice } from '../dma/device.js';
import { IommuDma } from '../dma/dma-iommu.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import { ScatterList } from '../dma/scatterlist.js';
import { Mulberry32, mixSeed } from '../workloads/random.js';
import { CountingAllocator } from './counting-allocator.js';
import { EventQueue } from './event-queue.js';
import { scenarioHostSetup } from './host-setup.js';
import { LogHistogram, type TimeSample } from './metrics.js';
import type { Scenario } from './scenario.js';

const SUBMIT = 0;
const COMPLETE = 1;
const SAMPLE = 2;
const RECORD = 3;

/** Buckets of the 32-bit IOVA space in the occupancy picture. */
export const OCCUPANCY_BUCKETS = 4096;

const SECTOR = 512;

class Job {
  offset = 0;
  inflight = 0;
  idle = false;
  /** Next free buffer slot; each slot is one page-aligned buffer, never adjacent to another. */
  nextBuffer = 0;
  /** The job's newest request still queued (its CPU's software queue), for back merging. */
  tail: Request | null = null;
  constructor(
    readonly index: number,
    readonly cpu: number,
    readonly disk: number,
    readonly bs: number,
    readonly iodepth: number,
    readonly random: boolean,
    readonly regionBytes: number,
    readonly bufferBase: number,
    readonly rng: Mulberry32,
  ) {}
}

class Request {
  job = 0;
  disk = 0;
  submitCpu = 0;
  startOffset = 0;
  endOffset = 0;
  bios = 0;
  granules = 0;
  bioSubmitTimes: Float64Array;
  readonly sg: ScatterList;
  constructor(maxBios: number) {
    this.bioSubmitTimes = new Float64Array(maxBios);
    this.sg = new ScatterList(maxBios);
  }
}

class Disk {
  /** Requests not yet dispatched, oldest first, from `head`. */
  pending: Request[] = [];
  head = 0;
  inflight = 0;
  busyUntil = 0;
}

export interface SimulationResult {
  readonly scenario: Scenario;
  /** Simulated time measured (after the warm-up), ms. */
  readonly measuredMs: number;
  readonly ios: number;
  readonly iops: number;
  readonly bandwidthMBps: number;
  readonly latencyUs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number };
  /** Latency CDF from the histogram (µs, fraction of I/Os at or below), one point per non-empty bucket. */
  readonly latencyCdf: readonly { readonly us: number; readonly fraction: number }[];
  readonly requests: number;
  readonly biosPerRequest: number;
  readonly mapping: {
    /** DMA map + unmap CPU time per I/O (lock waits included), ns. */
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
  readonly iotlb: { readonly invalidations: number; readonly flushes: number; readonly waitNsPerIo: number };
  readonly rcache: { readonly hitRate: number; readonly perClass: readonly { readonly order: number; readonly hits: number; readonly misses: number }[]; readonly depotMagazines: number };
  readonly allocator: { readonly name: string; readonly liveIovas: number; readonly freeGranules32: number; readonly largestFree32: number; readonly externalFragmentation32: number };
  readonly cpuUtilisation: number;
  readonly series: readonly TimeSample[];
  /** Fraction of each of OCCUPANCY_BUCKETS equal slices of the 32-bit IOVA space in use at the end. */
  readonly occupancy32: readonly number[];
  /** Bios completed, to check the engine's own throughput. */
  readonly simulatedEvents: number;
}

/** Builds the allocator a scenario names; the alternative allocators register through this hook. */
export type AllocatorFactory = (name: string, args: { granule: number; startPfn: number; endPfn: number; scenario: Scenario }) => IovaAllocator<number>;

export function defaultAllocatorFactory(name: string, args: { granule: number; startPfn: number; scenario: Scenario }): IovaAllocator<number> {
  if (name !== 'linux') throw new Error(`unknown allocator "${name}"`);
  const features = dmaKernelFeatures(args.scenario.kernel);
  return new IovaDomain(numberPfn, { ...features.profile, retryPass: args.scenario.iommu.retryPass }, args.granule, args.startPfn);
}

/** One I/O of a recorded trace, as the workload readers give it (src/workloads/io-record.ts). */
export interface TraceIo {
  readonly timeNs: number;
  readonly op: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly device?: string;
  readonly cpu?: number;
}

export interface SimulateOptions {
  /**
   * Replay these I/Os open-loop at their recorded times instead of running the scenario's jobs.
   * Devices map to disks in order of first appearance (modulo the disk count); an I/O without a
   * CPU runs on CPU (device index mod CPUs). The run ends when every I/O has completed.
   */
  readonly records?: Iterable<TraceIo>;
  /** Called now and then with the fraction of simulated time done (for a progress bar). */
  readonly onProgress?: (fraction: number) => void;
}

export function simulate(scenario: Scenario, allocatorFactory: AllocatorFactory = defaultAllocatorFactory, options: SimulateOptions = {}): SimulationResult {
  return new Simulation(scenario, allocatorFactory, options).run();
}

class Simulation {
  private readonly events = new EventQueue();
  private readonly costs;
  private readonly cpuFreeAt: Float64Array;
  private readonly cpuBusyNs: Float64Array;
  private readonly jobs: Job[] = [];
  private readonly disks: Disk[] = [];
  private readonly requestPool: Request[] = [];
  private readonly maxRequestBytes: number;
  private readonly maxSegments: number;
  private readonly maxBiosPerRequest: number;
  private readonly irqCpuOfCpu: Int32Array;
  private readonly translated: boolean;
  private readonly lazy: boolean;
  private readonly granule = 4096;
  private readonly domain: IommuDmaDomain | null = null;
  private readonly dma: IommuDma | null = null;
  private readonly counting: CountingAllocator | null = null;
  private readonly device: DmaDevice;
  private readonly maxSegmentSize: number;
  private readonly canQueue: number;
  /** The probed host: queue limits and DMA device as the kernel derives them. */
  readonly setup: HostSetup;
  private hostInflight = 0;
  private lockFreeAt = 0;
  private iommuQueueFreeAt = 0;
  private readonly warmupNs: number;
  private readonly endNs: number;
  private measuring = false;

  // Metrics (reset at the end of the warm-up).
  private ios = 0;
  private bytes = 0;
  private requests = 0;
  private mappingCpuNs = 0;
  private lockAcquisitions = 0;
  private lockContended = 0;
  private lockWaitNs = 0;
  private lockHoldNs = 0;
  private iotlbWaitNs = 0;
  private invalidations = 0;
  private flushes = 0;
  private treeSteps = 0;
  private maps = 0;
  private sac32Attempts = 0;
  private sac32Failures = 0;
  private allocFailures = 0;
  private readonly latency = new LogHistogram();
  private readonly mapNs = new LogHistogram();
  private readonly stepsPerMap = new LogHistogram();
  private readonly series: TimeSample[] = [];
  private intervalIos = 0;
  private intervalLockWait = 0;
  private classHitsAtWarmup: number[] = [];
  private classMissesAtWarmup: number[] = [];
  private simulatedEvents = 0;
  /** Mapping sizes (granules) seen before measuring starts: the ageing phase draws from them. */
  private readonly warmupSizes: number[] = [];

  private readonly records: Iterator<TraceIo> | null;
  private readonly onProgress: ((fraction: number) => void) | null;
  private readonly traceDevices = new Map<string, number>();
  private lastCompletionNs = 0;
  private firstRecordNs = -1;

  constructor(
    readonly scenario: Scenario,
    allocatorFactory: AllocatorFactory,
    options: SimulateOptions,
  ) {
    this.records = options.records === undefined ? null : options.records[Symbol.iterator]();
    this.onProgress = options.onProgress ?? null;
    this.costs = scenario.costs;
    this.cpuFreeAt = new Float64Array(scenario.cpus);
    this.cpuBusyNs = new Float64Array(scenario.cpus);
    this.warmupNs = this.records === null ? scenario.warmupMs * 1e6 : 0;
    this.endNs = this.records === null ? scenario.durationMs * 1e6 : Infinity;
    this.setup = scenarioHostSetup(scenario);
    const limits = this.setup.limits;
    this.maxRequestBytes = limits.maxSectors * SECTOR;
    this.maxSegments = limits.maxSegments;
    this.maxSegmentSize = this.setup.device.maxSegmentSize;
    this.canQueue = this.setup.description.host.canQueue;
    const nrHwQueues = this.setup.description.host.nrHwQueues;
    this.translated = scenario.iommu.mode === 'translated';
    this.lazy = this.translated && scenario.iommu.invalidation === 'lazy';
    const maxBs = Math.max(...scenario.jobs.map((j) => j.bs));
    this.maxBiosPerRequest = Math.max(1, Math.floor(this.maxRequestBytes / Math.min(...scenario.jobs.map((j) => j.bs))), Math.ceil(maxBs / this.granule));

    // blk-mq's managed interrupts: CPUs are spread over the hardware queues; each queue's interrupt
    // fires on the first CPU of its group.
    this.irqCpuOfCpu = new Int32Array(scenario.cpus);
    for (let cpu = 0; cpu < scenario.cpus; cpu++) {
      const queue = Math.floor((cpu * nrHwQueues) / scenario.cpus);
      this.irqCpuOfCpu[cpu] = Math.ceil((queue * scenario.cpus) / nrHwQueues);
    }

    this.device = this.setup.device;
    if (this.translated) {
      const domain = createDomain(this.setup, {
        cpus: scenario.cpus,
        rcacheClasses: scenario.iommu.rcacheClasses,
        allocator: (args) => {
          const endPfn = 2 ** (48 - Math.log2(args.granule)) - 1;
          const counting = new CountingAllocator(allocatorFactory(scenario.allocator, { granule: args.granule, startPfn: args.startPfn, endPfn, scenario }));
          (this as unknown as { counting: CountingAllocator }).counting = counting;
          return counting;
        },
      });
      this.domain = domain;
      this.dma = new IommuDma(domain);
    }

    let threadIndex = 0;
    const totalThreads = scenario.jobs.reduce((n, j) => n + j.numjobs, 0);
    for (const spec of scenario.jobs) {
      for (let k = 0; k < spec.numjobs; k++) {
        const cpu = spec.cpus[Math.floor((threadIndex * spec.cpus.length) / totalThreads) % spec.cpus.length];
        const disk = threadIndex % scenario.disks.count;
        const random = spec.rw === 'randread' || spec.rw === 'randwrite';
        // Buffers: `iodepth` page-aligned slots per thread, two granules apart so none is contiguous.
        const bufferBase = (threadIndex + 1) * 2 ** 32;
        this.jobs.push(new Job(threadIndex, cpu, disk, spec.bs, spec.iodepth, random, spec.sizeBytes, bufferBase, new Mulberry32(mixSeed(scenario.seed, threadIndex))));
        threadIndex++;
      }
    }
    if (this.records !== null) {
      // Trace replay: one open-loop submitter per CPU, so bios merge per CPU as in blk-mq.
      this.jobs.length = 0;
      for (let cpu = 0; cpu < scenario.cpus; cpu++) {
        this.jobs.push(new Job(cpu, cpu, 0, 0, Number.MAX_SAFE_INTEGER, true, 0, (cpu + 1) * 2 ** 32, new Mulberry32(mixSeed(scenario.seed, cpu))));
      }
    }
    for (let d = 0; d < scenario.disks.count; d++) this.disks.push(new Disk());
  }

  run(): SimulationResult {
    if (this.records === null) for (const job of this.jobs) this.events.schedule(0, SUBMIT, job.index);
    else this.scheduleNextRecord();
    const intervalNs = this.scenario.intervalMs * 1e6;
    this.events.schedule(this.warmupNs, SAMPLE, 0);
    const progressEvery = 65536;
    for (;;) {
      const event = this.events.pop();
      if (event === undefined || event.time > this.endNs) break;
      // Trace replay ends when only the sampler is left.
      if (event.kind === SAMPLE && this.records !== null && this.events.size === 0 && this.pendingRecord === null) {
        this.sample(event.time);
        break;
      }
      this.simulatedEvents++;
      if (this.onProgress !== null && this.simulatedEvents % progressEvery === 0) {
        this.onProgress(this.records === null ? event.time / this.endNs : this.recordsDone / Math.max(1, this.recordsDone + 1));
      }
      const time = event.time;
      if (this.domain !== null) this.advanceClock(time);
      switch (event.kind) {
        case SUBMIT:
          this.submit(this.jobs[event.index], time);
          break;
        case COMPLETE:
          this.complete(event.subject as Request, time);
          break;
        case SAMPLE:
          this.sample(time);
          if (time + intervalNs <= this.endNs) this.events.schedule(time + intervalNs, SAMPLE, 0);
          break;
        case RECORD:
          this.submitRecord(time);
          break;
      }
      this.events.recycle(event);
    }
    return this.result();
  }

  /** Moves the domain's clock (flush-queue timer, depot trimmer) and charges what its timers did. */
  private advanceClock(time: number): void {
    const domain = this.domain as IommuDmaDomain;
    const ms = time / 1e6;
    if (ms <= domain.nowMs) return;
    const counting = this.counting as CountingAllocator;
    const flushes = domain.iotlbInvalidations;
    counting.mark();
    domain.advanceTo(ms);
    if (counting.callsSinceMark > 0) {
      const hold = counting.lockHoldSinceMark(this.costs);
      this.lockFreeAt = Math.max(this.lockFreeAt, time) + hold;
      if (this.measuring) this.lockHoldNs += hold;
    }
    const newFlushes = domain.iotlbInvalidations - flushes;
    if (newFlushes > 0) {
      this.iommuQueueFreeAt = Math.max(this.iommuQueueFreeAt, time) + newFlushes * this.costs.iotlbFlushAllNs;
      if (this.measuring) this.flushes += newFlushes;
    }
  }

  private submit(job: Job, time: number): void {
    if (job.inflight >= job.iodepth) {
      job.idle = true;
      return;
    }
    const bs = job.bs;
    let offset: number;
    if (job.random) {
      offset = job.rng.below(Math.floor(job.regionBytes / bs)) * bs;
    } else {
      offset = job.offset;
      job.offset = offset + bs >= job.regionBytes ? 0 : offset + bs;
    }
    const t = this.submitBio(job, job.disk, offset, bs, time);
    if (job.inflight < job.iodepth) this.events.schedule(t, SUBMIT, job.index);
    else job.idle = true;
  }

  private pendingRecord: TraceIo | null = null;
  private recordsDone = 0;

  /** Pulls the next trace I/O and schedules its submission at its recorded time. */
  private scheduleNextRecord(): void {
    const next = (this.records as Iterator<TraceIo>).next();
    if (next.done === true) {
      this.pendingRecord = null;
      return;
    }
    this.pendingRecord = next.value;
    const time = Math.max(0, next.value.timeNs);
    if (this.firstRecordNs < 0) this.firstRecordNs = time;
    this.events.schedule(time, RECORD, 0);
  }

  private submitRecord(time: number): void {
    const record = this.pendingRecord as TraceIo;
    this.recordsDone++;
    const device = record.device ?? '';
    let diskIndex = this.traceDevices.get(device);
    if (diskIndex === undefined) {
      diskIndex = this.traceDevices.size % this.disks.length;
      this.traceDevices.set(device, diskIndex);
    }
    const cpu = (record.cpu ?? diskIndex) % this.scenario.cpus;
    const bytes = Math.max(SECTOR, Math.ceil(record.lengthBytes / SECTOR) * SECTOR);
    if (record.op === 'read' || record.op === 'write') this.submitBio(this.jobs[cpu], diskIndex, record.offsetBytes, bytes, time);
    this.scheduleNextRecord();
  }

  /** One bio of `bs` bytes at `offset` from `job`'s CPU: merged or queued, then dispatch. */
  private submitBio(job: Job, diskIndex: number, offset: number, bs: number, time: number): number {
    const cpu = job.cpu;
    let t = Math.max(time, this.cpuFreeAt[cpu]);
    const start = t;
    t += this.costs.submitNs;
    const disk = this.disks[diskIndex];
    const buffer = job.bufferBase + (job.nextBuffer++ % 65536) * (Math.ceil(bs / this.granule) + 1) * this.granule;
    job.inflight++;
    // Back merge into the job's newest queued request when this bio continues it: each CPU has its
    // own blk-mq software queue, so bios merge only with requests queued from the same CPU.
    const tail = job.tail;
    if (
      tail !== null &&
      tail.endOffset === offset &&
      tail.endOffset - tail.startOffset + bs <= this.maxRequestBytes &&
      tail.sg.nents + Math.ceil(bs / this.granule) <= this.maxSegments &&
      tail.bios < tail.bioSubmitTimes.length
    ) {
      t += this.costs.mergeNs;
      this.addBio(tail, buffer, bs, start);
      tail.endOffset += bs;
    } else {
      const request = this.requestPool.pop() ?? new Request(this.maxBiosPerRequest);
      request.job = job.index;
      request.disk = diskIndex;
      request.submitCpu = cpu;
      request.startOffset = offset;
      request.endOffset = offset + bs;
      request.bios = 0;
      request.granules = 0;
      request.sg.clear();
      this.addBio(request, buffer, bs, start);
      disk.pending.push(request);
      job.tail = request;
    }
    t = this.dispatch(diskIndex, cpu, t);
    this.cpuBusyNs[cpu] += t - start;
    this.cpuFreeAt[cpu] = t;
    return t;
  }

  private addBio(request: Request, buffer: number, bs: number, submitTime: number): void {
    request.bioSubmitTimes[request.bios++] = submitTime;
    // A bio's buffer is page-aligned and contiguous within itself: one segment per page run.
    const sg = request.sg;
    for (let done = 0; done < bs; ) {
      const length = Math.min(bs - done, this.maxSegmentSize);
      sg.add(buffer + done, length);
      done += length;
    }
    request.granules += Math.ceil(bs / this.granule);
  }

  /** Dispatches queued requests of a disk while it and the host have room; returns the CPU's time. */
  private dispatch(diskIndex: number, cpu: number, time: number): number {
    const disk = this.disks[diskIndex];
    const scenario = this.scenario;
    let t = time;
    while (disk.head < disk.pending.length && disk.inflight < scenario.host.queueDepth && this.hostInflight < this.canQueue) {
      const request = disk.pending[disk.head];
      const mapped = this.translated ? this.map(request, cpu, t + this.costs.dispatchNs) : t + this.costs.dispatchNs;
      if (mapped < 0) {
        // No IOVA: the request stays queued (BLK_STS_RESOURCE) until a completion frees space.
        if (this.measuring) this.allocFailures++;
        break;
      }
      t = mapped;
      const owner = this.jobs[request.job];
      if (owner.tail === request) owner.tail = null;
      disk.pending[disk.head] = undefined as unknown as Request;
      disk.head++;
      if (disk.head > 1024 && disk.head * 2 > disk.pending.length) {
        disk.pending = disk.pending.slice(disk.head);
        disk.head = 0;
      }
      disk.inflight++;
      this.hostInflight++;
      const bytes = request.endOffset - request.startOffset;
      const serviceNs = scenario.disks.commandUs * 1e3 + (bytes / (scenario.disks.bandwidthMBps * 1e6)) * 1e9;
      const diskDone = Math.max(t, disk.busyUntil) + serviceNs;
      disk.busyUntil = diskDone;
      const linkDone = Math.max(diskDone, this.linkBusyUntil) + (bytes / (scenario.linkMBps * 1e6)) * 1e9;
      this.linkBusyUntil = linkDone;
      this.events.schedule(linkDone + scenario.disks.latencyUs * 1e3, COMPLETE, diskIndex, request);
    }
    return t;
  }

  private linkBusyUntil = 0;

  /** dma_map_sg on `cpu` starting at `time`; returns when the CPU is done, or -1 on failure. */
  private map(request: Request, cpu: number, time: number): number {
    const dma = this.dma as IommuDma;
    const counting = this.counting as CountingAllocator;
    const rcache = (this.domain as IommuDmaDomain).rcache;
    const c = this.costs;
    const depot = rcache === null ? 0 : rcache.depotOperations;
    const sacAttempts = dma.sac32Attempts;
    const sacFailures = dma.sac32Failures;
    if (!this.measuring && this.warmupSizes.length < 100_000) this.warmupSizes.push(request.granules);
    counting.mark();
    const segments = dma.mapSg(this.device, request.sg, cpu);
    const fastCalls = 1 + (dma.sac32Attempts - sacAttempts > 0 && dma.sac32Failures - sacFailures > 0 ? 1 : 0);
    let cpuNs = fastCalls * c.rcacheHitNs + request.sg.nents * c.sgSegmentNs + request.granules * c.pageTableNsPerGranule;
    if (rcache !== null) cpuNs += (rcache.depotOperations - depot) * c.depotNs;
    const stepsTaken = counting.stepsSinceMark;
    let t = time + cpuNs;
    if (counting.callsSinceMark > 0) t = this.holdLock(t, counting.lockHoldSinceMark(c));
    if (this.measuring) {
      this.maps++;
      this.treeSteps += stepsTaken;
      this.sac32Attempts += dma.sac32Attempts - sacAttempts;
      this.sac32Failures += dma.sac32Failures - sacFailures;
      this.mappingCpuNs += t - time;
      this.mapNs.record(t - time);
      this.stepsPerMap.record(stepsTaken);
    }
    if (segments === 0) return -1;
    return t;
  }

  /** Spins for the tree lock from `time`, holds it for `holdNs`; returns when the CPU lets go. */
  private holdLock(time: number, holdNs: number): number {
    const acquired = Math.max(time, this.lockFreeAt);
    this.lockFreeAt = acquired + holdNs;
    if (this.measuring) {
      this.lockAcquisitions++;
      if (acquired > time) {
        this.lockContended++;
        this.lockWaitNs += acquired - time;
        this.intervalLockWait += acquired - time;
      }
      this.lockHoldNs += holdNs;
    }
    return acquired + holdNs;
  }

  private complete(request: Request, time: number): void {
    const cpu = this.irqCpuOfCpu[request.submitCpu];
    const c = this.costs;
    let t = Math.max(time, this.cpuFreeAt[cpu]);
    const start = t;
    t += c.completionNs + request.bios * c.bioCompletionNs;
    if (this.translated) t = this.unmap(request, cpu, t);
    const disk = this.disks[request.disk];
    disk.inflight--;
    this.hostInflight--;
    const job = this.jobs[request.job];
    job.inflight -= request.bios;
    if (this.measuring) {
      this.requests++;
      this.ios += request.bios;
      this.intervalIos += request.bios;
      this.bytes += request.endOffset - request.startOffset;
      for (let i = 0; i < request.bios; i++) this.latency.record(t - request.bioSubmitTimes[i]);
    }
    this.requestPool.push(request);
    if (t > this.lastCompletionNs) this.lastCompletionNs = t;
    if (job.idle) {
      job.idle = false;
      this.events.schedule(t, SUBMIT, job.index);
    }
    t = this.dispatch(request.disk, cpu, t);
    if (this.hostInflight < this.canQueue) {
      for (let d = 0; d < this.disks.length; d++) if (d !== request.disk && this.disks[d].head < this.disks[d].pending.length) t = this.dispatch(d, cpu, t);
    }
    this.cpuBusyNs[cpu] += t - start;
    this.cpuFreeAt[cpu] = t;
  }

  /** dma_unmap_sg on `cpu` from `time`; returns when the CPU is done. */
  private unmap(request: Request, cpu: number, time: number): number {
    const dma = this.dma as IommuDma;
    const domain = this.domain as IommuDmaDomain;
    const counting = this.counting as CountingAllocator;
    const rcache = domain.rcache;
    const c = this.costs;
    const depot = rcache === null ? 0 : rcache.depotOperations;
    const syncs = domain.iotlbInvalidations;
    counting.mark();
    dma.unmapSg(this.device, request.sg, cpu);
    let t = time + request.granules * c.pageTableNsPerGranule + (this.lazy ? c.flushQueueNs : c.rcacheHitNs);
    if (rcache !== null) t += (rcache.depotOperations - depot) * c.depotNs;
    if (counting.callsSinceMark > 0) t = this.holdLock(t, counting.lockHoldSinceMark(c));
    const invalidations = domain.iotlbInvalidations - syncs;
    if (invalidations > 0) {
      const each = this.lazy ? c.iotlbFlushAllNs : c.iotlbInvalidateNs;
      const startAt = Math.max(t, this.iommuQueueFreeAt);
      this.iommuQueueFreeAt = startAt + invalidations * each;
      if (this.measuring) {
        this.iotlbWaitNs += startAt - t;
        if (this.lazy) this.flushes += invalidations;
        else this.invalidations += invalidations;
      }
      t = this.iommuQueueFreeAt;
    }
    if (this.measuring) this.mappingCpuNs += t - time;
    return t;
  }

  private sample(time: number): void {
    if (!this.measuring) {
      this.startMeasuring();
      return;
    }
    const intervalS = this.scenario.intervalMs / 1e3;
    const counting = this.counting;
    let depot = 0;
    for (const sizeClass of this.domain?.rcache?.classes ?? []) depot += sizeClass.depot.length;
    this.series.push({
      timeMs: time / 1e6,
      iops: this.intervalIos / intervalS,
      liveIovas: counting === null ? 0 : counting.allocSuccesses - counting.freeSuccesses,
      depotMagazines: depot,
      lockWaitNsPerIo: this.intervalIos === 0 ? 0 : this.intervalLockWait / this.intervalIos,
    });
    this.intervalIos = 0;
    this.intervalLockWait = 0;
  }

  /**
   * Ages the domain as minutes of uptime would, without simulating the time: `maps` mappings drawn
   * from the sizes seen in the warm-up, each allocated on a job's CPU and freed, after a queue of
   * the same depth as the run keeps in flight, on that CPU's interrupt CPU. Magazines and depots
   * fill and the address space fragments as the workload itself would leave them.
   */
  private age(maps: number): void {
    const dma = this.dma;
    if (dma === null || maps === 0 || this.warmupSizes.length === 0) return;
    const rng = new Mulberry32(mixSeed(this.scenario.seed, 0x5eed));
    const depth = Math.max(1, this.hostInflight);
    const ring: ScatterList[] = [];
    const ringCpu = new Int32Array(depth);
    for (let i = 0; i < depth; i++) ring.push(new ScatterList(8));
    let at = 0;
    for (let n = 0; n < maps; n++) {
      const slot = ring[at];
      if (slot.mappedCount > 0) dma.unmapSg(this.device, slot, this.irqCpuOfCpu[ringCpu[at]]);
      const job = this.jobs[rng.below(this.jobs.length)];
      const granules = this.warmupSizes[rng.below(this.warmupSizes.length)];
      slot.clear();
      slot.add(job.bufferBase + 2 ** 31, granules * this.granule);
      ringCpu[at] = job.cpu;
      dma.mapSg(this.device, slot, job.cpu);
      at = (at + 1) % depth;
    }
    for (let i = 0; i < depth; i++) if (ring[i].mappedCount > 0) dma.unmapSg(this.device, ring[i], this.irqCpuOfCpu[ringCpu[i]]);
  }

  private startMeasuring(): void {
    this.age(this.scenario.ageingMaps);
    this.measuring = true;
    this.cpuBusyNs.fill(0);
    const classes = this.domain?.rcache?.classes ?? [];
    this.classHitsAtWarmup = classes.map((k) => k.hits);
    this.classMissesAtWarmup = classes.map((k) => k.misses);
  }

  private result(): SimulationResult {
    const scenario = this.scenario;
    // A replay is measured from its first I/O to its last completion.
    const measuredNs = this.records === null ? this.endNs - this.warmupNs : Math.max(1, this.lastCompletionNs - Math.max(0, this.firstRecordNs));
    const measuredS = measuredNs / 1e9;
    const ios = this.ios;
    const perIo = (x: number): number => (ios === 0 ? 0 : x / ios);
    const classes = this.domain?.rcache?.classes ?? [];
    const perClass = classes.map((k, i) => ({ order: k.order, hits: k.hits - (this.classHitsAtWarmup[i] ?? 0), misses: k.misses - (this.classMissesAtWarmup[i] ?? 0) }));
    const hits = perClass.reduce((n, k) => n + k.hits, 0);
    const misses = perClass.reduce((n, k) => n + k.misses, 0);
    let depot = 0;
    for (const k of classes) depot += k.depot.length;
    const counting = this.counting;
    const allocator = counting?.inner;
    const stats32 = allocator === undefined ? null : allocator.stats(allocator.dma32BitPfn - 1);
    let busy = 0;
    for (const ns of this.cpuBusyNs) busy += ns;
    return {
      scenario,
      measuredMs: measuredNs / 1e6,
      ios,
      iops: ios / measuredS,
      bandwidthMBps: this.bytes / 1e6 / measuredS,
      latencyUs: {
        mean: this.latency.mean() / 1e3,
        p50: this.latency.percentile(50) / 1e3,
        p99: this.latency.percentile(99) / 1e3,
        p999: this.latency.percentile(99.9) / 1e3,
        max: this.latency.max / 1e3,
      },
      latencyCdf: this.latency.cdf().map((p) => ({ us: p.value / 1e3, fraction: p.fraction })),
      requests: this.requests,
      biosPerRequest: this.requests === 0 ? 0 : ios / this.requests,
      mapping: {
        cpuNsPerIo: perIo(this.mappingCpuNs),
        mapNsP50: this.mapNs.percentile(50),
        mapNsP99: this.mapNs.percentile(99),
        treeStepsPerMap: this.maps === 0 ? 0 : this.treeSteps / this.maps,
        treeStepsP99: this.stepsPerMap.percentile(99),
        allocFailures: this.allocFailures,
        sac32Attempts: this.sac32Attempts,
        sac32Failures: this.sac32Failures,
      },
      lock: {
        acquisitions: this.lockAcquisitions,
        contended: this.lockContended,
        waitNsPerIo: perIo(this.lockWaitNs),
        holdNsPerIo: perIo(this.lockHoldNs),
        utilisation: this.lockHoldNs / measuredNs,
      },
      iotlb: { invalidations: this.invalidations, flushes: this.flushes, waitNsPerIo: perIo(this.iotlbWaitNs) },
      rcache: { hitRate: hits + misses === 0 ? 0 : hits / (hits + misses), perClass, depotMagazines: depot },
      allocator: {
        name: allocator?.name ?? 'none',
        liveIovas: counting === null ? 0 : counting.allocSuccesses - counting.freeSuccesses,
        freeGranules32: stats32?.freeGranules ?? 0,
        largestFree32: stats32?.largestFreeBlock ?? 0,
        externalFragmentation32: stats32 === null || stats32.freeGranules === 0 ? 0 : 1 - stats32.largestFreeBlock / stats32.freeGranules,
      },
      cpuUtilisation: busy / (measuredNs * scenario.cpus),
      series: this.series,
      occupancy32: counting === null ? [] : occupancy(counting),
      simulatedEvents: this.simulatedEvents,
    };
  }
}

/** Fraction in use of each of OCCUPANCY_BUCKETS slices of the 32-bit space, from the held ranges. */
function occupancy(allocator: CountingAllocator): number[] {
  const slice = allocator.dma32BitPfn / OCCUPANCY_BUCKETS;
  const used = new Float64Array(OCCUPANCY_BUCKETS);
  for (const [pfnLo, granules] of allocator.held) {
    const end = Math.min(pfnLo + granules, allocator.dma32BitPfn);
    for (let lo = pfnLo; lo < end; ) {
      const bucket = Math.floor(lo / slice);
      const bucketEnd = Math.min(end, (bucket + 1) * slice);
      used[bucket] += bucketEnd - lo;
      lo = bucketEnd;
    }
  }
  return Array.from(used, (granules) => Math.min(1, granules / slice));
}
