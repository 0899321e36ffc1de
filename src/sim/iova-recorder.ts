/**
 * Recording the IOVA operations a simulation performs, as a conformance trace
 * (../shared/conformance/README.md) that replays them exactly: what `iovasim explore SCENARIO`
 * shows, and what a test replays through a fresh allocator to prove the recording exact.
 *
 * What is recorded. The simulator's DMA layer reaches the allocator only through the rcache:
 * alloc_iova_fast() on a map, free_iova_fast() on a strict unmap or a flush-queue flush, each on a
 * CPU; the rcache itself hands ranges to and from the allocator (misses, full magazines, the
 * flush-and-retry of a failing alloc_iova_fast(), the depot trimmer). So the recording is the
 * domain's set-up (`cpus`, `domain`, `rcache`, the reserved regions' `reserve`), then every
 * alloc_iova_fast() and free_iova_fast() as `alloc_fast SIZE LIMIT F` and `free_fast PFN SIZE`
 * with a `cpu N` line whenever the calling CPU changes, and `tick` lines that run the depot
 * trimmer (6.7+) between the same two operations as in the simulation. Allocator calls made outside
 * the rcache (none in today's DMA layer) are recorded as `alloc`, `free` and `reserve`, so nothing
 * the allocator sees is lost. The result of each allocation is kept beside the text (allocResults).
 *
 * Time. The simulation's clock is in fractional milliseconds, a trace's `tick` in whole ones, so the
 * trace has a clock of its own that only orders the trimmer's runs. Each size class has one trimmer,
 * armed 100 ms ahead (IOVA_DEPOT_DELAY_MS) and never re-armed while pending, so in both clocks the
 * pending trimmers fall due in the order they were armed. The recorder mirrors that queue in trace
 * time: when the simulation runs the first pending trimmer, the trace ticks to exactly its trace
 * deadline. An operation that arms a trimmer at the trace time of an earlier arm gets a `tick 1`
 * inserted before it, so deadlines of arms made at different simulated instants never coincide
 * (arms at one instant — within one operation, or by trimmer runs with nothing between — may share
 * one: the simulation runs them together too). Whole milliseconds cannot always keep that order:
 * a spacing tick that would reach the first pending deadline, or a trimmer whose deadline the
 * trace already passed, stops the recording there (`untimeable` says why); what was recorded up to
 * there replays exactly.
 *
 * Cost. Nothing here runs unless a recorder is given to simulate(): attach() replaces the rcache's
 * and the allocator's methods on those two objects only (and each trimmer's callback), and detach()
 * (also when the cap on recorded operations is reached) puts the class methods back.
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import { IOVA_DEPOT_DELAY_MS, type Rcache } from '../rcache/rcache.js';

/** Default cap on recorded operations. */
export const DEFAULT_RECORDED_OPERATIONS = 1_000_000;

/** allocResults entry of an allocation that failed, and of one that would hang in the kernel. */
export const RECORDED_FAIL = 0;
export const RECORDED_HANG = -1;

export interface IovaRecorderOptions {
  /** Stop recording once this many trace operations are recorded (default 1,000,000). */
  readonly maxOperations?: number;
}

/** The recorded domain's settings: what a replay needs besides the trace. */
export interface RecordedDomain {
  readonly kernel: string;
  /** 'linux' or an alternative allocator (behind the same rcache). */
  readonly allocator: string;
  readonly retryPass: boolean;
  readonly cpus: number;
  readonly granule: number;
  readonly startPfn: number;
  /** rcache size classes (6 in mainline; more models max_opt_dma_size). */
  readonly rcacheClasses: number;
}

type AllocatorMethods = Pick<IovaAllocator<number>, 'allocIova' | 'freeIova' | 'reserveIova'>;
type RcacheMethods = Pick<Rcache<number>, 'allocIovaFast' | 'freeIovaFast'>;

