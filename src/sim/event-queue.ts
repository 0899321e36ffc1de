/**
 * The simulator's agenda: a binary min-heap of events ordered by time, ties broken by the order in
 * which they were scheduled (so a run is deterministic).
 *
 * The heap is three parallel typed arrays (time, scheduling sequence, payload slot), so sifting reads
 * and moves plain numbers in a few dense arrays instead of chasing event objects; an event's payload
 * (kind, index, subject) sits in its slot until pop() copies it out and frees the slot. Nothing is
 * allocated per event once the arrays have grown to the run's largest agenda.
 */
export class EventQueue {
  private heapTime = new Float64Array(256);
  private heapSequence = new Float64Array(256);
  private heapSlot = new Int32Array(256);
  private count = 0;
  private slotKind = new Int32Array(256);
  private slotIndex = new Int32Array(256);
  private slotSubject: unknown[] = new Array<unknown>(256).fill(null);
  private freeSlots = Int32Array.from({ length: 256 }, (_, i) => 255 - i);
  private freeCount = 256;
  private nextSequence = 0;

  /** The event pop() returned last: its time, kind, index and subject (an object, e.g. a request). */
  time = 0;
  kind = 0;
  index = 0;
  subject: unknown = null;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when none. */
  get nextTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.heapTime[0];
  }

  schedule(time: number, kind: number, index: number, subject: unknown = null): void {
    if (this.count === this.heapTime.length) this.grow();
    const slot = this.freeSlots[--this.freeCount];
    this.slotKind[slot] = kind;
    this.slotIndex[slot] = index;
    this.slotSubject[slot] = subject;
    const sequence = this.nextSequence++;
    const heapTime = this.heapTime;
    const heapSequence = this.heapSequence;
    const heapSlot = this.heapSlot;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = heapTime[parent];
      if (parentTime < time || (parentTime === time && heapSequence[parent] < sequence)) break;
      heapTime[i] = parentTime;
      heapSequence[i] = heapSequence[parent];
      heapSlot[i] = heapSlot[parent];
      i = parent;
    }
    heapTime[i] = time;
    heapSequence[i] = sequence;
    heapSlot[i] = slot;
  }

  /** Removes the earliest event into time, kind, index and subject; false when there is none. */
  pop(): boolean {
    if (this.count === 0) return false;
    const heapTime = this.heapTime;
    const heapSequence = this.heapSequence;
    const heapSlot = this.heapSlot;
    const slot = heapSlot[0];
    this.time = heapTime[0];
    this.kind = this.slotKind[slot];
    this.index = this.slotIndex[slot];
    this.subject = this.slotSubject[slot];
    this.slotSubject[slot] = null;
    this.freeSlots[this.freeCount++] = slot;
    const n = --this.count;
    if (n > 0) {
      const lastTime = heapTime[n];
      const lastSequence = heapSequence[n];
      const lastSlot = heapSlot[n];
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        let child = left;
        let childTime = heapTime[left];
        if (right < n) {
          const rightTime = heapTime[right];
          if (rightTime < childTime || (rightTime === childTime && heapSequence[right] < heapSequence[left])) {
            child = right;
            childTime = rightTime;
          }
        }
        if (lastTime < childTime || (lastTime === childTime && lastSequence < heapSequence[child])) break;
        heapTime[i] = childTime;
        heapSequence[i] = heapSequence[child];
        heapSlot[i] = heapSlot[child];
        i = child;
      }
      heapTime[i] = lastTime;
      heapSequence[i] = lastSequence;
      heapSlot[i] = lastSlot;
    }
    return true;
  }

  private grow(): void {
    const old = this.heapTime.length;
    const capacity = 2 * old;
    const heapTime = new Float64Array(capacity);
    heapTime.set(this.heapTime);
    this.heapTime = heapTime;
    const heapSequence = new Float64Array(capacity);
    heapSequence.set(this.heapSequence);
    this.heapSequence = heapSequence;
    const heapSlot = new Int32Array(capacity);
    heapSlot.set(this.heapSlot);
    this.heapSlot = heapSlot;
    const slotKind = new Int32Array(capacity);
    slotKind.set(this.slotKind);
    this.slotKind = slotKind;
    const slotIndex = new Int32Array(capacity);
    slotIndex.set(this.slotIndex);
    this.slotIndex = slotIndex;
    for (let i = old; i < capacity; i++) this.slotSubject.push(null);
    // Every slot is in use when the heap is full: the free list holds the new ones.
    this.freeSlots = new Int32Array(capacity);
    this.freeCount = 0;
    for (let slot = capacity - 1; slot >= old; slot--) this.freeSlots[this.freeCount++] = slot;
  }
}
