/**
 * The simulator's agenda: a binary min-heap of events ordered by time, ties broken by the order in
 * which they were scheduled (so a run is deterministic).
 *
 * Two lanes hold the events: a FIFO ring for events scheduled no earlier than the newest event already
 * in it, and a heap for the rest; pop() takes the earlier head of the two by (time, sequence). Each
 * lane pops in (time, sequence) order (the ring because it only ever receives them in that order), so
 * the merged order is exactly a single heap's. The engine's request completions are scheduled at
 * non-decreasing times (the shared link serialises them), so nearly all of them take the ring in O(1)
 * and the heap keeps only the few near-term events (parked CPUs, wake-ups): short sifts.
 *
 * Both lanes are parallel typed arrays (time, scheduling sequence, payload), so sifting reads and
 * moves plain numbers instead of chasing event objects. An event with a subject keeps its payload
 * (kind, index, subject) in a slot until pop() copies it out and frees the slot; the payload column
 * holds the slot number. Most events have no subject (the engine's parked CPUs: about 1.6 per
 * simulated I/O), and for them the column holds kind and index themselves, packed into one negative
 * int32, so scheduling and popping them touch no slot. Nothing is allocated per event once the arrays
 * have grown to the run's largest agenda.
 *
 * A pop from the heap leaves its root in place, marked taken, until the next operation: the engine's
 * commonest pattern is to pop a parked CPU, run it a few steps and park it again, and a schedule into
 * the heap while the root is taken puts the new event at the root and sifts it down (it usually
 * belongs near the top) instead of sifting a hole down and then the new event up from a leaf. A pop
 * removes a taken root first. Either way the heap holds the same keys, so the order popped is the same.
 */
/** Kinds below 2^KIND_BITS and indexes below 2^(31 - KIND_BITS) pack into the payload column. */
const KIND_BITS = 4;
const KIND_MASK = (1 << KIND_BITS) - 1;
const INDEX_LIMIT = 2 ** (31 - KIND_BITS);

export class EventQueue {
  private heapTime = new Float64Array(256);
  private heapSequence = new Float64Array(256);
  private heapSlot = new Int32Array(256);
  private count = 0;
  private ringTime = new Float64Array(256);
  private ringSequence = new Float64Array(256);
  private ringSlot = new Int32Array(256);
  private ringHead = 0;
  private ringCount = 0;
  /** Time of the newest event in the ring (it accepts no earlier one). */
  private ringTailTime = Number.NEGATIVE_INFINITY;
  private slotKind = new Int32Array(256);
  private slotIndex = new Int32Array(256);
  private slotSubject: unknown[] = new Array<unknown>(256).fill(null);
  private freeSlots = Int32Array.from({ length: 256 }, (_, i) => 255 - i);
  private freeCount = 256;
  private nextSequence = 0;
  /** The heap's root was popped and awaits removal (or replacement by the next event into the heap). */
  private rootTaken = false;
  /** Time of the earliest event, kept up to date: the engine asks before every step of a CPU task. */
  private earliest = Number.POSITIVE_INFINITY;

  /** The event pop() returned last: its time, kind, index and subject (an object, e.g. a request). */
  time = 0;
  kind = 0;
  index = 0;
  subject: unknown = null;

  get size(): number {
    return this.count - (this.rootTaken ? 1 : 0) + this.ringCount;
  }

  /** Time of the earliest event; Infinity when none. */
  get nextTime(): number {
    return this.earliest;
  }

  schedule(time: number, kind: number, index: number, subject: unknown = null): void {
    let slot: number;
    if (subject === null && (kind & KIND_MASK) === kind && (index | 0) === index && index >= 0 && index < INDEX_LIMIT) {
      // Packed: -1 - (index << KIND_BITS | kind), always negative.
      slot = -1 - ((index << KIND_BITS) | kind);
    } else {
      if (this.freeCount === 0) this.growSlots();
      slot = this.freeSlots[--this.freeCount];
      this.slotKind[slot] = kind;
      this.slotIndex[slot] = index;
      this.slotSubject[slot] = subject;
    }
    const sequence = this.nextSequence++;
    if (time < this.earliest) this.earliest = time;
    if (time >= this.ringTailTime) {
      if (this.ringCount === this.ringTime.length) this.growRing();
      let at = this.ringHead + this.ringCount++;
      if (at >= this.ringTime.length) at -= this.ringTime.length;
      this.ringTime[at] = time;
      this.ringSequence[at] = sequence;
      this.ringSlot[at] = slot;
      this.ringTailTime = time;
      return;
    }
    if (this.rootTaken) {
      this.rootTaken = false;
      this.siftDown(time, sequence, slot, 0, this.count);
      return;
    }
    if (this.count === this.heapTime.length) this.growHeap();
    this.siftUp(time, sequence, slot, this.count++);
  }

  /** Removes the earliest event into time, kind, index and subject; false when there is none. */
  pop(): boolean {
    if (this.rootTaken) {
      this.rootTaken = false;
      this.removeRoot();
    }
    if (this.ringCount > 0) {
      const head = this.ringHead;
      const ringFirst = this.ringTime[head];
      if (this.count === 0 || ringFirst < this.heapTime[0] || (ringFirst === this.heapTime[0] && this.ringSequence[head] < this.heapSequence[0])) {
        this.take(this.ringSlot[head], ringFirst);
        this.ringHead = head + 1 === this.ringTime.length ? 0 : head + 1;
        if (--this.ringCount === 0) this.ringTailTime = Number.NEGATIVE_INFINITY;
        this.findEarliest();
        return true;
      }
    } else if (this.count === 0) return false;
    this.take(this.heapSlot[0], this.heapTime[0]);
    this.rootTaken = true;
    // The earliest event left: the root's children or the ring's head.
    const heapTime = this.heapTime;
    const n = this.count;
    let earliest = this.ringCount === 0 ? Number.POSITIVE_INFINITY : this.ringTime[this.ringHead];
    if (n > 1 && heapTime[1] < earliest) earliest = heapTime[1];
    if (n > 2 && heapTime[2] < earliest) earliest = heapTime[2];
    this.earliest = earliest;
    return true;
  }

