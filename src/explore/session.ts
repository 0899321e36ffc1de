/**
 * One model stepping through a conformance trace, one operation at a time, for the explorer.
 *
 * The golden-trace replayer (../conformance/iova-trace.ts) runs a whole trace in one loop; the
 * explorer needs to stop after any operation, look at the real model objects (IovaDomain, Rcache
 * or an alternative allocator behind the same Rcache), watch one allocation's walk, and go back.
 * So a session executes one parsed operation at a time and prints for it exactly what the replayer
 * prints (the tests hold every golden trace's concatenated output to the kernel's bytes), keeps the
 * trace's own state (current CPU, the `@k` handles, the reservations) beside the model, and for the
 * Linux model can save and restore a checkpoint:
 *
 * - The tree: every range and which ranges the two cached nodes are. The tree's shape is not saved:
 *   only its in-order sequence is observable to the allocator (see ../allocators/rbtree.ts), so a
 *   tree rebuilt by inserting the ranges gives the same results and visit counts.
 * - max32_alloc_size and the visit counter.
 * - The rcache: every CPU's loaded and prev magazine, every depot magazine in order, the hit and
 *   miss counters, each class's trimmer (pending, due time, arming order) and the clock.
 * - The handles: results only ever append, so a checkpoint keeps their count.
 *
 * Alternative allocators have no checkpoint (their internals are theirs); going back replays them
 * from the start.
 *
 * Nothing here touches Node built-ins: the same module runs in the browser's worker.
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import { IovaDomain, type IovaWalkObserver } from '../allocators/iova-domain.js';
import type { KernelProfile } from '../allocators/kernel-version.js';
import { bigintPfn, numberPfn, type PfnArithmetic } from '../allocators/pfn.js';
import { NIL, type RbHandle } from '../allocators/rbtree.js';
import { createAllocator, type AllocatorName } from '../allocators/registry.js';
import { Op, type IovaTrace } from '../conformance/iova-trace.js';
import { Magazine, Rcache } from '../rcache/rcache.js';

/** What a handle resolves to when its alloc failed. */
const FAILED = -1;

/** Bits of an operation's outcome, kept per operation by the timeline. */
export const OUTCOME_FAIL = 1;
export const OUTCOME_HANG = 2;
/** alloc_iova_fast() flushed the rcaches (every CPU's magazines and the depots) and retried. */
export const OUTCOME_FLUSH = 4;
/** alloc_iova_fast() was served by a magazine. */
export const OUTCOME_RCACHE_HIT = 8;
/** An allocation limited to 32 bits (the cached32 node, max32_alloc_size). */
export const OUTCOME_32BIT = 16;
export const OUTCOME_ALLOC = 32;

/** Records the steps of the allocation walks of one operation (first and last steps kept). */
export class WalkRecorder<P extends number | bigint> implements IovaWalkObserver<P> {
  /** Steps of each pass (0: from the cached node; 1: the retry pass). */
  readonly stepsPerPass = [0, 0];
  /** Walks started (an alloc_iova_fast() that flushes and retries walks twice). */
  walks = 0;
  readonly head: { lo: P; hi: P; newPfn: P; pass: number; walk: number }[] = [];
  readonly tail: { lo: P; hi: P; newPfn: P; pass: number; walk: number }[] = [];
  private lastPass = -1;

  constructor(
    private readonly keepHead = 200,
    private readonly keepTail = 60,
  ) {}

  step(lo: P, hi: P, newPfn: P, pass: number): void {
    if (pass === 0 && this.lastPass !== 0) this.walks++;
    this.lastPass = pass;
    this.stepsPerPass[pass]++;
    const entry = { lo, hi, newPfn, pass, walk: this.walks };
    if (this.head.length < this.keepHead) this.head.push(entry);
    else {
      this.tail.push(entry);
      if (this.tail.length > this.keepTail) this.tail.shift();
    }
  }

  get total(): number {
    return this.stepsPerPass[0] + this.stepsPerPass[1];
  }
}

interface MagazineState<P> {
  size: number;
  pfns: P[];
}

