/**
 * Page-frame-number arithmetic with the kernel's u64 semantics.
 *
 * The kernel does all pfn maths in `unsigned long` (u64, wrapping). Two representations share one
 * algorithm: `number` (fast; exact while every pfn of the domain stays below 2^53, which holds for
 * any domain with 4 KiB granules) and `bigint` (exact everywhere, used when a domain or a trace needs
 * pfns at or above 2^53). Algorithms compare pfns with the native operators, which work on both, and
 * call these helpers for the few operations where the two differ or where u64 wraps.
 *
 * In number mode the all-ones u64 value (the anchor) is represented by 2^64, which is above every
 * real pfn; a wrapped subtraction yields a value of at least 2^64 - 2^53, also above every real pfn.
 * Ordering against real pfns is therefore the same as with exact u64 values.
 */
export interface PfnArithmetic<P extends number | bigint> {
  readonly kind: 'number' | 'bigint';
  readonly zero: P;
  readonly one: P;
  /** ~0UL: the anchor's pfn. */
  readonly u64Max: P;
  of(value: number): P;
  /** (a + b) mod 2^64 */
  add(a: P, b: P): P;
  /** (a - b) mod 2^64 */
  sub(a: P, b: P): P;
  /**
   * An opaque token for aligning down to 2^shift, computed once per allocation: the mask
   * (~0UL << shift) with x86's shift-count masking (a shift of 64 leaves the mask all ones).
   */
  alignment(shift: number): P;
  /** x & mask, for a token made by alignment(). */
  alignDown(x: P, alignment: P): P;
  /** (~0UL >> shift) */
  u64MaxShiftedRight(shift: number): P;
  toBigInt(p: P): bigint;
  format(p: P): string;
}

const TWO_POW_64 = 18446744073709551616;
const U64_MAX_TEXT = '18446744073709551615';
/** 2^k for k = 0..64, exact doubles: a table read instead of Math.pow on the allocation paths. */
const POWERS_OF_TWO: Float64Array = Float64Array.from({ length: 65 }, (_, k) => 2 ** k);

export const numberPfn: PfnArithmetic<number> = {
  kind: 'number',
  zero: 0,
  one: 1,
  u64Max: TWO_POW_64,
  of: (value) => value,
  add(a, b) {
    const sum = a + b;
    return sum >= TWO_POW_64 ? sum - TWO_POW_64 : sum;
  },
  sub: (a, b) => (a >= b ? a - b : a - b + TWO_POW_64),
  // The token is the alignment itself; flooring a quotient by a power of two is exact in doubles.
  alignment: (shift) => POWERS_OF_TWO[shift & 63],
  alignDown: (x, alignment) => (alignment === 1 ? x : Math.floor(x / alignment) * alignment),
  u64MaxShiftedRight: (shift) => (shift === 0 ? TWO_POW_64 : Math.floor(TWO_POW_64 / 2 ** shift) - 1),
  toBigInt: (p) => (p >= TWO_POW_64 ? 0xffff_ffff_ffff_ffffn : BigInt(p)),
  format: (p) => (p >= TWO_POW_64 ? U64_MAX_TEXT : String(p)),
};

const U64_MASK = 0xffff_ffff_ffff_ffffn;

export const bigintPfn: PfnArithmetic<bigint> = {
  kind: 'bigint',
  zero: 0n,
  one: 1n,
  u64Max: U64_MASK,
  of: (value) => BigInt(value),
  add: (a, b) => (a + b) & U64_MASK,
  sub: (a, b) => (a - b) & U64_MASK,
  alignment: (shift) => (U64_MASK << BigInt(shift & 63)) & U64_MASK,
  alignDown: (x, mask) => x & mask,
  u64MaxShiftedRight: (shift) => U64_MASK >> BigInt(shift),
  toBigInt: (p) => p,
  format: (p) => p.toString(),
};

/** Largest integer a double holds exactly, plus one: pfns below it may use number mode. */
export const NUMBER_PFN_LIMIT = 2 ** 53;

/** fls_long(): 1-based index of the highest set bit, 0 for 0. Valid for any u64 value. */
export function flsLong(x: number | bigint): number {
  if (typeof x === 'bigint') return x === 0n ? 0 : x.toString(2).length;
  if (x < 4294967296) return 32 - Math.clz32(x);
  if (x < NUMBER_PFN_LIMIT) return 64 - Math.clz32(Math.floor(x / 4294967296));
  return flsLong(BigInt(x));
}

/** order_base_2(n): ceil(log2(n)), 0 for n <= 1. */
export function orderBase2(n: number | bigint): number {
  if (typeof n === 'bigint') return n <= 1n ? 0 : flsLong(n - 1n);
  return n <= 1 ? 0 : flsLong(n - 1);
}

/** roundup_pow_of_two(n) for n >= 1. */
export function roundupPowOfTwo<P extends number | bigint>(n: P): P {
  if (typeof n === 'bigint') return (1n << BigInt(flsLong(n - 1n))) as P;
  return POWERS_OF_TWO[flsLong((n as number) - 1)] as P;
}

/**
 * An array of `length` pfns, each `fill`. With number pfns the array holds doubles from the start:
 * an array of small integers that later receives a pfn held as a double changes its elements kind,
 * and V8 throws away the optimised code that had seen the array.
 */
export function pfnArray<P extends number | bigint>(length: number, fill: P): P[] {
  const array = new Array<P>(length).fill(fill);
  if (typeof fill === 'number' && length > 0) {
    array[0] = 0.5 as P;
    array[0] = fill;
  }
  return array;
}