  /** Removes the taken root from the heap. */
  private removeRoot(): void {
    const heapTime = this.heapTime;
    const heapSequence = this.heapSequence;
    const heapSlot = this.heapSlot;
    const n = --this.count;
    if (n === 0) return;
    const lastTime = heapTime[n];
    const lastSequence = heapSequence[n];
    const lastSlot = heapSlot[n];
    // Bottom-up (Floyd): the hole at the root sinks to a leaf along the smaller children, one
    // comparison per level, then the last event rises from there. The last event is usually among
    // the latest, so it rises little: fewer comparisons than testing it at every level on the way
    // down. Keys (time, sequence) are unique, so the order popped is the same either way.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const rightTime = heapTime[right];
        const leftTime = heapTime[child];
        if (rightTime < leftTime || (rightTime === leftTime && heapSequence[right] < heapSequence[child])) child = right;
      }
      heapTime[i] = heapTime[child];
      heapSequence[i] = heapSequence[child];
      heapSlot[i] = heapSlot[child];
      i = child;
    }
    this.siftUp(lastTime, lastSequence, lastSlot, i);
  }

  /** Puts an event at heap position `i` (a hole) and lets it rise to its place. */
  private siftUp(time: number, sequence: number, slot: number, i: number): void {
    const heapTime = this.heapTime;
    const heapSequence = this.heapSequence;
    const heapSlot = this.heapSlot;
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

  /** Puts an event at heap position `i` (a hole) of a heap of `n` and sifts it down to its place. */
  private siftDown(time: number, sequence: number, slot: number, i: number, n: number): void {
    const heapTime = this.heapTime;
    const heapSequence = this.heapSequence;
    const heapSlot = this.heapSlot;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let childTime = heapTime[child];
      const right = child + 1;
      if (right < n) {
        const rightTime = heapTime[right];
        if (rightTime < childTime || (rightTime === childTime && heapSequence[right] < heapSequence[child])) {
          child = right;
          childTime = rightTime;
        }
      }
      if (time < childTime || (time === childTime && sequence < heapSequence[child])) break;
      heapTime[i] = childTime;
      heapSequence[i] = heapSequence[child];
      heapSlot[i] = heapSlot[child];
      i = child;
    }
    heapTime[i] = time;
    heapSequence[i] = sequence;
    heapSlot[i] = slot;
  }

  private findEarliest(): void {
    const heapFirst = this.count === 0 ? Number.POSITIVE_INFINITY : this.heapTime[0];
    const ringFirst = this.ringCount === 0 ? Number.POSITIVE_INFINITY : this.ringTime[this.ringHead];
    this.earliest = heapFirst < ringFirst ? heapFirst : ringFirst;
  }

  /** Copies the payload out as the popped event and frees its slot, if it has one. */
  private take(slot: number, time: number): void {
    this.time = time;
    if (slot < 0) {
      const packed = -1 - slot;
      this.kind = packed & KIND_MASK;
      this.index = packed >>> KIND_BITS;
      this.subject = null;
      return;
    }
    this.kind = this.slotKind[slot];
    this.index = this.slotIndex[slot];
    this.subject = this.slotSubject[slot];
    this.slotSubject[slot] = null;
    this.freeSlots[this.freeCount++] = slot;
  }

  private growHeap(): void {
    const capacity = 2 * this.heapTime.length;
    const heapTime = new Float64Array(capacity);
    heapTime.set(this.heapTime);
    this.heapTime = heapTime;
    const heapSequence = new Float64Array(capacity);
    heapSequence.set(this.heapSequence);
    this.heapSequence = heapSequence;
    const heapSlot = new Int32Array(capacity);
    heapSlot.set(this.heapSlot);
    this.heapSlot = heapSlot;
  }

  /** Doubles the ring, oldest first. */
  private growRing(): void {
    const old = this.ringTime.length;
    const capacity = 2 * old;
    const ringTime = new Float64Array(capacity);
    const ringSequence = new Float64Array(capacity);
    const ringSlot = new Int32Array(capacity);
    for (let i = 0; i < this.ringCount; i++) {
      let at = this.ringHead + i;
      if (at >= old) at -= old;
      ringTime[i] = this.ringTime[at];
      ringSequence[i] = this.ringSequence[at];
      ringSlot[i] = this.ringSlot[at];
    }
    this.ringTime = ringTime;
    this.ringSequence = ringSequence;
    this.ringSlot = ringSlot;
    this.ringHead = 0;
  }

  /** Doubles the payload slots (all in use). */
  private growSlots(): void {
    const old = this.slotKind.length;
    const capacity = 2 * old;
    const slotKind = new Int32Array(capacity);
    slotKind.set(this.slotKind);
    this.slotKind = slotKind;
    const slotIndex = new Int32Array(capacity);
    slotIndex.set(this.slotIndex);
    this.slotIndex = slotIndex;
    for (let i = old; i < capacity; i++) this.slotSubject.push(null);
    this.freeSlots = new Int32Array(capacity);
    this.freeCount = 0;
    for (let slot = capacity - 1; slot >= old; slot--) this.freeSlots[this.freeCount++] = slot;
  }
}
