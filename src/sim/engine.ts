/**
 * The discrete-event simulation of a storage host doing DMA through an IOMMU.
 *
 * Simulated time is in nanoseconds; the agenda (./event-queue.ts) pops events in time order.
 *
 * Job threads. fio-like threads, each pinned to a CPU, keep up to `iodepth` I/Os in flight against
 * one disk. A thread draws every I/O from its ClosedLoopIoSource (../workloads/io-source.ts; by
 * default ./job-io-source.ts), which may also hold it back until a later instant (rate, thinktime),
 * block it until the source wakes it (fio's stonewall phases), or end it. A trace replay instead
 * submits recorded I/Os open-loop at their recorded times, from the recorded CPU.
 *
 * CPUs. Every CPU runs one task at a time, to its end, and queues the others first come first
 * served: a thread issuing one I/O (submitNs, then the block layer, then dispatch), or the
 * completion interrupt of a request (completionNs, unmap, end of its I/Os, then dispatch). The
 * interrupt runs on the CPU that owns the submitting CPU's hardware queue (blk-mq's managed
 * interrupts); with polled completion (io_uring IOPOLL, fio hipri) the same work runs on the
 * submitting CPU, which finds the completion when it polls.
 *
 * Platform (./platform-profile.ts). The scenario's platform gives the costs and a few plain numbers:
 * a thread pays submitBatchNs once per `submitBatch` I/Os (the system call they share) and, before
 * issuing, reapBatchNs per reap of up to `reapMax` completions; at full depth it waits for
 * `reapMin` completions (or its last one) before it issues again; a synchronous engine keeps one
 * I/O in flight whatever the iodepth. The I/Os of a submission batch still go down one by one, each
 * when its thread reaches it (the delay of waiting for a full batch is not modelled).
 *
 * Block layer (./block-queue.ts, the code of src/block/): an I/O becomes bios, split to the queue
 * limits, merged into the CPU's newest waiting request or queued as a new one; dispatch takes a
 * disk's oldest waiting request while the disk (queue depth) and host (can_queue) have room, maps it
 * with dma_map_sg (the real IommuDma, rcache and allocator) and hands it to the disk, which serves
 * commands in order (per-command overhead plus media bandwidth), then the shared link carries the
 * data.
 *
 * Time order. A task's CPU time is charged step by step; every step that touches state another CPU
 * can see (the block queue, the domain, the tree lock, the IOMMU command queue, a disk, the link)
 * runs at the CPU's own simulated instant: if any event is due before that instant the task parks
 * (a STEP event at that instant) and resumes when the agenda reaches it. So shared state changes, and
 * shared resources are granted (./shared-resources.ts), in the order CPUs reach them, never by a CPU
 * whose clock runs ahead. A CPU that waits for the tree lock or the command queue spins: the wait is
 * its own CPU time. The domain's timers (flush-queue timeout, depot trimmer) are events at their due
 * instant; their allocator work holds the lock and their flushes the command queue, with no CPU.
 *
 * Measurement. Counters start after the warm-up, after ageing the domain (./ageing.ts); results are
 * assembled in ./simulation-result.ts. Pools (events, I/Os, bios, requests, scatterlists) keep a
 * steady run from allocating per simulated I/O.
 */
import { remainder } from '../block/bio-split.js';
import { createDomain, type HostSetup } from '../block/probe.js';
import type { DmaDevice } from '../dma/device.js';
import { IommuDma } from '../dma/dma-iommu.js';
import type { FlushQueue } from '../dma/flush-queue.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import { IO_SOURCE_BLOCKED, IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from '../workloads/io-source.js';
import { mixSeed } from '../workloads/random.js';
import { ageDomain, ageOverUptime, type UptimeAgeingResult } from './ageing.js';
import { BlockQueue, type SimRequest } from './block-queue.js';
import type { CostModel } from './cost-model.js';
import { CountingAllocator } from './counting-allocator.js';
import { EventQueue } from './event-queue.js';
import type { IovaRecorder } from './iova-recorder.js';
import { scenarioAllocator, scenarioHostSetup } from './host-setup.js';
import { JobIoSource } from './job-io-source.js';
import { engineSettings } from './platform-profile.js';
import type { TimeSample } from './metrics.js';
import { checkScenario } from './scenario-loader.js';
import { ScenarioError, type JobSpec, type Scenario } from './scenario.js';
import { SharedResource, TimerClock } from './shared-resources.js';
import { assembleResult, Measurements, type SimulationResult } from './simulation-result.js';

export { OCCUPANCY_BUCKETS, type SimulationResult } from './simulation-result.js';

// Events.
const WAKE = 0; // a job thread may issue (index: thread)
const COMPLETE = 1; // a request's data is in (subject: request)
const STEP = 2; // a parked CPU task resumes (index: CPU)
const SAMPLE = 3;
const RECORD = 4; // the pending trace record is due
const TIMER = 5; // domain work falls due

