/**
 * What the CPUs of a simulated host share: the IOVA domain's tree lock, the IOMMU's command queue,
 * and the timers of the domain (flush-queue timeout, depot trimmer) that take them without a CPU.
 *
 * Both resources are granted first come, first served by the simulated instant a holder reaches
 * them. The tree lock (iova_rbtree_lock) is a spinlock; Linux's queued spinlock hands it over in
 * arrival order (kernel/locking/qspinlock.c: waiters queue in MCS order), and a waiting CPU spins,
 * so its wait is CPU time. The command queue serialises invalidations: a strict unmap's
 * iommu_iotlb_sync() waits for its CMD_SYNC (drivers/iommu/arm/arm-smmu-v3: the queue is consumed in
 * order), so the CPU spins until its commands are done.
 *
 * The engine asks for a resource only from an event at the asking CPU's own simulated time, and its
 * agenda pops events in time order, so requests arrive here in time order: granting one is
 * max(arrival, free) and never lets a request made "in the future" delay an earlier one. acquire()
 * checks that order and throws if the engine ever broke it.
 */
import { SimulatedClock, type DelayedWork } from '../rcache/delayed-work.js';

export class SharedResource {
  /** When the last holder lets go. */
  freeAt = 0;
  private lastArrival = 0;
  // Counters since the last resetCounters().
  acquisitions = 0;
  contended = 0;
  waitNs = 0;
  holdNs = 0;

  constructor(readonly name: string) {}

  /** A holder arriving at `arrivalNs` for `holdNs`; returns the instant it is granted the resource. */
  acquire(arrivalNs: number, holdNs: number): number {
    if (arrivalNs < this.lastArrival) {
      throw new Error(`${this.name}: request at ${arrivalNs} ns after one at ${this.lastArrival} ns (the engine must ask in time order)`);
    }
    this.lastArrival = arrivalNs;
    const granted = arrivalNs > this.freeAt ? arrivalNs : this.freeAt;
    this.freeAt = granted + holdNs;
    this.acquisitions++;
    if (granted > arrivalNs) {
      this.contended++;
      this.waitNs += granted - arrivalNs;
    }
    this.holdNs += holdNs;
    return granted;
  }

  resetCounters(): void {
    this.acquisitions = 0;
    this.contended = 0;
    this.waitNs = 0;
    this.holdNs = 0;
  }
}

/**
 * The domain's clock (schedule_delayed_work() at HZ = 1000), knowing when its next work falls due so
 * the engine can make that instant an event of its own: between timers, moving the clock is one store.
 */
export class TimerClock extends SimulatedClock {
  private readonly armed: DelayedWork[] = [];
  /** Simulated ns of the earliest pending work; Infinity when none. */
  nextDueNs = Number.POSITIVE_INFINITY;

  override arm(work: DelayedWork, delayMs: number): void {
    super.arm(work, delayMs);
    if (!this.armed.includes(work)) this.armed.push(work);
    const dueNs = work.dueMs * 1e6;
    if (dueNs < this.nextDueNs) this.nextDueNs = dueNs;
  }

  /** Runs the work due by `timeNs` (in due order) and finds the next due instant. */
  runDue(timeNs: number): void {
    // Due instants went ms -> ns -> ms: reach past the latest one due by `timeNs` by a femtosecond so
    // float rounding cannot leave it pending (and the engine scheduling it again forever).
    let targetMs = timeNs / 1e6;
    for (const work of this.armed) if (work.isPending && work.dueMs * 1e6 <= timeNs && work.dueMs > targetMs) targetMs = work.dueMs;
    targetMs += 1e-9;
    if (targetMs > this.nowMs) this.advance(targetMs - this.nowMs);
    let next = Number.POSITIVE_INFINITY;
    for (const work of this.armed) if (work.isPending && work.dueMs * 1e6 < next) next = work.dueMs * 1e6;
    this.nextDueNs = next;
  }

  override rewind(toMs: number): void {
    super.rewind(toMs);
    let next = Number.POSITIVE_INFINITY;
    for (const work of this.armed) if (work.isPending && work.dueMs * 1e6 < next) next = work.dueMs * 1e6;
    this.nextDueNs = next;
  }

  /** Moves the clock to `timeNs` when no work is due before it (the engine guarantees that). */
  moveTo(timeNs: number): void {
    const ms = timeNs / 1e6;
    if (ms > this.nowMs) this.nowMs = ms;
  }
}
