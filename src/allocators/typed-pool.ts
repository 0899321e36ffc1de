/**
 * Growth helpers for the struct-of-arrays record pools of the alternative allocators.
 *
 * The allocators keep their records (tree nodes, segments, trie nodes) in typed arrays indexed by a
 * record number, so the hot path allocates nothing: a freed record goes on a free stack and is reused.
 * When a pool is full its arrays are copied into arrays twice as long. Callers must re-read any
 * array they cached in a local after a call that may grow the pool.
 */
export function growFloat64(a: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

export function growInt32(a: Int32Array<ArrayBuffer>, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

export function growUint8(a: Uint8Array<ArrayBuffer>, capacity: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(capacity);
  b.set(a);
  return b;
}

const TWO_POW_32 = 4294967296;

/** fls(): 1-based index of the highest set bit of a non-negative integer below 2^53; 0 for 0. */
export function fls(x: number): number {
  if (x < TWO_POW_32) return 32 - Math.clz32(x);
  return 64 - Math.clz32(Math.floor(x / TWO_POW_32));
}

/** ceil(log2(n)) for n >= 1 (order_base_2). */
export function ceilLog2(n: number): number {
  return n <= 1 ? 0 : fls(n - 1);
}

/** x rounded down to a multiple of the power of two `align` (exact for x below 2^53). */
export function alignDown(x: number, align: number): number {
  return align === 1 ? x : Math.floor(x / align) * align;
}

/** x rounded up to a multiple of the power of two `align`. */
export function alignUp(x: number, align: number): number {
  return align === 1 ? x : Math.ceil(x / align) * align;
}

/** Index of the lowest set bit of a non-zero 32-bit value. */
export function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}