/** A Linux session's saved state (see the top of this file). */
export interface Checkpoint<P> {
  readonly position: number;
  readonly ranges: P[];
  readonly cachedLo: P;
  readonly cached32Lo: P;
  readonly max32AllocSize: P;
  readonly visits: number;
  readonly handles: number;
  readonly currentCpu: number;
  readonly reservedCount: number;
  readonly rcache: {
    nowMs: number;
    online: boolean[];
    cachedFrees: number;
    depotOperations: number;
    classes: {
      cpus: { loaded: MagazineState<P>; prev: MagazineState<P> }[];
      depot: MagazineState<P>[];
      hits: number;
      misses: number;
      work: { pending: boolean; dueMs: number; armedOrder: number };
    }[];
  } | null;
}

export interface SessionModel {
  /** 'linux' or an alternative of ../allocators/registry.ts. */
  readonly allocator: AllocatorName;
  readonly profile: KernelProfile;
  /** rcache size classes (default: mainline's IOVA_RANGE_CACHE_MAX_SIZE). */
  readonly rcacheClasses?: number;
}

export class ExploreSession<P extends number | bigint = number> {
  /** Index of the next operation to execute (operations 0..position-1 have run). */
  position = 0;
  domain: IovaDomain<P> | null = null;
  allocator: IovaAllocator<P> | null = null;
  rcache: Rcache<P> | null = null;
  cpus = 1;
  currentCpu = 0;
  granule = 4096;
  /** The ranges `reserve` asked for, in order (the tree does not tell reserved from allocated). */
  readonly reserved: [P, P][] = [];
  /** Alternatives only: the ranges handed out, by pfnLo (Linux's tree is read directly). */
  readonly ledger = new Map<number, number>();
  private readonly results: (P | typeof FAILED)[] = [];
  private readonly widen: boolean;
  /** The running operation's arguments as P, read from the trace's typed arrays (one array for every op). */
  private readonly values: P[];

  constructor(
    readonly trace: IovaTrace,
    readonly arith: PfnArithmetic<P>,
    readonly model: SessionModel,
  ) {
    this.widen = arith.kind === 'bigint' && !trace.needsBigintPfns;
    this.values = [arith.zero, arith.zero, arith.zero];
    if (model.allocator !== 'linux' && arith.kind === 'bigint') {
      throw new Error(`${trace.file}: the ${model.allocator} allocator works on pfns below 2^53 only; this trace needs 64-bit pfns`);
    }
  }

  get canCheckpoint(): boolean {
    return this.model.allocator === 'linux';
  }

  get done(): boolean {
    return this.position >= this.trace.length;
  }

  /** Back to before operation 0. */
  reset(): void {
    this.position = 0;
    this.domain = null;
    this.allocator = null;
    this.rcache = null;
    this.cpus = 1;
    this.currentCpu = 0;
    this.granule = 4096;
    this.reserved.length = 0;
    this.ledger.clear();
    this.results.length = 0;
  }

  /** Total rcache hits and misses over every size class. */
  rcacheCounts(): { hits: number; misses: number } {
    let hits = 0;
    let misses = 0;
    if (this.rcache !== null) {
      for (const sizeClass of this.rcache.classes) {
        hits += sizeClass.hits;
        misses += sizeClass.misses;
      }
    }
    return { hits, misses };
  }

  /** Pfns held by every magazine (per-CPU loaded and prev, and the depots). */
  cachedCount(): number {
    let count = 0;
    if (this.rcache === null) return 0;
    for (const sizeClass of this.rcache.classes) {
      for (const cpu of sizeClass.cpus) count += cpu.loaded.size + cpu.prev.size;
      for (const magazine of sizeClass.depot) count += magazine.size;
    }
    return count;
  }

  /** Ranges in the tree (Linux) or handed out and reserved (alternatives). */
  get nodeCount(): number {
    if (this.domain !== null) return this.domain.nodeCount;
    return this.ledger.size;
  }

  get visits(): number {
    return this.allocator === null ? 0 : this.allocator.searchSteps;
  }

  /**
   * Runs the next operation; returns what the kernel printed for it (lines joined by '\n', '' for
   * operations that print nothing) and its outcome bits. `observer` watches its allocation walks.
   */
  step(observer: IovaWalkObserver<P> | null = null): { output: string; outcome: number } {
    const index = this.position++;
    const domain = this.domain;
    if (domain !== null) domain.walkObserver = observer;
    try {
      return this.execute(index);
    } finally {
      if (domain !== null) domain.walkObserver = null;
    }
  }

