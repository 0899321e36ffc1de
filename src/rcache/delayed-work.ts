/**
 * Delayed work on a simulated clock (the kernel's schedule_delayed_work() with HZ = 1000).
 * Scheduling work that is already pending does nothing, so the first deadline stands. When the
 * clock advances, due work runs at its due time, earliest first, ties in the order it was armed;
 * work re-armed while the clock advances runs again within the same advance if it falls due.
 */
export class SimulatedClock {
  nowMs = 0;
  private armCounter = 0;
  /** Empty but already an array of objects, for the reason given at SizeClassRcache's depot. */
  private readonly pending: DelayedWork[] = [null].slice(0, 0) as unknown as DelayedWork[];

  arm(work: DelayedWork, delayMs: number): void {
    work.dueMs = this.nowMs + delayMs;
    work.armedOrder = this.armCounter++;
    this.pending.push(work);
  }

  /**
   * Sets the clock back to `toMs`, moving every pending deadline back by as much, so each keeps the
   * delay it had left (time a caller compressed away, e.g. a domain aged before a measured run).
   */
  rewind(toMs: number): void {
    const shift = this.nowMs - toMs;
    this.nowMs = toMs;
    for (const work of this.pending) work.dueMs -= shift;
  }

  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.pending.length; i++) {
        const work = this.pending[i];
        if (work.dueMs > target) continue;
        if (next < 0) next = i;
        else {
          const best = this.pending[next];
          if (work.dueMs < best.dueMs || (work.dueMs === best.dueMs && work.armedOrder < best.armedOrder)) next = i;
        }
      }
      if (next < 0) break;
      const work = this.pending[next];
      this.pending.splice(next, 1);
      this.nowMs = work.dueMs;
      work.isPending = false;
      work.dueMs = 0;
      work.run();
    }
    this.nowMs = target;
  }
}

export class DelayedWork {
  isPending = false;
  dueMs = 0;
  armedOrder = 0;

  constructor(readonly run: () => void) {}

  /** schedule_delayed_work(): arms the work unless it is already pending. */
  schedule(clock: SimulatedClock, delayMs: number): void {
    if (this.isPending) return;
    this.isPending = true;
    clock.arm(this, delayMs);
  }
}