export class IovaRecorder {
  readonly maxOperations: number;
  /** Trace operations recorded (lines other than comments). */
  operations = 0;
  /** True once maxOperations was reached and recording stopped. */
  capped = false;
  /**
   * Why recording stopped before the simulation ended when it was not the cap: the depot trimmer
   * ran at a point that no whole-millisecond `tick` of the trace can reproduce (see the top of
   * this file); null otherwise. What was recorded up to there replays exactly.
   */
  untimeable: string | null = null;
  /** Each recorded alloc/alloc_fast's result: its pfn, RECORDED_FAIL or RECORDED_HANG. */
  readonly allocResults: number[] = [];
  /** Trimmer runs recorded (`tick` lines that run one). */
  trims = 0;
  domain: RecordedDomain | null = null;

  private readonly lines: string[] = [];
  private rcache: Rcache<number> | null = null;
  private allocator: IovaAllocator<number> | null = null;
  private readonly restoreTrimmers: (() => void)[] = [];
  private lastCpu = -1;
  /** Inside an rcache call or a trimmer run: allocator calls there are the rcache's own. */
  private depth = 0;
  // The trimmers in trace time (see the top of this file).
  private traceNowMs = 0;
  private readonly pendingOrders: number[] = [];
  private readonly pendingDueMs: number[] = [];
  private pendingMirror = new Uint8Array(0);
  /** Trace time of the latest arm (-1: none yet). */
  private lastArmTraceMs = -1;
  /** Where the lines of the operation being recorded begin (-1: not inside one). */
  private opStartLine = -1;
  /** Operations recorded since the trace last ticked to a trimmer's deadline. */
  private opsSinceTrimmerTick = 0;
  /** `operations` when the latest arm was noted (arms within one operation share its instant). */
  private lastArmOperation = -1;
  private watchTrimmers = false;

  constructor(options: IovaRecorderOptions = {}) {
    this.maxOperations = options.maxOperations ?? DEFAULT_RECORDED_OPERATIONS;
    if (!Number.isInteger(this.maxOperations) || this.maxOperations < 1) throw new RangeError(`maxOperations ${this.maxOperations} must be a positive whole number`);
  }

  /** The recording: a conformance trace. */
  get traceText(): string {
    return this.lines.join('\n') + '\n';
  }