  private execute(index: number): { output: string; outcome: number } {
    const arith = this.arith;
    const format = arith.format;
    const trace = this.trace;
    const handle = trace.handles[index];
    const v = this.values;
    for (let k = 0; k < 3; k++) {
      const value = trace.value(index, k);
      v[k] = (this.widen ? BigInt(value) : value) as P;
    }
    const pfnArgument = (): P | typeof FAILED => (handle >= 0 ? this.results[handle] : v[0]);
    switch (trace.opCodes[index] as Op) {
      case Op.Cpus:
        this.cpus = Number(v[0]);
        return { output: '', outcome: 0 };
      case Op.Domain: {
        this.granule = Number(v[0]);
        if (this.model.allocator === 'linux') {
          this.domain = new IovaDomain<P>(arith, this.model.profile, this.granule, v[1]);
          this.allocator = this.domain;
        } else {
          this.allocator = createAllocator(this.model.allocator, { granule: this.granule, startPfn: Number(v[1]) }) as unknown as IovaAllocator<P>;
        }
        return { output: '', outcome: 0 };
      }
      case Op.Rcache:
        this.rcache = new Rcache<P>(this.allocator as IovaAllocator<P>, arith, this.model.profile, this.cpus, undefined, this.model.rcacheClasses);
        this.rcache.currentCpu = this.currentCpu;
        return { output: '', outcome: 0 };
      case Op.Cpu:
        this.currentCpu = Number(v[0]);
        if (this.rcache !== null) this.rcache.currentCpu = this.currentCpu;
        return { output: '', outcome: 0 };
      case Op.Alloc: {
        const allocator = this.allocator as IovaAllocator<P>;
        const is32 = v[1] < allocator.dma32BitPfn ? OUTCOME_32BIT : 0;
        let lo: P | null;
        let hi: P = arith.zero;
        let hung = false;
        if (this.domain !== null) {
          const node = this.domain.allocIovaNode(v[0], v[1], Number(v[2]) === 1);
          lo = node === NIL ? null : this.domain.tree.pfnLo(node);
          if (node !== NIL) hi = this.domain.tree.pfnHi(node);
          hung = this.domain.lastAllocHung;
        } else {
          lo = allocator.allocIova(v[0], v[1], Number(v[2]) === 1);
          if (lo !== null) hi = this.noteAlternative(lo);
        }
        if (lo === null) {
          this.results.push(FAILED);
          return { output: hung ? 'hang' : 'fail', outcome: OUTCOME_ALLOC | is32 | (hung ? OUTCOME_HANG : OUTCOME_FAIL) };
        }
        this.results.push(lo);
        return { output: `${format(lo)} ${format(hi)}`, outcome: OUTCOME_ALLOC | is32 };
      }
      case Op.AllocFast: {
        const rcache = this.rcache as Rcache<P>;
        const allocator = this.allocator as IovaAllocator<P>;
        const is32 = v[1] < allocator.dma32BitPfn ? OUTCOME_32BIT : 0;
        const hitsBefore = this.rcacheCounts().hits;
        const linux = this.domain !== null;
        // A flush hands every cached range back to the tree: Linux's tree shrinks (an allocation
        // adds at most one range); for alternatives, the magazines empty (a hit takes one pfn).
        const nodesBefore = linux ? this.nodeCount : 0;
        const cachedBefore = linux ? 0 : this.cachedCount();
        const pfn = rcache.allocIovaFast(v[0], v[1], Number(v[2]) === 1);
        let outcome = OUTCOME_ALLOC | is32;
        const hit = this.rcacheCounts().hits > hitsBefore;
        if (hit) outcome |= OUTCOME_RCACHE_HIT;
        if (linux ? this.nodeCount < nodesBefore : this.cachedCount() < cachedBefore - (hit ? 1 : 0)) {
          outcome |= OUTCOME_FLUSH;
          this.syncLedger();
        }
        if (rcache.lastAllocHung) {
          this.results.push(FAILED);
          return { output: 'hang', outcome: outcome | OUTCOME_HANG };
        }
        if (pfn !== arith.zero && this.domain === null && !hit) this.noteAlternative(pfn);
        this.results.push(pfn === arith.zero ? FAILED : pfn);
        return { output: format(pfn), outcome: pfn === arith.zero ? outcome | OUTCOME_FAIL : outcome };
      }
      case Op.Free: {
        const pfn = pfnArgument();
        if (pfn === FAILED) return { output: 'skip', outcome: 0 };
        if (this.domain !== null) {
          const node = this.domain.findIovaNode(pfn);
          if (node === NIL) return { output: 'missing', outcome: 0 };
          if (node === this.domain.anchor) return { output: 'anchor', outcome: 0 };
          this.domain.removeIova(node);
          return { output: 'ok', outcome: 0 };
        }
        const range = (this.allocator as IovaAllocator<P>).findIova(pfn);
        if (range === null) return { output: 'missing', outcome: 0 };
        (this.allocator as IovaAllocator<P>).freeIova(pfn);
        this.ledger.delete(Number(range.pfnLo));
        return { output: 'ok', outcome: 0 };
      }
      case Op.Find: {
        const pfn = pfnArgument();
        if (pfn === FAILED) return { output: 'skip', outcome: 0 };
        const range = (this.allocator as IovaAllocator<P>).findIova(pfn);
        return { output: range === null ? 'none' : `${format(range.pfnLo)} ${format(range.pfnHi)}`, outcome: 0 };
      }
      case Op.Reserve: {
        const ok = (this.allocator as IovaAllocator<P>).reserveIova(v[0], v[1]);
        if (ok) {
          this.reserved.push([v[0], v[1]]);
          if (this.domain === null) this.ledger.set(Number(v[0]), Number(v[1]));
        }
        return { output: ok ? 'ok' : 'fail', outcome: 0 };
      }
      case Op.FreeFast: {
        const pfn = pfnArgument();
        if (pfn === FAILED) return { output: 'skip', outcome: 0 };
        const rcache = this.rcache as Rcache<P>;
        const before = rcache.cachedFrees;
        const cachedBefore = this.domain === null ? this.cachedCount() : 0;
        rcache.freeIovaFast(pfn, v[1]);
        // The ledger follows the tree: a range cached in a magazine is still allocated there.
        if (this.domain === null) {
          if (rcache.cachedFrees === before) this.ledger.delete(Number(pfn));
          else if (this.cachedCount() !== cachedBefore + 1) this.syncLedger();
        }
        return { output: 'ok', outcome: 0 };
      }
      case Op.Tick:
        this.rcache?.tick(Number(v[0]));
        this.syncLedger();
        return { output: '', outcome: 0 };
      case Op.Stats:
        return { output: `nodes ${this.nodeCount}\nvisits ${this.visits}`, outcome: 0 };
      case Op.Dump: {
        const lines: string[] = [];
        for (const [lo, hi] of this.rangePairs()) lines.push(`${format(lo)} ${format(hi)}`);
        lines.push('end');
        return { output: lines.join('\n'), outcome: 0 };
      }
      case Op.Rcdump:
        return { output: this.rcdumpText(), outcome: 0 };
      case Op.CpuDead:
        // As the replayer: the hotplug teardown only; the CPU stays online for the trace.
        (this.rcache as Rcache<P>).freeCpuCachedIovas(Number(v[0]));
        this.syncLedger();
        return { output: '', outcome: 0 };
    }
    return { output: '', outcome: 0 };
  }