// CPU tasks.
const ISSUE = 0; // subject: thread
const ISSUE_RECORD = 1; // subject: an I/O handle (BlockQueue.ios)
const INTERRUPT = 2; // subject: request

// Task steps.
const S_START = 0;
const S_BLOCK = 1;
const S_ISSUED = 2;
const S_UNMAP = 3;
const S_UNMAP_LOCK = 4;
const S_END_IOS = 5;
const S_DISPATCH = 6;
const S_MAP = 7;
const S_TO_DISK = 8;
const S_DONE = 9;

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
   * CPU runs on CPU (device index mod CPUs). Offsets round down and lengths up to the logical block
   * size. The run ends when every I/O has completed.
   */
  readonly records?: Iterable<TraceIo>;
  /** Called now and then with the fraction of simulated time done (for a progress bar). */
  readonly onProgress?: (fraction: number) => void;
  /**
   * The I/O source of thread `thread` (0-based over all jobs) of `job`, seeded with `seed`;
   * undefined: the job's plain source (./job-io-source.ts).
   */
  readonly ioSources?: (job: JobSpec, thread: number, seed: number) => ClosedLoopIoSource | undefined;
  /** Records every operation the IOVA allocator sees, as a replayable trace (./iova-recorder.ts). */
  readonly iovaRecorder?: IovaRecorder;
}

/** Simulates `scenario` (checked first: a bad one throws ScenarioError); the allocator comes from the registry. */
export function simulate(scenario: Scenario, options: SimulateOptions = {}): SimulationResult {
  checkScenario(scenario);
  return new Simulation(scenario, options).run();
}

class JobThread {
  inflight = 0;
  /** Waiting for a completion (iodepth reached). */
  idle = false;
  done = false;
  /** The source returned IO_SOURCE_BLOCKED: asleep until the source wakes it. */
  blocked = false;
  /** `io` holds an I/O the source returned but the thread has not issued yet. */
  ioReady = false;
  readyAt = 0;
  readonly io: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };
  nextBuffer = 0;
  /** I/Os the current submission call still takes before the next one is paid. */
  submitLeft = 0;
  /** Completions not reaped yet. */
  unreaped = 0;
  constructor(
    readonly index: number,
    readonly name: string,
    readonly cpu: number,
    readonly disk: number,
    readonly iodepth: number,
    readonly source: ClosedLoopIoSource | null,
  ) {}
}

/** What a CPU is doing: its current task and step, and the tasks waiting for it. */
class Cpu {
  busy = false;
  /** When its last task ended. */
  freeAt = 0;
  busyNs = 0;
  task = 0;
  step = 0;
  taskStart = 0;
  thread: JobThread | null = null;
  /** The I/O being issued (a BlockQueue.ios handle), or -1. */
  io = -1;
  request: SimRequest | null = null;
  /** Where a mapping or unmapping began (for its cost). */
  mark = 0;
  /** Dispatch: the disk being served, how many disks are left to try, and the step after. */
  disk = 0;
  disksLeft = 0;
  afterDispatch = 0;
  /** Tasks waiting for this CPU, first come first served: a ring of kinds and subjects. */
  waitingKind: number[] = [0, 0, 0, 0];
  waitingSubject: unknown[] = [null, null, null, null];
  waitingHead = 0;
  waitingCount = 0;
  constructor(readonly index: number) {}
}

class Disk {
  inflight = 0;
  busyUntil = 0;
}

