/**
 * An open-addressing hash map from pfn (an integer in [0, 2^53)) to a record index (an int32 >= 0),
 * the "allocated-segment hash table" of vmem and the block lookup of TLSF, whose metadata cannot live
 * in the managed space. Linear probing over a power-of-two table whose slots hold key and value side
 * by side (one cache line per probe run, not two), deletion by backward shift (no tombstones), growth
 * to twice the size at half load. Nothing is allocated per operation except when the table grows.
 */
const EMPTY = -1;
const TWO_POW_32 = 4294967296;

export class PfnIndexMap {
  /** slots[2i] = key (EMPTY when unused), slots[2i + 1] = value. */
  private slots: Float64Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.slots = PfnIndexMap.emptySlots(capacity);
    this.mask = capacity - 1;
  }

  private static emptySlots(capacity: number): Float64Array {
    const slots = new Float64Array(capacity * 2);
    for (let i = 0; i < slots.length; i += 2) slots[i] = EMPTY;
    return slots;
  }

  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = (key / TWO_POW_32) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** The index stored for key, or -1. */
  get(key: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = this.slot(key); ; i = (i + 1) & mask) {
      const k = slots[2 * i];
      if (k === key) return slots[2 * i + 1];
      if (k === EMPTY) return -1;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    const slots = this.slots;
    const mask = this.mask;
    for (let i = this.slot(key); ; i = (i + 1) & mask) {
      const k = slots[2 * i];
      if (k === key) {
        slots[2 * i + 1] = value;
        return;
      }
      if (k === EMPTY) {
        slots[2 * i] = key;
        slots[2 * i + 1] = value;
        this.size++;
        return;
      }
    }
  }

  /** Removes key; false when it was absent. */
  delete(key: number): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.slot(key);
    for (; ; i = (i + 1) & mask) {
      const k = slots[2 * i];
      if (k === key) break;
      if (k === EMPTY) return false;
    }
    // Backward shift: move later members of the probe run into the hole when their home slot allows.
    let hole = i;
    for (let j = (hole + 1) & mask; slots[2 * j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slot(slots[2 * j]);
      if (((hole - home) & mask) <= ((j - home) & mask)) {
        slots[2 * hole] = slots[2 * j];
        slots[2 * hole + 1] = slots[2 * j + 1];
        hole = j;
      }
    }
    slots[2 * hole] = EMPTY;
    this.size--;
    return true;
  }

  /** Calls `visit` with every key and its value, in no particular order. */
  forEach(visit: (key: number, value: number) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] !== EMPTY) visit(slots[i], slots[i + 1]);
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    this.slots = PfnIndexMap.emptySlots(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== EMPTY) this.set(old[i], old[i + 1]);
  }
}