  /** Alternatives: records a range just handed out (the granted block may exceed the request). */
  private noteAlternative(lo: P): P {
    const range = (this.allocator as IovaAllocator<P>).findIova(lo);
    const hi = range === null ? lo : range.pfnHi;
    this.ledger.set(Number(lo), Number(hi));
    return hi;
  }

  /** Alternatives: drops ledger ranges that the rcache handed back to the allocator. */
  private syncLedger(): void {
    if (this.domain !== null || this.allocator === null) return;
    for (const lo of this.ledger.keys()) if (this.allocator.findIova(lo as P) === null) this.ledger.delete(lo);
  }

  /** In-order ranges: the Linux tree (anchor left out), or the alternative's ledger. */
  *rangePairs(): Generator<[P, P]> {
    if (this.domain !== null) {
      for (const range of this.domain.ranges()) yield [range.pfnLo, range.pfnHi];
      return;
    }
    const los = [...this.ledger.keys()].sort((a, b) => a - b);
    for (const lo of los) yield [lo as P, this.ledger.get(lo) as P];
  }

  /** The `rcdump` text, as ../conformance/iova-trace.ts prints it. */
  private rcdumpText(): string {
    const rcache = this.rcache as Rcache<P>;
    const format = this.arith.format;
    const out: string[] = [];
    const magazineText = (size: number, pfns: readonly P[]): string => {
      let text = String(size);
      for (let i = 0; i < size; i++) text += ' ' + format(pfns[i]);
      return text;
    };
    for (let order = 0; order < rcache.classes.length; order++) {
      const sizeClass = rcache.classes[order];
      out.push(`rc ${order} depot ${sizeClass.depot.length}`);
      sizeClass.cpus.forEach((cpuRcache, cpu) => {
        out.push(`rc ${order} cpu ${cpu} loaded ${magazineText(cpuRcache.loaded.size, cpuRcache.loaded.pfns)}`);
        out.push(`rc ${order} cpu ${cpu} prev ${magazineText(cpuRcache.prev.size, cpuRcache.prev.pfns)}`);
      });
      const depot = sizeClass.depot;
      for (let k = 0; k < depot.length; k++) {
        const magazine = depot[depot.length - 1 - k];
        out.push(`rc ${order} mag ${k} ${magazineText(magazine.size, magazine.pfns)}`);
      }
      if (this.model.profile.depot === 'list') {
        const work = sizeClass.trimWork;
        out.push(`rc ${order} work ${work.isPending ? 1 : 0} ${work.isPending ? work.dueMs : 0}`);
      }
    }
    out.push('end');
    return out.join('\n');
  }