class Simulation {
  private readonly events = new EventQueue();
  private readonly costs: CostModel;
  private readonly cpus: Cpu[] = [];
  private readonly threads: JobThread[] = [];
  private readonly disks: Disk[] = [];
  private readonly block: BlockQueue;
  private readonly irqCpuOfCpu: Int32Array;
  private readonly translated: boolean;
  private readonly lazy: boolean;
  private readonly granule: number;
  private readonly logicalBlockSize: number;
  private readonly domain: IommuDmaDomain | null = null;
  /** The domain's flush queue (lazy invalidation), whose timer the agenda runs. */
  private readonly flushQueue: FlushQueue | null = null;
  private readonly dma: IommuDma | null = null;
  private readonly counting: CountingAllocator | null = null;
  private readonly clock = new TimerClock();
  private readonly device: DmaDevice;
  private readonly canQueue: number;
  private readonly queueDepth: number;
  private readonly submitBatch: number;
  private readonly submitBatchNs: number;
  private readonly reapMin: number;
  private readonly reapMax: number;
  private readonly reapBatchNs: number;
  /** The probed host: queue limits and DMA device as the kernel derives them. */
  readonly setup: HostSetup;
  private readonly treeLock = new SharedResource('tree lock');
  private readonly iommuQueue = new SharedResource('IOMMU command queue');
  private timerEventNs = Number.POSITIVE_INFINITY;
  private hostInflight = 0;
  private linkBusyUntil = 0;
  private readonly warmupNs: number;
  private readonly endNs: number;
  private measuring = false;
  private m: Measurements;
  private readonly series: TimeSample[] = [];
  private simulatedEvents = 0;
  private ageing: UptimeAgeingResult | null = null;
  /** Mapping sizes (granules) seen before measuring starts: the ageing phase draws from them. */
  private readonly warmupSizes: number[] = [];
  /** What a source's completed() is told. */
  private readonly completedIo: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };

  private readonly records: Iterator<TraceIo> | null;
  private readonly onProgress: ((fraction: number) => void) | null;
  private readonly traceDevices = new Map<string, number>();
  private pendingRecord: TraceIo | null = null;
  private recordsDone = 0;
  private outstandingIos = 0;
  private lastCompletionNs = 0;
  private firstRecordNs = -1;

  constructor(
    readonly scenario: Scenario,
    options: SimulateOptions,
  ) {
    this.records = options.records === undefined ? null : options.records[Symbol.iterator]();
    this.onProgress = options.onProgress ?? null;
    this.costs = scenario.costs;
    const platform = engineSettings(scenario.platform);
    this.submitBatch = platform.submitBatch;
    this.submitBatchNs = scenario.costs.submitBatchNs ?? 0;
    this.reapMin = platform.reapMin;
    this.reapMax = platform.reapMax;
    this.reapBatchNs = scenario.costs.reapBatchNs ?? 0;
    this.warmupNs = this.records === null ? scenario.warmupMs * 1e6 : 0;
    this.endNs = this.records === null ? scenario.durationMs * 1e6 : Number.POSITIVE_INFINITY;
    this.setup = scenarioHostSetup(scenario);
    const limits = this.setup.limits;
    this.canQueue = this.setup.description.host.canQueue;
    this.queueDepth = scenario.host.queueDepth;
    this.logicalBlockSize = limits.logicalBlockSize;
    const iommu = this.setup.description.iommu;
    this.granule = iommu.granule;
    const nrHwQueues = this.setup.description.host.nrHwQueues;
    this.translated = scenario.iommu.mode === 'translated';
    this.lazy = this.translated && scenario.iommu.invalidation === 'lazy';
    this.block = new BlockQueue(limits, iommu.pageSize, this.granule, scenario.disks.count, scenario.cpus);
    this.m = new Measurements(null);

    // blk-mq's managed interrupts: CPUs are spread over the hardware queues; each queue's interrupt
    // fires on the first CPU of its group.
    this.irqCpuOfCpu = new Int32Array(scenario.cpus);
    for (let cpu = 0; cpu < scenario.cpus; cpu++) {
      const queue = Math.floor((cpu * nrHwQueues) / scenario.cpus);
      this.irqCpuOfCpu[cpu] = platform.polled ? cpu : Math.ceil((queue * scenario.cpus) / nrHwQueues);
      this.cpus.push(new Cpu(cpu));
    }

    this.device = this.setup.device;
    if (this.translated) {
      const allocator = scenarioAllocator(scenario);
      let counting: CountingAllocator | null = null;
      const domain = createDomain(this.setup, {
        cpus: scenario.cpus,
        rcacheClasses: scenario.iommu.rcacheClasses,
        clock: this.clock,
        allocator: (args) => {
          counting = new CountingAllocator(allocator(args));
          return counting;
        },
      });
      this.domain = domain;
      this.flushQueue = domain.flushQueue;
      options.iovaRecorder?.attach(domain, scenario.iommu.retryPass);
      this.counting = counting;
      this.dma = new IommuDma(domain);
    }

    if (this.records === null) {
      let threadIndex = 0;
      const totalThreads = scenario.jobs.reduce((n, j) => n + j.numjobs, 0);
      for (const spec of scenario.jobs) {
        for (let k = 0; k < spec.numjobs; k++) {
          const cpu = spec.cpus[Math.floor((threadIndex * spec.cpus.length) / totalThreads) % spec.cpus.length];
          const disk = threadIndex % scenario.disks.count;
          const seed = mixSeed(scenario.seed, threadIndex);
          const source: ClosedLoopIoSource = options.ioSources?.(spec, threadIndex, seed) ?? new JobIoSource(spec, seed);
          const thread = new JobThread(threadIndex, spec.name, cpu, disk, Math.min(spec.iodepth, platform.maxDepth), source);
          source.attachWake?.((t) => this.wakeBlocked(thread, t));
          this.threads.push(thread);
          threadIndex++;
        }
      }
    } else {
      // Trace replay: one open-loop submitter per CPU, so I/Os merge per CPU as in blk-mq.
      for (let cpu = 0; cpu < scenario.cpus; cpu++) this.threads.push(new JobThread(cpu, `cpu${cpu}`, cpu, 0, Number.MAX_SAFE_INTEGER, null));
    }
    for (let d = 0; d < scenario.disks.count; d++) this.disks.push(new Disk());
  }

  run(): SimulationResult {
    if (this.records === null) for (const thread of this.threads) this.events.schedule(0, WAKE, thread.index);
    else this.scheduleNextRecord();
    const intervalNs = this.scenario.intervalMs * 1e6;
    this.events.schedule(this.warmupNs, SAMPLE, 0);
    const progressEvery = 65536;
    const events = this.events;
    for (;;) {
      if (!events.pop() || events.time > this.endNs) break;
      const time = events.time;
      const kind = events.kind;
      // A trace replay ends at the first sample after its last completion.
      if (kind === SAMPLE && this.records !== null && this.pendingRecord === null && this.outstandingIos === 0) {
        this.sample(time);
        break;
      }
      this.simulatedEvents++;
      if (this.onProgress !== null && this.simulatedEvents % progressEvery === 0) {
        this.onProgress(this.records === null ? time / this.endNs : this.recordsDone / Math.max(1, this.recordsDone + 1));
      }
      switch (kind) {
        case STEP:
          this.runCpu(this.cpus[events.index], time);
          break;
        case WAKE: {
          const thread = this.threads[events.index];
          this.addTask(this.cpus[thread.cpu], ISSUE, thread, time);
          break;
        }
        case COMPLETE: {
          const request = events.subject as SimRequest;
          this.addTask(this.cpus[this.irqCpuOfCpu[request.cpu]], INTERRUPT, request, time);
          break;
        }
        case SAMPLE:
          this.sample(time);
          if (time + intervalNs <= this.endNs) events.schedule(time + intervalNs, SAMPLE, 0);
          break;
        case RECORD:
          this.submitRecord(time);
          break;
        case TIMER:
          this.runTimers(time);
          break;
      }
    }
    const measuredNs = this.records === null ? this.endNs - this.warmupNs : Math.max(1, this.lastCompletionNs - Math.max(0, this.firstRecordNs));
    let busy = 0;
    for (const cpu of this.cpus) busy += cpu.busyNs;
    const result = assembleResult({
      scenario: this.scenario,
      measuredNs,
      warmupNs: this.warmupNs,
      replay: this.records !== null,
      m: this.m,
      treeLock: this.treeLock,
      iommuQueue: this.iommuQueue,
      domain: this.domain,
      counting: this.counting,
      cpuBusyNs: busy,
      series: this.series,
      simulatedEvents: this.simulatedEvents,
    });
    return this.ageing === null ? result : { ...result, ageing: this.ageing };
  }

  /** Gives `cpu` a task at `time`: it starts now if the CPU is idle, else waits its turn. */
  private addTask(cpu: Cpu, kind: number, subject: unknown, time: number): void {
    if (cpu.busy) {
      this.queueTask(cpu, kind, subject);
      return;
    }
    this.beginTask(cpu, kind, subject);
    this.runCpu(cpu, time > cpu.freeAt ? time : cpu.freeAt);
  }

  private queueTask(cpu: Cpu, kind: number, subject: unknown): void {
    if (cpu.waitingCount === cpu.waitingKind.length) {
      // Grow the ring, oldest first.
      const kinds: number[] = [];
      const subjects: unknown[] = [];
      for (let i = 0; i < cpu.waitingCount; i++) {
        const at = (cpu.waitingHead + i) % cpu.waitingKind.length;
        kinds.push(cpu.waitingKind[at]);
        subjects.push(cpu.waitingSubject[at]);
      }
      for (let i = Math.max(4, kinds.length); i > 0; i--) {
        kinds.push(0);
        subjects.push(null);
      }
      cpu.waitingKind = kinds;
      cpu.waitingSubject = subjects;
      cpu.waitingHead = 0;
    }
    const at = (cpu.waitingHead + cpu.waitingCount) % cpu.waitingKind.length;
    cpu.waitingKind[at] = kind;
    cpu.waitingSubject[at] = subject;
    cpu.waitingCount++;
  }

  private beginTask(cpu: Cpu, kind: number, subject: unknown): void {
    cpu.busy = true;
    cpu.task = kind;
    cpu.step = S_START;
    cpu.thread = kind === ISSUE ? (subject as JobThread) : null;
    cpu.io = kind === ISSUE_RECORD ? (subject as number) : -1;
    cpu.request = kind === INTERRUPT ? (subject as SimRequest) : null;
  }

  /**
   * Runs `cpu`'s task from simulated instant `t`, step by step, until it ends or must park because
   * an event is due before the instant its next step happens.
   */
  private runCpu(cpu: Cpu, t: number): void {
    const events = this.events;
    const c = this.costs;
    for (;;) {
      // Park when another event comes first: state shared between CPUs changes in time order.
      if (t > events.nextTime) {
        events.schedule(t, STEP, cpu.index);
        return;
      }
      switch (cpu.step) {
        case S_START: {
          cpu.taskStart = t;
          if (cpu.task === INTERRUPT) {
            const request = cpu.request as SimRequest;
            t += c.completionNs + request.nrBios * c.bioCompletionNs;
            if (this.translated) {
              cpu.mark = t;
              t += request.granules * c.pageTableNsPerGranule;
              cpu.step = S_UNMAP;
            } else cpu.step = S_END_IOS;
            break;
          }
          if (cpu.task === ISSUE) {
            const thread = cpu.thread as JobThread;
            if (!this.nextIo(thread, t)) {
              cpu.step = S_DONE;
              break;
            }
            cpu.io = this.startIo(thread, t);
            if (thread.unreaped > 0) {
              t += Math.ceil(thread.unreaped / this.reapMax) * this.reapBatchNs;
              thread.unreaped = 0;
            }
            if (thread.submitLeft === 0) {
              t += this.submitBatchNs;
              thread.submitLeft = this.submitBatch;
            }
            thread.submitLeft--;
          } else {
            this.block.ios.submitNs[cpu.io] = t;
            t += this.submitBatchNs;
          }
          t += c.submitNs;
          cpu.step = S_BLOCK;
          break;
        }
        case S_BLOCK: {
          const io = cpu.io;
          const ios = this.block.ios;
          const thread = this.threads[ios.thread[io]];
          const disk = ios.disk[io];
          const merged = this.block.submit(io, disk, cpu.index, ios.offset[io], ios.bytes[io], bufferAddress(thread.index, thread.nextBuffer++));
          thread.inflight++;
          t += merged * c.mergeNs;
          this.startDispatch(cpu, disk, 1, S_ISSUED);
          break;
        }
        case S_ISSUED: {
          const thread = cpu.thread;
          if (thread !== null) {
            // The thread issues its next I/O on this CPU after the tasks already waiting for it.
            if (thread.inflight < thread.iodepth) this.queueTask(cpu, ISSUE, thread);
            else thread.idle = true;
          }
          cpu.step = S_DONE;
          break;
        }
        case S_UNMAP:
          t = this.unmap(cpu, t);
          break;
        case S_UNMAP_LOCK: {
          const counting = this.counting as CountingAllocator;
          const hold = counting.lockHoldSinceMark(c);
          t = this.treeLock.acquire(t, hold) + hold;
          this.noteUnmapDone(cpu, t);
          cpu.step = S_END_IOS;
          break;
        }
        case S_END_IOS: {
          const request = cpu.request as SimRequest;
          const disk = request.disk;
          this.endRequest(request, t);
          cpu.request = null;
          this.startDispatch(cpu, disk, this.disks.length, S_DONE);
          break;
        }
        case S_DISPATCH: {
          const disk = this.disks[cpu.disk];
          if (this.hostInflight >= this.canQueue || cpu.disksLeft === 0) {
            cpu.step = cpu.afterDispatch;
            break;
          }
          const request = disk.inflight < this.queueDepth ? this.block.take(cpu.disk) : null;
          if (request === null) {
            cpu.disksLeft--;
            cpu.disk = cpu.disk + 1 === this.disks.length ? 0 : cpu.disk + 1;
            break;
          }
          disk.inflight++;
          this.hostInflight++;
          cpu.request = request;
          t += c.dispatchNs;
          if (this.translated) {
            cpu.mark = t;
            const nents = this.block.mapSg(request);
            t += nents * c.sgSegmentNs;
            cpu.step = S_MAP;
          } else cpu.step = S_TO_DISK;
          break;
        }
        case S_MAP:
          t = this.map(cpu, t);
          break;
        case S_TO_DISK: {
          this.toDisk(cpu.request as SimRequest, t);
          cpu.request = null;
          cpu.step = S_DISPATCH;
          break;
        }
        case S_DONE: {
          cpu.busyNs += t - cpu.taskStart;
          cpu.freeAt = t;
          cpu.thread = null;
          cpu.io = -1;
          cpu.request = null;
          if (cpu.waitingCount === 0) {
            cpu.busy = false;
            return;
          }
          const kind = cpu.waitingKind[cpu.waitingHead];
          const subject = cpu.waitingSubject[cpu.waitingHead];
          cpu.waitingSubject[cpu.waitingHead] = null;
          cpu.waitingHead = cpu.waitingHead + 1 === cpu.waitingKind.length ? 0 : cpu.waitingHead + 1;
          cpu.waitingCount--;
          this.beginTask(cpu, kind, subject);
          break;
        }
      }
    }
  }

  /** The thread's next I/O into `thread.io`; false when it has nothing to issue at `t`. */
  private nextIo(thread: JobThread, t: number): boolean {
    if (thread.done) return false;
    if (thread.inflight >= thread.iodepth) {
      thread.idle = true;
      return false;
    }
    if (!thread.ioReady) {
      const at = (thread.source as ClosedLoopIoSource).next(thread.io, t);
      if (at === IO_SOURCE_DONE) {
        thread.done = true;
        return false;
      }
      if (at === IO_SOURCE_BLOCKED) {
        thread.blocked = true;
        return false;
      }
      thread.ioReady = true;
      thread.readyAt = at;
      const io = thread.io;
      if (io.lengthBytes <= 0 || !Number.isInteger(io.lengthBytes) || remainder(io.lengthBytes, this.logicalBlockSize) !== 0 || io.offsetBytes < 0 || !Number.isInteger(io.offsetBytes) || remainder(io.offsetBytes, this.logicalBlockSize) !== 0) {
        throw new ScenarioError(
          `job ${thread.name}, thread ${thread.index}: I/O of ${io.lengthBytes} bytes at offset ${io.offsetBytes}: both must be multiples of the logical block size (${this.logicalBlockSize}), the size above 0`,
        );
      }
    }
    if (thread.readyAt > t) {
      // Held back (rate, thinktime): the thread sleeps; the CPU is free meanwhile.
      this.events.schedule(thread.readyAt, WAKE, thread.index);
      return false;
    }
    thread.ioReady = false;
    return true;
  }

  /** A source wakes its blocked thread: it asks again at `t`. */
  private wakeBlocked(thread: JobThread, t: number): void {
    if (!thread.blocked) return;
    thread.blocked = false;
    this.events.schedule(t, WAKE, thread.index);
  }

  private startIo(thread: JobThread, t: number): number {
    const ios = this.block.ios;
    const io = ios.alloc();
    ios.thread[io] = thread.index;
    ios.disk[io] = thread.disk;
    ios.offset[io] = thread.io.offsetBytes;
    ios.bytes[io] = thread.io.lengthBytes;
    ios.write[io] = thread.io.write ? 1 : 0;
    ios.submitNs[io] = t;
    ios.pieces[io] = 0;
    this.outstandingIos++;
    return io;
  }

  private startDispatch(cpu: Cpu, disk: number, disks: number, after: number): void {
    cpu.disk = disk;
    cpu.disksLeft = disks;
    cpu.afterDispatch = after;
    cpu.step = S_DISPATCH;
  }

  /** dma_map_sg of the CPU's request at `t` (its allocation, then page tables); returns the CPU's time after. */
  private map(cpu: Cpu, t: number): number {
    const request = cpu.request as SimRequest;
    const dma = this.dma as IommuDma;
    const counting = this.counting as CountingAllocator;
    const rcache = (this.domain as IommuDmaDomain).rcache;
    const c = this.costs;
    const m = this.m;
    this.clock.moveTo(t);
    const depot = rcache === null ? 0 : rcache.depotOperations;
    const sacAttempts = dma.sac32Attempts;
    const sacFailures = dma.sac32Failures;
    if (!this.measuring && this.warmupSizes.length < 100_000) this.warmupSizes.push(request.granules);
    counting.mark();
    const segments = dma.mapSg(this.device, request.sg, cpu.index);
    const steps = counting.stepsSinceMark;
    if (counting.callsSinceMark > 0) {
      const hold = counting.lockHoldSinceMark(c);
      t = this.treeLock.acquire(t, hold) + hold;
    }
    const fastCalls = 1 + (dma.sac32Attempts - sacAttempts > 0 && dma.sac32Failures - sacFailures > 0 ? 1 : 0);
    t += fastCalls * c.rcacheHitNs + request.granules * c.pageTableNsPerGranule;
    if (rcache !== null) t += (rcache.depotOperations - depot) * c.depotNs;
    this.armTimers();
    if (this.measuring) {
      m.maps++;
      m.treeSteps += steps;
      m.sac32Attempts += dma.sac32Attempts - sacAttempts;
      m.sac32Failures += dma.sac32Failures - sacFailures;
      m.mappingCpuNs += t - cpu.mark;
      m.mapNs.record(t - cpu.mark);
      m.stepsPerMap.record(steps);
    }
    if (segments === 0) {
      // No IOVA: the request goes back to the head of the queue (BLK_STS_RESOURCE) until a
      // completion frees space and dispatches again.
      if (this.measuring) m.allocFailures++;
      this.block.putBack(request);
      this.disks[request.disk].inflight--;
      this.hostInflight--;
      cpu.request = null;
      cpu.step = cpu.afterDispatch;
      return t;
    }
    cpu.step = S_TO_DISK;
    return t;
  }

  /** The disk serves the request, then the link carries its data; its interrupt is scheduled. */
  private toDisk(request: SimRequest, t: number): void {
    const scenario = this.scenario;
    const disk = this.disks[request.disk];
    const bytes = request.bytes;
    // Whole nanoseconds: times stay small integers, which the JIT keeps unboxed.
    const serviceNs = Math.round(scenario.disks.commandUs * 1e3 + (bytes / (scenario.disks.bandwidthMBps * 1e6)) * 1e9);
    const diskDone = (t > disk.busyUntil ? t : disk.busyUntil) + serviceNs;
    disk.busyUntil = diskDone;
    const linkDone = (diskDone > this.linkBusyUntil ? diskDone : this.linkBusyUntil) + Math.round((bytes / (scenario.linkMBps * 1e6)) * 1e9);
    this.linkBusyUntil = linkDone;
    this.events.schedule(linkDone + Math.round(scenario.disks.latencyUs * 1e3), COMPLETE, request.disk, request);
  }

  /**
   * dma_unmap_sg of the CPU's request at `t`, page tables already charged: the IOTLB invalidation
   * (strict) or queue_iova (lazy, which may flush), then the IOVA's free; returns the CPU's time.
   */
  private unmap(cpu: Cpu, t: number): number {
    const request = cpu.request as SimRequest;
    const dma = this.dma as IommuDma;
    const domain = this.domain as IommuDmaDomain;
    const counting = this.counting as CountingAllocator;
    const rcache = domain.rcache;
    const c = this.costs;
    this.clock.moveTo(t);
    const depot = rcache === null ? 0 : rcache.depotOperations;
    const syncs = domain.iotlbInvalidations;
    counting.mark();
    dma.unmapSg(this.device, request.sg, cpu.index);
    this.armTimers();
    const invalidations = domain.iotlbInvalidations - syncs;
    if (invalidations > 0) {
      const busy = invalidations * (this.lazy ? c.iotlbFlushAllNs : c.iotlbInvalidateNs);
      t = this.iommuQueue.acquire(t, busy) + busy;
      if (this.measuring) {
        if (this.lazy) this.m.flushes += invalidations;
        else this.m.invalidations += invalidations;
      }
    }
    t += this.lazy ? c.flushQueueNs : c.rcacheHitNs;
    if (rcache !== null) t += (rcache.depotOperations - depot) * c.depotNs;
    if (counting.callsSinceMark > 0) {
      // The free reaches the tree: take the lock at the instant the CPU gets there.
      cpu.step = S_UNMAP_LOCK;
      return t;
    }
    this.noteUnmapDone(cpu, t);
    cpu.step = S_END_IOS;
    return t;
  }

  private noteUnmapDone(cpu: Cpu, t: number): void {
    if (this.measuring) this.m.mappingCpuNs += t - cpu.mark;
  }

  /** The request's pieces are done: I/Os whose last piece this was complete; the disk has room again. */
  private endRequest(request: SimRequest, t: number): void {
    const m = this.m;
    const disk = this.disks[request.disk];
    disk.inflight--;
    this.hostInflight--;
    if (this.measuring) {
      m.requests++;
      m.bios += request.nrBios;
      m.bytes += request.bytes;
    }
    const ios = this.block.ios;
    const bioIo = request.bioIo;
    const n = request.nrBios;
    for (let i = 0; i < n; i++) {
      const io = bioIo[i];
      if (--ios.pieces[io] > 0) continue;
      const thread = this.threads[ios.thread[io]];
      thread.inflight--;
      this.outstandingIos--;
      if (this.measuring) {
        m.ios++;
        m.intervalIos++;
        if (ios.write[io] === 1) {
          m.writeIos++;
          m.writeBytes += ios.bytes[io];
          m.writeLatency.record(t - ios.submitNs[io]);
        } else {
          m.readIos++;
          m.readBytes += ios.bytes[io];
          m.readLatency.record(t - ios.submitNs[io]);
        }
      }
      const source = thread.source;
      if (source !== null && source.completed !== undefined) {
        const done = this.completedIo;
        done.offsetBytes = ios.offset[io];
        done.lengthBytes = ios.bytes[io];
        done.write = ios.write[io] === 1;
        source.completed(done, t);
      }
      thread.unreaped++;
      if (thread.idle && (thread.unreaped >= this.reapMin || thread.inflight === 0)) {
        thread.idle = false;
        this.events.schedule(t, WAKE, thread.index);
      }
      ios.release(io);
    }
    if (t > this.lastCompletionNs) this.lastCompletionNs = t;
    this.block.release(request);
  }

  /**
   * The simulated ns of the domain's next due work: the rcache's delayed work (on the clock) or the
   * flush queue's timer (fq_flush_timeout, armed by queue_iova; dma-iommu.c), whichever is earlier.
   */
  private nextTimerNs(): number {
    const fq = this.flushQueue;
    const clockDue = this.clock.nextDueNs;
    if (fq === null || !fq.timerOn) return clockDue;
    const fqDue = fq.timerDueMs * 1e6;
    return fqDue < clockDue ? fqDue : clockDue;
  }

  /** Makes the domain's next due work an event, if it is not one already. */
  private armTimers(): void {
    const due = this.nextTimerNs();
    if (due < this.timerEventNs) {
      this.timerEventNs = due;
      this.events.schedule(due, TIMER, 0);
    }
  }

  /** Runs the domain work due now; its allocator work holds the tree lock, its flushes the command queue. */
  private runTimers(time: number): void {
    if (time === this.timerEventNs) this.timerEventNs = Number.POSITIVE_INFINITY;
    if (this.nextTimerNs() > time) {
      this.armTimers();
      return;
    }
    const domain = this.domain as IommuDmaDomain;
    const counting = this.counting as CountingAllocator;
    const flushes = domain.iotlbInvalidations;
    counting.mark();
    const fq = this.flushQueue;
    if (fq !== null && fq.timerOn && fq.timerDueMs * 1e6 <= time) {
      // As IommuDmaDomain.advanceTo(): delayed work due before the timer's instant runs first, then
      // the timer (softirq, on the CPU that armed it), then delayed work due at the same instant.
      const dueNs = fq.timerDueMs * 1e6;
      if (this.clock.nextDueNs < dueNs) this.clock.runDue(dueNs - 1);
      this.clock.moveTo(dueNs);
      fq.flushTimeout();
    }
    if (this.clock.nextDueNs <= time) this.clock.runDue(time);
    if (counting.callsSinceMark > 0) this.treeLock.acquire(time, counting.lockHoldSinceMark(this.costs));
    const newFlushes = domain.iotlbInvalidations - flushes;
    if (newFlushes > 0) {
      this.iommuQueue.acquire(time, newFlushes * this.costs.iotlbFlushAllNs);
      if (this.measuring) this.m.flushes += newFlushes;
    }
    this.armTimers();
  }

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
    // The next record is on the agenda before this one's task runs: a task must park at any event due
    // before its next step, and a record not yet scheduled would let its CPU run past it.
    this.scheduleNextRecord();
    const device = record.device ?? '';
    let diskIndex = this.traceDevices.get(device);
    if (diskIndex === undefined) {
      diskIndex = this.traceDevices.size % this.disks.length;
      this.traceDevices.set(device, diskIndex);
    }
    if (record.op === 'read' || record.op === 'write') {
      const cpu = (record.cpu ?? diskIndex) % this.scenario.cpus;
      const lbs = this.logicalBlockSize;
      const ios = this.block.ios;
      const io = ios.alloc();
      ios.thread[io] = cpu;
      ios.disk[io] = diskIndex;
      ios.write[io] = record.op === 'write' ? 1 : 0;
      const offset = Math.floor(Math.max(0, record.offsetBytes) / lbs) * lbs;
      ios.offset[io] = offset;
      ios.bytes[io] = Math.max(lbs, Math.ceil((record.offsetBytes + record.lengthBytes - offset) / lbs) * lbs);
      ios.pieces[io] = 0;
      this.outstandingIos++;
      this.addTask(this.cpus[cpu], ISSUE_RECORD, io, time);
    }
  }

  private sample(time: number): void {
    if (!this.measuring) {
      this.startMeasuring();
      return;
    }
    const intervalS = this.scenario.intervalMs / 1e3;
    const counting = this.counting;
    const m = this.m;
    let depot = 0;
    for (const sizeClass of this.domain?.rcache?.classes ?? []) depot += sizeClass.depot.length;
    const lockWait = this.treeLock.waitNs;
    this.series.push({
      timeMs: time / 1e6,
      iops: m.intervalIos / intervalS,
      liveIovas: counting === null ? 0 : counting.allocSuccesses - counting.freeSuccesses,
      depotMagazines: depot,
      lockWaitNsPerIo: m.intervalIos === 0 ? 0 : (lockWait - m.intervalLockWait) / m.intervalIos,
    });
    m.intervalIos = 0;
    m.intervalLockWait = lockWait;
  }

  private startMeasuring(): void {
    if (this.dma !== null) {
      const threadCpus = Int32Array.from(this.threads, (thread) => thread.cpu);
      ageDomain({
        dma: this.dma,
        device: this.device,
        maps: this.scenario.ageingMaps,
        sizes: this.warmupSizes,
        threadCpus,
        irqCpuOfCpu: this.irqCpuOfCpu,
        depth: this.hostInflight,
        granule: this.granule,
        seed: this.scenario.seed,
      });
      const model = this.scenario.ageing;
      if (model !== undefined) {
        const domain = this.domain as IommuDmaDomain;
        this.ageing = ageOverUptime({ dma: this.dma, domain, counting: this.counting as CountingAllocator, device: this.device, irqCpuOfCpu: this.irqCpuOfCpu, model, seed: this.scenario.seed });
      }
      this.armTimers();
    }
    this.measuring = true;
    for (const cpu of this.cpus) cpu.busyNs = 0;
    this.treeLock.resetCounters();
    this.iommuQueue.resetCounters();
    this.m = new Measurements(this.domain);
  }
}

/**
 * The physical address of a thread's `n`th I/O buffer: page-aligned, its pages scattered (2 pages
 * apart), in the low 1 GiB so addresses stay small integers (the JIT keeps them unboxed). Buffers of
 * different I/Os may share physical pages, which nothing in the model can see: only the offset within
 * a page and boundary crossings matter to the DMA layer, and every buffer starts on a page.
 */
function bufferAddress(thread: number, n: number): number {
  return ((thread * 61 + n) % 4) * 2 ** 27;
}
