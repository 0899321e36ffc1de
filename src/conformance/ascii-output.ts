/**
 * The replay's output as bytes: one growing Uint8Array that lines of ASCII text are written into.
 *
 * A golden replay prints one short line per operation (a pfn, `ok`, `skip`), 200,000 lines for the
 * large traces. Building a string per line and joining them made the garbage collector copy every
 * line once more and the join copy them again; here a pfn's digits go straight into the buffer and
 * fixed words are copied from bytes encoded once. The buffer doubles when full. The text is handed
 * out as the bytes written (for a stream) or decoded once (for a caller that wants a string).
 */
import { numberPfn } from '../allocators/pfn.js';

const textDecoder = new TextDecoder('utf-8');

/** Bytes of an ASCII word, encoded once. */
export function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const NEWLINE = 10;
const SPACE = 32;
const ZERO = 48;
/** Whole numbers below this are written digit by digit in int32 arithmetic. */
const INT32_LIMIT = 2 ** 31;
/** Whole numbers below this are exact doubles; anything larger is written as String() prints it. */
const EXACT_LIMIT = 2 ** 53;
/** The most digits a number below 2^53 has. */
const MAX_DIGITS = 16;
/** ~0UL, which number pfns hold as 2^64 (numberPfn.u64Max), and its text as the kernel prints it. */
const U64_MAX = numberPfn.u64Max;
const U64_MAX_TEXT = asciiBytes(numberPfn.format(U64_MAX));

export class AsciiOutput {
  private bytes: Uint8Array;
  /** Bytes written. */
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(Math.max(64, capacity));
  }

  /** Makes room for `extra` more bytes. */
  private reserve(extra: number): Uint8Array {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return this.bytes;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const bytes = new Uint8Array(capacity);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    return bytes;
  }

  /** A whole line of fixed bytes (from asciiBytes), newline added. */
  line(word: Uint8Array): void {
    const bytes = this.reserve(word.length + 1);
    bytes.set(word, this.length);
    this.length += word.length;
    bytes[this.length++] = NEWLINE;
  }

  /** Fixed bytes, no newline. */
  word(word: Uint8Array): void {
    const bytes = this.reserve(word.length);
    bytes.set(word, this.length);
    this.length += word.length;
  }

  /** Any text (ASCII; used for rare lines such as dumps), no newline. */
  text(text: string): void {
    const bytes = this.reserve(text.length);
    let at = this.length;
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /**
   * A pfn as the kernel prints it (%lu): number pfns' 2^64 is the anchor's ~0UL (see
   * ../allocators/pfn.ts), bigints are exact. No newline.
   */
  pfn(pfn: number | bigint): void {
    if (typeof pfn === 'bigint') this.text(pfn.toString());
    else if (pfn >= U64_MAX) this.word(U64_MAX_TEXT);
    else this.decimal(pfn);
  }

  /** A whole number >= 0 in decimal, as String() prints it, no newline. */
  decimal(value: number): void {
    if (value >= INT32_LIMIT) {
      this.largeDecimal(value);
      return;
    }
    let bytes = this.bytes;
    if (this.length + 10 > bytes.length) bytes = this.reserve(10);
    let small = value | 0;
    let digits = 1;
    for (let rest = (small / 10) | 0; rest > 0; rest = (rest / 10) | 0) digits++;
    let at = this.length + digits;
    this.length = at;
    do {
      const quotient = (small / 10) | 0;
      bytes[--at] = ZERO + (small - quotient * 10);
      small = quotient;
    } while (small > 0);
  }

  private largeDecimal(value: number): void {
    if (value >= EXACT_LIMIT || value !== Math.floor(value)) {
      this.text(String(value));
      return;
    }
    const bytes = this.reserve(MAX_DIGITS);
    let digits = 1;
    for (let rest = Math.floor(value / 10); rest > 0; rest = Math.floor(rest / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    let rest = value;
    do {
      const quotient = Math.floor(rest / 10);
      bytes[--at] = ZERO + (rest - quotient * 10);
      rest = quotient;
    } while (rest > 0);
  }

  space(): void {
    this.reserve(1)[this.length++] = SPACE;
  }

  newline(): void {
    let bytes = this.bytes;
    if (this.length === bytes.length) bytes = this.reserve(1);
    bytes[this.length++] = NEWLINE;
  }

  /** The bytes written so far (a view of the buffer: valid until the next write). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** The text written so far. */
  toString(): string {
    return textDecoder.decode(this.written());
  }
}