  /** Saves the Linux model's state (see the top of this file); null for alternatives. */
  checkpoint(): Checkpoint<P> | null {
    if (!this.canCheckpoint) return null;
    const domain = this.domain;
    const ranges: P[] = [];
    if (domain !== null) for (const range of domain.ranges()) ranges.push(range.pfnLo, range.pfnHi);
    const copy = (magazine: Magazine<P>): MagazineState<P> => ({ size: magazine.size, pfns: magazine.pfns.slice(0, magazine.size) });
    const rcache = this.rcache;
    return {
      position: this.position,
      ranges,
      cachedLo: domain === null ? this.arith.zero : domain.tree.pfnLo(domain.cachedNode),
      cached32Lo: domain === null ? this.arith.zero : domain.tree.pfnLo(domain.cached32Node),
      max32AllocSize: domain === null ? this.arith.zero : domain.max32AllocSize,
      visits: domain === null ? 0 : domain.visits,
      handles: this.results.length,
      currentCpu: this.currentCpu,
      reservedCount: this.reserved.length,
      rcache:
        rcache === null
          ? null
          : {
              nowMs: rcache.clock.nowMs,
              online: rcache.online.slice(),
              cachedFrees: rcache.cachedFrees,
              depotOperations: rcache.depotOperations,
              classes: rcache.classes.map((sizeClass) => ({
                cpus: sizeClass.cpus.map((cpu) => ({ loaded: copy(cpu.loaded), prev: copy(cpu.prev) })),
                depot: sizeClass.depot.map(copy),
                hits: sizeClass.hits,
                misses: sizeClass.misses,
                work: { pending: sizeClass.trimWork.isPending, dueMs: sizeClass.trimWork.dueMs, armedOrder: sizeClass.trimWork.armedOrder },
              })),
            },
    };
  }

