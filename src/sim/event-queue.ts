/**
 * The simulator's agenda: a binary min-heap of events ordered by time, ties broken by the order in
 * which they were scheduled (so a run is deterministic). Events are small pooled records: the engine
 * recycles them, so a long run allocates no event per simulated I/O.
 */
export class SimEvent {
  time = 0;
  sequence = 0;
  kind = 0;
  /** Payload: an index (job, disk, CPU) and an object (a request). */
  index = 0;
  subject: unknown = null;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private readonly pool: SimEvent[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Time of the earliest event; Infinity when none. */
  get nextTime(): number {
    const heap = this.heap;
    return heap.length === 0 ? Number.POSITIVE_INFINITY : heap[0].time;
  }

  schedule(time: number, kind: number, index: number, subject: unknown = null): void {
    const event = this.pool.pop() ?? new SimEvent();
    event.time = time;
    event.sequence = this.nextSequence++;
    event.kind = kind;
    event.index = index;
    event.subject = subject;
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p.time < time || (p.time === time && p.sequence < event.sequence)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  /** Removes and returns the earliest event; give it back with recycle() when done. */
  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as SimEvent;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        let child = left;
        if (right < n) {
          const l = heap[left];
          const r = heap[right];
          if (r.time < l.time || (r.time === l.time && r.sequence < l.sequence)) child = right;
        }
        const c = heap[child];
        if (last.time < c.time || (last.time === c.time && last.sequence < c.sequence)) break;
        heap[i] = c;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  recycle(event: SimEvent): void {
    event.subject = null;
    this.pool.push(event);
  }
}