  /**
   * Starts recording `domain` (translated, just set up); the simulator calls this once.
   * `retryPass` is the scenario's switch for the Linux allocator (the kernel's own when undefined).
   */
  attach(domain: IommuDmaDomain, retryPass?: boolean): void {
    if (this.rcache !== null) throw new Error('an IovaRecorder records one simulation');
    const rcache = domain.rcache;
    const allocator = domain.allocator;
    if (rcache === null || allocator === null) return;
    this.rcache = rcache;
    this.allocator = allocator;
    this.domain = {
      kernel: domain.profile.version,
      allocator: allocator.name,
      retryPass: retryPass ?? domain.profile.retryPass,
      cpus: domain.cpus,
      granule: domain.granule,
      startPfn: domain.startPfn,
      rcacheClasses: rcache.cacheClasses,
    };
    const lines = this.lines;
    lines.push(`# recorded by iovasim's simulator: kernel ${this.domain.kernel}, allocator ${allocator.name}, ${rcache.cacheClasses} rcache classes`);
    lines.push(`cpus ${domain.cpus}`, `domain ${domain.granule} ${domain.startPfn}`, 'rcache');
    this.operations += 3;
    for (const reserved of domain.reserved) {
      lines.push(`reserve ${reserved.pfnLo} ${reserved.pfnHi}${reserved.region.name === undefined ? '' : `  # ${reserved.region.name}`}`);
      this.operations++;
    }
    this.pendingMirror = new Uint8Array(rcache.classes.length);
    this.watchTrimmers = domain.profile.depot === 'list';
    this.wrapRcache(rcache);
    this.wrapAllocator(allocator);
    if (this.watchTrimmers) this.wrapTrimmers(rcache);
    this.noteArms();
    if (this.operations >= this.maxOperations) this.stop();
  }

  /** Stops recording and gives the rcache and allocator their own methods back. */
  detach(): void {
    if (this.rcache !== null) {
      const methods = this.rcache as Partial<RcacheMethods>;
      delete methods.allocIovaFast;
      delete methods.freeIovaFast;
    }
    if (this.allocator !== null) {
      const methods = this.allocator as Partial<AllocatorMethods>;
      delete methods.allocIova;
      delete methods.freeIova;
      delete methods.reserveIova;
    }
    for (const restore of this.restoreTrimmers) restore();
    this.restoreTrimmers.length = 0;
  }

  private stop(): void {
    this.capped = true;
    this.lines.push(`# recording stopped at ${this.operations} operations (the cap)`);
    this.detach();
  }

  /** Stops recording where the trace's clock can no longer order the trimmer's runs. */
  private stopUntimeable(reason: string): void {
    this.untimeable = reason;
    this.lines.push(`# recording stopped at ${this.operations} operations: ${reason}`);
    this.detach();
  }

  private wrapRcache(rcache: Rcache<number>): void {
    const allocIovaFast = rcache.allocIovaFast;
    const freeIovaFast = rcache.freeIovaFast;
    rcache.allocIovaFast = (size, limitPfn, flushRcache) => {
      if (!this.beforeOperation(rcache.currentCpu)) return allocIovaFast.call(rcache, size, limitPfn, flushRcache);
      this.lines.push(`alloc_fast ${size} ${limitPfn} ${flushRcache ? 1 : 0}`);
      this.depth++;
      let pfn: number;
      try {
        pfn = allocIovaFast.call(rcache, size, limitPfn, flushRcache);
      } finally {
        this.depth--;
      }
      this.allocResults.push(rcache.lastAllocHung ? RECORDED_HANG : pfn);
      this.afterOperation();
      return pfn;
    };
    rcache.freeIovaFast = (pfn, size) => {
      if (!this.beforeOperation(rcache.currentCpu)) return freeIovaFast.call(rcache, pfn, size);
      this.lines.push(`free_fast ${pfn} ${size}`);
      this.depth++;
      try {
        freeIovaFast.call(rcache, pfn, size);
      } finally {
        this.depth--;
      }
      this.afterOperation();
    };
  }

  /** Allocator calls that do not come from the rcache (none today) are recorded as tree operations. */
  private wrapAllocator(allocator: IovaAllocator<number>): void {
    const allocIova = allocator.allocIova;
    const freeIova = allocator.freeIova;
    const reserveIova = allocator.reserveIova;
    const lastAllocHung = (): boolean => (allocator as { lastAllocHung?: boolean }).lastAllocHung ?? false;
    allocator.allocIova = (size, limitPfn, sizeAligned) => {
      if (this.depth > 0 || !this.beforeOperation(this.lastCpu < 0 ? 0 : this.lastCpu)) return allocIova.call(allocator, size, limitPfn, sizeAligned);
      this.lines.push(`alloc ${size} ${limitPfn} ${sizeAligned ? 1 : 0}`);
      const pfn = allocIova.call(allocator, size, limitPfn, sizeAligned);
      this.allocResults.push(pfn === null ? (lastAllocHung() ? RECORDED_HANG : RECORDED_FAIL) : pfn);
      this.afterOperation();
      return pfn;
    };
    allocator.freeIova = (pfn) => {
      if (this.depth > 0 || !this.beforeOperation(this.lastCpu < 0 ? 0 : this.lastCpu)) return freeIova.call(allocator, pfn);
      this.lines.push(`free ${pfn}`);
      const freed = freeIova.call(allocator, pfn);
      this.afterOperation();
      return freed;
    };
    allocator.reserveIova = (pfnLo, pfnHi) => {
      if (this.depth > 0 || !this.beforeOperation(this.lastCpu < 0 ? 0 : this.lastCpu)) return reserveIova.call(allocator, pfnLo, pfnHi);
      this.lines.push(`reserve ${pfnLo} ${pfnHi}`);
      const reserved = reserveIova.call(allocator, pfnLo, pfnHi);
      this.afterOperation();
      return reserved;
    };
  }

  /** Each size class's trimmer tells the recorder when the simulation runs it. */
  private wrapTrimmers(rcache: Rcache<number>): void {
    for (const sizeClass of rcache.classes) {
      const work = sizeClass.trimWork as { run: () => void; readonly isPending: boolean };
      const run = work.run;
      const order = sizeClass.order;
      work.run = () => {
        this.trimmerRuns(order, rcache.clock.nowMs);
        this.depth++;
        try {
          run();
        } finally {
          this.depth--;
        }
        // A trimmer that re-arms itself does so at its deadline, in both clocks.
        this.noteArms();
        if (!this.capped && this.untimeable === null && this.operations >= this.maxOperations) this.stop();
      };
      this.restoreTrimmers.push(() => (work.run = run));
    }
  }

  /**
   * The lines an operation needs before its own (a spacing tick, a CPU change); false, and the
   * recording stops, when the operation would not fit under the cap.
   */
  private beforeOperation(cpu: number): boolean {
    if (this.capped || this.untimeable !== null) return false;
    // One more for a spacing tick the operation may need (noteArms).
    if (this.operations + 2 + (cpu !== this.lastCpu ? 1 : 0) > this.maxOperations) {
      this.stop();
      return false;
    }
    this.opStartLine = this.lines.length;
    if (cpu !== this.lastCpu) {
      this.lines.push(`cpu ${cpu}`);
      this.lastCpu = cpu;
      this.operations++;
    }
    return true;
  }

  private afterOperation(): void {
    this.operations++;
    this.opsSinceTrimmerTick++;
    if (this.watchTrimmers) this.noteArms();
    this.opStartLine = -1;
    if (this.operations >= this.maxOperations && this.untimeable === null) this.stop();
  }

  /**
   * Trimmers armed since the last look join the trace-time queue, 100 ms after the trace's now. An
   * arm by an operation at the trace time of an earlier arm gets a `tick 1` inserted before that
   * operation, so the two deadlines differ (arms within one operation, or by trimmer runs with no
   * operation between, happen at one simulated instant and may share a deadline). The tick must not
   * reach the first pending deadline: then the recording stops (untimeable).
   */
  private noteArms(): void {
    if (!this.watchTrimmers || this.untimeable !== null) return;
    const classes = (this.rcache as Rcache<number>).classes;
    const mirror = this.pendingMirror;
    for (let order = 0; order < classes.length; order++) {
      if (!classes[order].trimWork.isPending || mirror[order] !== 0) continue;
      if (this.opStartLine >= 0 && this.lastArmTraceMs === this.traceNowMs && this.lastArmOperation !== this.operations) {
        if (this.pendingDueMs.length > 0 && this.traceNowMs + 1 >= this.pendingDueMs[0]) {
          this.stopUntimeable(`a spacing tick would run the depot trimmer of size class ${this.pendingOrders[0]} before the simulation does`);
          return;
        }
        this.lines.splice(this.opStartLine, 0, 'tick 1  # trace time only: keeps two trimmer deadlines apart');
        this.opStartLine++;
        this.traceNowMs += 1;
        this.operations++;
      }
      mirror[order] = 1;
      this.pendingOrders.push(order);
      this.pendingDueMs.push(this.traceNowMs + IOVA_DEPOT_DELAY_MS);
      this.lastArmTraceMs = this.traceNowMs;
      this.lastArmOperation = this.operations;
    }
  }

  /** The simulation runs size class `order`'s trimmer at `simulatedMs`: the trace ticks to its deadline. */
  private trimmerRuns(order: number, simulatedMs: number): void {
    if (this.capped || this.untimeable !== null) return;
    if (this.operations + 1 > this.maxOperations) {
      this.stop();
      return;
    }
    const first = this.pendingOrders.shift();
    const dueMs = this.pendingDueMs.shift();
    // A deadline the trace already reached ran in the replay at that tick: right only if nothing
    // was recorded since (the simulation ran both trimmers at one instant).
    if (first !== order || dueMs === undefined || dueMs < this.traceNowMs || (dueMs === this.traceNowMs && this.opsSinceTrimmerTick > 0)) {
      this.stopUntimeable(`the simulation ran the depot trimmer of size class ${order} where trace time cannot put it`);
      return;
    }
    this.pendingMirror[order] = 0;
    if (dueMs > this.traceNowMs) {
      this.lines.push(`tick ${dueMs - this.traceNowMs}  # depot trimmer of size class ${order} (simulated time ${simulatedMs.toFixed(3)} ms)`);
      this.traceNowMs = dueMs;
      this.operations++;
    }
    this.opsSinceTrimmerTick = 0;
    this.trims++;
  }
}
