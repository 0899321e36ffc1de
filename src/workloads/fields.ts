/**
 * Allocation-light field scanning for the hot per-line loops: one scanner is reused for every line,
 * fields are index ranges into the line, and numbers are parsed from char codes without substrings.
 * Number parsers return NaN for anything that is not exactly a number of the expected shape.
 */

export const COMMA = 44;
export const SPACE = 32;
const TAB = 9;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

export class FieldScanner {
  text = '';
  /** Position after the current field (and its separator). */
  pos = 0;
  /** Current field range [start, end). */
  start = 0;
  end = 0;
  /** Result of `bigDecimal()`: the value split as hi * 1e9 + lo, so 19-digit integers stay exact. */
  hi = 0;
  lo = 0;

  reset(text: string): this {
    this.text = text;
    this.pos = 0;
    this.start = 0;
    this.end = 0;
    return this;
  }

  /** True when nothing but blanks remains. */
  atEnd(): boolean {
    const text = this.text;
    let p = this.pos;
    while (p < text.length && isBlank(text.charCodeAt(p))) p++;
    return p >= text.length;
  }

  /** Moves to the next `sep`-separated field (which may be empty); false when the line is used up. */
  next(sep: number): boolean {
    const text = this.text;
    if (this.pos > text.length) return false;
    const start = this.pos;
    let p = start;
    while (p < text.length && text.charCodeAt(p) !== sep) p++;
    this.start = start;
    this.end = p;
    this.pos = p + 1;
    return true;
  }

  /** Moves to the next blank-separated token (runs of spaces/tabs separate); false when none is left. */
  nextToken(): boolean {
    const text = this.text;
    let p = this.pos;
    while (p < text.length && isBlank(text.charCodeAt(p))) p++;
    if (p >= text.length) {
      this.pos = text.length + 1;
      return false;
    }
    const start = p;
    while (p < text.length && !isBlank(text.charCodeAt(p))) p++;
    this.start = start;
    this.end = p;
    this.pos = p;
    return true;
  }

  /** The rest of the line after the current position, leading blanks skipped. */
  rest(): string {
    const text = this.text;
    let p = this.pos;
    while (p < text.length && isBlank(text.charCodeAt(p))) p++;
    return p >= text.length ? '' : text.slice(p);
  }

  str(): string {
    return this.text.slice(this.start, this.end);
  }

  length(): number {
    return this.end - this.start;
  }

  /** Case-sensitive comparison of the current field with `s`, without a substring. */
  eq(s: string): boolean {
    if (this.end - this.start !== s.length) return false;
    return this.text.startsWith(s, this.start);
  }

  /** Case-insensitive (ASCII) comparison of the current field with a lower-case `s`. */
  eqIgnoreCase(s: string): boolean {
    if (this.end - this.start !== s.length) return false;
    const text = this.text;
    for (let i = 0; i < s.length; i++) {
      let c = text.charCodeAt(this.start + i);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== s.charCodeAt(i)) return false;
    }
    return true;
  }

  charAt(offset: number): number {
    const p = this.start + offset;
    return p < this.end ? this.text.charCodeAt(p) : -1;
  }

  /** Unsigned decimal integer (digits only, ≤ 2^53 - 1). */
  uint(): number {
    return parseUint(this.text, this.start, this.end);
  }

  /** Signed decimal integer. */
  int(): number {
    if (this.start < this.end && this.text.charCodeAt(this.start) === 45) return -parseUint(this.text, this.start + 1, this.end);
    return parseUint(this.text, this.start, this.end);
  }

  /** Unsigned hexadecimal integer, with or without 0x (≤ 2^53 - 1). */
  hex(): number {
    let s = this.start;
    if (this.end - s > 2 && this.text.charCodeAt(s) === 48 && (this.text.charCodeAt(s + 1) | 32) === 120) s += 2;
    return parseHex(this.text, s, this.end);
  }

  /** Decimal number with an optional fraction (`12`, `12.5`, `-3.25`); exponents are not accepted. */
  decimal(): number {
    return parseDecimal(this.text, this.start, this.end);
  }

  /**
   * An unsigned decimal integer of up to 24 digits, split exactly into `hi * 1e9 + lo` (in the
   * `hi`/`lo` fields), so differences between 64-bit timestamps can be formed without rounding.
   */
  bigDecimal(): boolean {
    const n = this.end - this.start;
    if (n === 0 || n > 24) return false;
    const split = Math.max(this.start, this.end - 9);
    const hi = split > this.start ? parseUint(this.text, this.start, split) : 0;
    const lo = parseUint(this.text, split, this.end);
    if (Number.isNaN(hi) || Number.isNaN(lo)) return false;
    this.hi = hi;
    this.lo = lo;
    return true;
  }
}

export function parseUint(text: string, start: number, end: number): number {
  if (end <= start) return NaN;
  let value = 0;
  for (let p = start; p < end; p++) {
    const d = text.charCodeAt(p) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
}

export function parseHex(text: string, start: number, end: number): number {
  if (end <= start) return NaN;
  let value = 0;
  for (let p = start; p < end; p++) {
    const c = text.charCodeAt(p);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return NaN;
    value = value * 16 + d;
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
}

export function parseDecimal(text: string, start: number, end: number): number {
  if (end <= start) return NaN;
  let p = start;
  let negative = false;
  if (text.charCodeAt(p) === 45) {
    negative = true;
    p++;
  }
  let dot = -1;
  for (let q = p; q < end; q++) {
    const c = text.charCodeAt(q);
    if (c === 46) {
      if (dot !== -1) return NaN;
      dot = q;
    } else if (c < 48 || c > 57) return NaN;
  }
  if (dot === -1) {
    const v = parseUint(text, p, end);
    return negative ? -v : v;
  }
  if (dot === p || dot === end - 1) return NaN;
  const v = Number(text.slice(p, end));
  return negative ? -v : v;
}

/**
 * Parses `SECONDS.FRACTION` (e.g. `438.308478`, `0.000056992`) into whole seconds and nanoseconds,
 * exactly (fractions longer than 9 digits are an error). Returns false when malformed.
 */
export function parseSecondsFraction(text: string, start: number, end: number, out: { sec: number; ns: number }): boolean {
  let dot = -1;
  for (let p = start; p < end; p++) {
    if (text.charCodeAt(p) === 46) {
      dot = p;
      break;
    }
  }
  if (dot === -1) {
    const sec = parseUint(text, start, end);
    if (Number.isNaN(sec)) return false;
    out.sec = sec;
    out.ns = 0;
    return true;
  }
  const fracLen = end - dot - 1;
  if (fracLen < 1 || fracLen > 9) return false;
  const sec = parseUint(text, start, dot);
  let ns = parseUint(text, dot + 1, end);
  if (Number.isNaN(sec) || Number.isNaN(ns)) return false;
  for (let i = fracLen; i < 9; i++) ns *= 10;
  out.sec = sec;
  out.ns = ns;
  return true;
}