  /**
   * Restores a checkpoint of this session (Linux): fresh IovaDomain and Rcache objects filled with
   * the saved state. The operations before the checkpoint's position set up cpus, the domain and
   * the rcache; they are cheap, so they are re-run from the trace to rebuild the objects.
   */
  restore(saved: Checkpoint<P>): void {
    if (saved.handles > 0 && (this.savedHandles === null || this.savedHandles.length < saved.handles)) {
      throw new Error('restore needs rememberHistory() after a forward run');
    }
    this.reset();
    // Re-run only the set-up operations before the checkpoint (cpus, domain, rcache, cpu).
    const opCodes = this.trace.opCodes;
    for (let i = 0; i < saved.position; i++) {
      const op = opCodes[i] as Op;
      if (op === Op.Cpus || op === Op.Domain || op === Op.Rcache) {
        this.position = i;
        this.step();
      }
    }
    this.position = saved.position;
    this.currentCpu = saved.currentCpu;
    // Handles and reservations: the same trace made them, so the prefix is what a replay would give.
    this.rebuildHandlesAndReservations(saved);
    const domain = this.domain;
    if (domain !== null) {
      const ranges = saved.ranges;
      const byLo = new Map<P, RbHandle>();
      for (let i = 0; i < ranges.length; i += 2) {
        const node = domain.tree.newNode(ranges[i], ranges[i + 1]);
        domain.tree.insert(node);
        byLo.set(ranges[i], node);
      }
      domain.cachedNode = byLo.get(saved.cachedLo) ?? domain.anchor;
      domain.cached32Node = byLo.get(saved.cached32Lo) ?? domain.anchor;
      domain.max32AllocSize = saved.max32AllocSize;
      domain.visits = saved.visits;
    }
    const rcache = this.rcache;
    if (rcache !== null && saved.rcache !== null) {
      rcache.currentCpu = saved.currentCpu;
      const state = saved.rcache;
      rcache.clock.nowMs = state.nowMs;
      state.online.forEach((up, cpu) => (rcache.online[cpu] = up));
      rcache.cachedFrees = state.cachedFrees;
      rcache.depotOperations = state.depotOperations;
      const fill = (magazine: Magazine<P>, from: MagazineState<P>): Magazine<P> => {
        for (let i = 0; i < from.size; i++) magazine.pfns[i] = from.pfns[i];
        magazine.size = from.size;
        return magazine;
      };
      const pending: { order: number; dueMs: number; armedOrder: number }[] = [];
      state.classes.forEach((savedClass, order) => {
        const sizeClass = rcache.classes[order];
        savedClass.cpus.forEach((cpu, index) => {
          fill(sizeClass.cpus[index].loaded, cpu.loaded);
          fill(sizeClass.cpus[index].prev, cpu.prev);
        });
        for (const magazine of savedClass.depot) sizeClass.depot.push(fill(new Magazine<P>(this.model.profile.magazineSize, this.arith.zero), magazine));
        sizeClass.hits = savedClass.hits;
        sizeClass.misses = savedClass.misses;
        if (savedClass.work.pending) pending.push({ order, dueMs: savedClass.work.dueMs, armedOrder: savedClass.work.armedOrder });
      });
      // Re-arm the trimmers in their arming order, so ties at one due time run in the same order.
      pending.sort((a, b) => a.armedOrder - b.armedOrder);
      for (const work of pending) rcache.classes[work.order].trimWork.schedule(rcache.clock, work.dueMs - state.nowMs);
    }
  }

  /** The results of the first `handles` allocations and the first reservations, from the trace's prefix. */
  private rebuildHandlesAndReservations(saved: Checkpoint<P>): void {
    if (this.savedHandles !== null) {
      for (let i = 0; i < saved.handles; i++) this.results.push(this.savedHandles[i]);
    }
    if (this.savedReserved !== null) for (let i = 0; i < saved.reservedCount; i++) this.reserved.push(this.savedReserved[i]);
  }

  private savedHandles: (P | typeof FAILED)[] | null = null;
  private savedReserved: [P, P][] | null = null;

  /**
   * Called once after a full forward run: keeps every handle's result and every reservation, which
   * later restores take their prefixes from (they never change once made).
   */
  rememberHistory(): void {
    this.savedHandles = this.results.slice();
    this.savedReserved = this.reserved.slice();
  }
}

/** A session for a parsed trace: number pfns unless the trace needs 64 bits. */
export function openSession(trace: IovaTrace, model: SessionModel): ExploreSession<number> | ExploreSession<bigint> {
  return trace.needsBigintPfns ? new ExploreSession<bigint>(trace, bigintPfn, model) : new ExploreSession<number>(trace, numberPfn, model);
}
