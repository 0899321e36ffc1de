/**
 * Golden-trace replay: reads the conformance trace format (../shared/conformance/README.md), runs it
 * against IovaDomain + Rcache for a kernel profile, and prints what the kernel's own code printed.
 *
 * The file has two parts. Parsing (first) works on the file's bytes: one pass over a Uint8Array that
 * finds tokens by their byte values, recognises the operation by comparing bytes and builds each
 * number from its digits, so no line or token string is ever made for a well-formed trace (strings
 * are made only for error messages). A trace is parsed and checked completely before it runs, so a
 * malformed line is reported as `FILE:LINE: what is wrong` without running anything; a file that is
 * empty, has no operation or holds a NUL byte (not text) is reported by name. Numbers below 2^53
 * are kept as numbers; larger ones are exact bigints, and any of them switches the whole replay to
 * bigint pfns. Replay (second) walks the parsed operations; it never sees the text.
 */
import { IovaDomain } from '../allocators/iova-domain.js';
import type { KernelProfile } from '../allocators/kernel-version.js';
import { bigintPfn, NUMBER_PFN_LIMIT, numberPfn, pfnArray, type PfnArithmetic } from '../allocators/pfn.js';
import { NIL } from '../allocators/rbtree.js';
import { IOVA_RANGE_CACHE_MAX_SIZE, Rcache } from '../rcache/rcache.js';
import { AsciiOutput, asciiBytes } from './ascii-output.js';

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

export class TraceError extends Error {
  constructor(
    readonly file: string,
    /** 1-based; 0 when the problem is the whole file (empty, not text). */
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

/** The trace's operations (exported for the explorer, which steps through a parsed trace). */
export const enum Op {
  Cpus,
  Domain,
  Rcache,
  Cpu,
  Alloc,
  Free,
  Find,
  Reserve,
  AllocFast,
  FreeFast,
  Tick,
  Stats,
  Dump,
  Rcdump,
  CpuDead,
}

interface OpSpec {
  readonly name: string;
  readonly op: Op;
  readonly args: readonly string[];
  /** The name's bytes (ASCII). */
  readonly bytes: Uint8Array;
  /** The argument that may be a handle `@k` (the PFN), or -1. */
  readonly handleArgument: number;
}

function spec(name: string, op: Op, args: string[]): OpSpec {
  return { name, op, args, bytes: Uint8Array.from(name, (c) => c.charCodeAt(0)), handleArgument: args.indexOf('PFN') };
}

/** Indexed by Op: the order of the enum. */
const OP_SPECS: readonly OpSpec[] = [
  spec('cpus', Op.Cpus, ['N']),
  spec('domain', Op.Domain, ['G', 'S']),
  spec('rcache', Op.Rcache, []),
  spec('cpu', Op.Cpu, ['N']),
  spec('alloc', Op.Alloc, ['SIZE', 'LIMIT', 'A']),
  spec('free', Op.Free, ['PFN']),
  spec('find', Op.Find, ['PFN']),
  spec('reserve', Op.Reserve, ['LO', 'HI']),
  spec('alloc_fast', Op.AllocFast, ['SIZE', 'LIMIT', 'F']),
  spec('free_fast', Op.FreeFast, ['PFN', 'SIZE']),
  spec('tick', Op.Tick, ['MS']),
  spec('stats', Op.Stats, []),
  spec('dump', Op.Dump, []),
  spec('rcdump', Op.Rcdump, []),
  spec('cpudead', Op.CpuDead, ['N']),
];

/** OP_SPECS grouped by name length, so recognising a name compares bytes against a few candidates. */
const SPECS_BY_LENGTH: readonly (readonly OpSpec[])[] = (() => {
  const table: OpSpec[][] = [];
  for (const s of OP_SPECS) (table[s.name.length] ??= []).push(s);
  for (let i = 0; i < table.length; i++) table[i] ??= [];
  return table;
})();

/** The most tokens a line may have (name + 3 arguments); more are only counted. */
const MAX_TOKENS = 4;

const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** The highest LIMIT alloc and alloc_fast accept: 2^64 - 2 (the kernel adds 1 to it). */
const LIMIT_MAX = U64_MAX - 1n;
/**
 * Numbers are built digit by digit in doubles. Every step is exact while the true value stays below
 * 2^53, and rounding is monotone, so a result below 2^53 is exact and a true value from 2^53 up
 * never comes out below it: the test on the result decides, whatever the number of digits (2^52 - 1,
 * 16 digits, is a common LIMIT).
 */
const EXACT_LIMIT = NUMBER_PFN_LIMIT;

/** One parsed line, as an object (for inspection and tests; the replay reads a TraceCursor). */
export interface ParsedOp {
  readonly op: Op;
  readonly line: number;
  readonly values: readonly (number | bigint)[];
  /** For a PFN argument given as `@k`: k; otherwise -1. */
  readonly handle: number;
}

/** Arguments stored per op (the most any op takes); unused slots hold 0. */
const VALUES_PER_OP = 3;

/**
 * A parsed trace, as parallel typed arrays (one entry per op): parsing a 200,000-op trace then makes
 * a handful of allocations instead of two objects per op for the garbage collector to copy.
 */
export class IovaTrace {
  constructor(
    readonly file: string,
    /** Number of ops. */
    readonly length: number,
    readonly opCodes: Uint8Array,
    /** 1-based line of each op. */
    readonly lines: Int32Array,
    /** For a PFN argument given as `@k`: k; otherwise -1. */
    readonly handles: Int32Array,
    /** VALUES_PER_OP per op; exact, since all are below 2^53 unless needsBigintPfns. */
    readonly numbers: Float64Array,
    /** VALUES_PER_OP per op, exact, when needsBigintPfns; else null. */
    readonly bigints: readonly bigint[] | null,
    /** Number of alloc and alloc_fast ops (the handles `@k` name them by this count). */
    readonly allocCount: number,
  ) {}

  /** True when some number reaches 2^53, so the replay must use bigint pfns. */
  get needsBigintPfns(): boolean {
    return this.bigints !== null;
  }

  /** Argument k of op `index` (0 for an unused slot; a bigint when needsBigintPfns). */
  value(index: number, k: number): number | bigint {
    return this.bigints !== null ? this.bigints[index * VALUES_PER_OP + k] : this.numbers[index * VALUES_PER_OP + k];
  }

  private opObjects: ParsedOp[] | null = null;

  /** The ops as objects, built on first use and kept (tests and the explorer; the replay reads the arrays). */
  get ops(): ParsedOp[] {
    if (this.opObjects !== null) return this.opObjects;
    const result: ParsedOp[] = [];
    for (let i = 0; i < this.length; i++) {
      const op = this.opCodes[i] as Op;
      const count = OP_SPECS[op].args.length;
      const values: (number | bigint)[] = [];
      for (let k = 0; k < count; k++) values.push(this.bigints !== null ? this.bigints[i * VALUES_PER_OP + k] : this.numbers[i * VALUES_PER_OP + k]);
      result.push({ op, line: this.lines[i], values, handle: this.handles[i] });
    }
    this.opObjects = result;
    return result;
  }
}

const textDecoder = new TextDecoder('utf-8');

/**
 * Bytes as text fit for one line of a terminal: invalid UTF-8 becomes U+FFFD, control characters
 * (C0, DEL, C1) are shown as \xNN, and anything past 40 characters is cut to "…".
 */
export function printable(bytes: Uint8Array): string {
  let text = textDecoder.decode(bytes);
  if (text.length > 40) text = text.slice(0, 40) + '…';
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** decimalAt()'s answer for bytes that are not an unsigned decimal number. */
const NOT_DECIMAL = -1;
/** decimalAt()'s answer for a number at or above 2^53: its exact value is in `largeValue`. */
const LARGE = -2;
/** The last LARGE number decimalAt() read. */
let largeValue = 0n;

/**
 * The value of the decimal digits bytes[start, end) when below 2^53; LARGE (the value in
 * largeValue) from 2^53 up; NOT_DECIMAL if the bytes are not decimal digits. Always a number, so
 * its callers see one type.
 */
function decimalAt(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return NOT_DECIMAL;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i] - 48;
    if (digit < 0 || digit > 9) return NOT_DECIMAL;
    value = value * 10 + digit;
  }
  if (value < EXACT_LIMIT) return value;
  // Rare (pfns near 2^55, 2^64 - 1): exact through bigint, from the (ASCII digit) bytes.
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  const big = BigInt(text);
  if (big < BigInt(NUMBER_PFN_LIMIT)) return Number(big);
  largeValue = big;
  return LARGE;
}

/** The spec whose name is bytes[start, end), or undefined. */
function findSpec(bytes: Uint8Array, start: number, end: number): OpSpec | undefined {
  const length = end - start;
  if (length >= SPECS_BY_LENGTH.length) return undefined;
  const candidates = SPECS_BY_LENGTH[length];
  outer: for (let k = 0; k < candidates.length; k++) {
    const name = candidates[k].bytes;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== name[i]) continue outer;
    return candidates[k];
  }
  return undefined;
}

/** Checks of order and ranges across lines (the README's rules for each op). */
class TraceChecker {
  constructor(private readonly maxCpus: number) {}

  cpus = 1;
  cpusGiven = false;
  domainLine = 0;
  rcacheLine = 0;
  allocs = 0;

  /** The problem with an op and its values in this position of the trace, or null. */
  check(spec: OpSpec, values: ArrayLike<number | bigint>, lineNumber: number): string | null {
    const name = spec.name;
    const args = spec.args;
    switch (spec.op) {
      case Op.Cpus:
        if (this.rcacheLine !== 0) return `cpus after "rcache" (line ${this.rcacheLine})`;
        if (values[0] < 1 || values[0] > this.maxCpus) return `N ${values[0]} is outside 1..${this.maxCpus}`;
        this.cpus = Number(values[0]);
        this.cpusGiven = true;
        return null;
      case Op.Domain: {
        if (this.domainLine !== 0) return `second "domain" (the first is on line ${this.domainLine})`;
        const granule = Number(values[0]);
        if (granule < 1 || granule > 4096 || (granule & (granule - 1)) !== 0) return `G ${values[0]} is not a power of two up to 4096`;
        this.domainLine = lineNumber;
        return null;
      }
      case Op.Rcache:
        if (this.domainLine === 0) return `${name} before "domain"`;
        if (this.rcacheLine !== 0) return `second "rcache" (the first is on line ${this.rcacheLine})`;
        this.rcacheLine = lineNumber;
        return null;
      case Op.Cpu:
        if (values[0] >= this.cpus) return `N ${values[0]} is not below the CPU count ${this.cpus}${this.cpusGiven ? '' : ' (default; set it with "cpus N")'}`;
        return null;
      case Op.Alloc:
      case Op.AllocFast:
        if (this.domainLine === 0) return `${name} before "domain"`;
        if (spec.op === Op.AllocFast && this.rcacheLine === 0) return `${name} before "rcache"`;
        if (values[0] < 1) return 'SIZE must be at least 1';
        if (typeof values[1] === 'bigint' && values[1] > LIMIT_MAX) return `LIMIT ${values[1]} is above 2^64 - 2`;
        if (values[2] > 1) return `${args[2]} must be 0 or 1, got ${values[2]}`;
        this.allocs++;
        return null;
      case Op.Reserve:
        if (this.domainLine === 0) return `${name} before "domain"`;
        if (values[0] > values[1]) return `LO ${values[0]} is above HI ${values[1]}`;
        return null;
      case Op.FreeFast:
        if (this.rcacheLine === 0) return `${name} before "rcache"`;
        if (values[1] < 1) return 'SIZE must be at least 1';
        return null;
      case Op.Rcdump:
        if (this.rcacheLine === 0) return `${name} before "rcache"`;
        return null;
      case Op.CpuDead:
        if (this.rcacheLine === 0) return `${name} before "rcache"`;
        if (values[0] >= this.cpus) return `N ${values[0]} is not below the CPU count ${this.cpus}`;
        return null;
      case Op.Tick:
        if (values[0] > Number.MAX_SAFE_INTEGER) return `MS ${values[0]} is too large`;
        return null;
      default:
        if (this.domainLine === 0) return `${name} before "domain"`;
        return null;
    }
  }
}

/** The 1-based line of byte offset `at`. */
function lineOf(bytes: Uint8Array, at: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < at; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

export interface ParseOptions {
  /**
   * Most CPUs a `cpus` line may give: 64 in the conformance format (its harness); a trace recorded
   * from a simulated host (../sim/iova-recorder.ts) may have more.
   */
  readonly maxCpus?: number;
}

/**
 * Parses and checks a whole trace, given as the file's bytes (or as text, which is encoded first);
 * a UTF-8 byte order mark is skipped. Throws TraceError naming the file (and the line).
 */
export function parseIovaTrace(input: Uint8Array | string, file: string, options: ParseOptions = {}): IovaTrace {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const length = bytes.length;
  if (length === 0) throw new TraceError(file, 0, 'empty file (a trace has at least a "domain" line)');
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new TraceError(file, lineOf(bytes, nul), `not a text file (NUL byte at offset ${nul})`);
  // Sized from the file: the traces' lines average 15 bytes or more, so an eighth of the size is
  // room enough without growing (a trace of shorter lines grows the arrays by doubling).
  let capacity = Math.max(16, length >> 3);
  let opCodes = new Uint8Array(capacity);
  let lines = new Int32Array(capacity);
  let handles = new Int32Array(capacity);
  let numbers = new Float64Array(capacity * VALUES_PER_OP);
  /** Values at or above 2^53, by their index in `numbers` (which holds 0 there). */
  let large: Map<number, bigint> | null = null;
  let count = 0;
  /** The line's values; a line with a value at or above 2^53 uses `lineValues` instead. */
  const values = new Float64Array(VALUES_PER_OP);
  const checker = new TraceChecker(options.maxCpus ?? 64);
  const tokenStart = new Int32Array(MAX_TOKENS);
  const tokenEnd = new Int32Array(MAX_TOKENS);
  let lineNumber = 0;
  let pos = length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (pos < length) {
    lineNumber++;
    values[0] = values[1] = values[2] = 0;
    let handle = -1;
    let lineValues: (number | bigint)[] | null = null;
    // The fast path reads the usual line: an operation's name and each argument after one space, a
    // plain number below 2^53 (or a handle `@k` naming an earlier alloc), then the newline.
    // Any other line (blank, a comment, tabs, a CR, long numbers, any mistake) is read again by the
    // general path, which words every error.
    let at = pos;
    while (at < length && bytes[at] > 35) at++;
    let spec = findSpec(bytes, pos, at);
    let read = false;
    fast: if (spec !== undefined) {
      const argumentCount = spec.args.length;
      for (let i = 0; i < argumentCount; i++) {
        if (at >= length || bytes[at] !== 32) break fast;
        at++;
        const isHandle = i === spec.handleArgument && bytes[at] === 64; /* @ */
        if (isHandle) at++;
        const start = at;
        let value = 0;
        while (at < length) {
          const digit = bytes[at] - 48;
          if (digit < 0 || digit > 9) break;
          value = value * 10 + digit;
          at++;
        }
        if (at === start || value >= EXACT_LIMIT) break fast;
        if (!isHandle) values[i] = value;
        else if (value < checker.allocs) handle = value;
        else break fast;
      }
      if (at < length && bytes[at] !== 10) break fast;
      pos = at + 1;
      read = true;
    }
    if (spec === undefined || !read) {
      values[0] = values[1] = values[2] = 0;
      handle = -1;
      // Tokens of this line: separated by spaces, tabs (and a CR); `#` starts a comment. Bytes
      // above `#` (35) are always token bytes: letters, digits, `@`, `_`.
      let tokens = 0;
      while (pos < length) {
        let c = bytes[pos];
        if (c === 10) break;
        if (c === 32 || c === 9 || c === 13) {
          pos++;
          continue;
        }
        if (c === 35 /* # */) {
          const newline = bytes.indexOf(10, pos);
          pos = newline < 0 ? length : newline;
          break;
        }
        const start = pos++;
        while (pos < length) {
          c = bytes[pos];
          if (c <= 35 && (c === 10 || c === 32 || c === 9 || c === 13 || c === 35)) break;
          pos++;
        }
        if (tokens < MAX_TOKENS) {
          tokenStart[tokens] = start;
          tokenEnd[tokens] = pos;
        }
        tokens++;
      }
      pos++; // past the newline
      if (tokens === 0) continue;
      spec = findSpec(bytes, tokenStart[0], tokenEnd[0]);
      if (spec === undefined) {
        const name = printable(bytes.subarray(tokenStart[0], tokenEnd[0]));
        throw new TraceError(file, lineNumber, `unknown operation "${name}" (expected one of ${OP_SPECS.map((s) => s.name).join(', ')})`);
      }
      const args = spec.args;
      const argumentCount = args.length;
      if (tokens - 1 !== argumentCount) {
        throw new TraceError(file, lineNumber, `${spec.name} takes ${argumentCount} argument${argumentCount === 1 ? '' : 's'} (${args.join(' ') || 'none'}), got ${tokens - 1}`);
      }
      for (let i = 0; i < argumentCount; i++) {
        const start = tokenStart[i + 1];
        const end = tokenEnd[i + 1];
        if (i === spec.handleArgument && bytes[start] === 64 /* @ */) {
          const k = decimalAt(bytes, start + 1, end);
          if (k === NOT_DECIMAL) throw new TraceError(file, lineNumber, `${args[i]} handle "${printable(bytes.subarray(start, end))}" is not @ followed by a decimal number`);
          if (k === LARGE || k >= checker.allocs) {
            throw new TraceError(file, lineNumber, `${args[i]} handle ${printable(bytes.subarray(start, end))} names alloc #${k === LARGE ? largeValue : k}, but only ${checker.allocs} alloc/alloc_fast came before it`);
          }
          handle = k;
          continue;
        }
        const value = decimalAt(bytes, start, end);
        if (value === NOT_DECIMAL) throw new TraceError(file, lineNumber, `${args[i]} "${printable(bytes.subarray(start, end))}" is not an unsigned decimal number`);
        if (value === LARGE) {
          if (largeValue > U64_MAX) throw new TraceError(file, lineNumber, `${args[i]} ${printable(bytes.subarray(start, end))} does not fit in 64 bits`);
          lineValues ??= Array.from(values);
          lineValues[i] = largeValue;
        } else {
          values[i] = value;
          if (lineValues !== null) lineValues[i] = value;
        }
      }
    }
    const problem = checker.check(spec, lineValues ?? values, lineNumber);
    if (problem !== null) throw new TraceError(file, lineNumber, problem);
    if (count === capacity) {
      capacity *= 2;
      opCodes = grown(opCodes, new Uint8Array(capacity));
      lines = grown(lines, new Int32Array(capacity));
      handles = grown(handles, new Int32Array(capacity));
      numbers = grown(numbers, new Float64Array(capacity * VALUES_PER_OP));
    }
    opCodes[count] = spec.op;
    lines[count] = lineNumber;
    handles[count] = handle;
    const base = count * VALUES_PER_OP;
    numbers[base] = values[0];
    numbers[base + 1] = values[1];
    numbers[base + 2] = values[2];
    if (lineValues !== null) {
      large ??= new Map();
      for (let i = 0; i < VALUES_PER_OP; i++) {
        const value = lineValues[i];
        if (typeof value === 'bigint') large.set(base + i, value);
      }
    }
    count++;
  }
  if (count === 0) throw new TraceError(file, 0, `no operations in ${lineNumber} line${lineNumber === 1 ? '' : 's'} (only comments and blank lines)`);
  // One representation for the whole replay, so its hot paths see a single type.
  let bigints: bigint[] | null = null;
  if (large !== null) {
    bigints = [];
    for (let i = 0; i < count * VALUES_PER_OP; i++) bigints.push(large.get(i) ?? BigInt(numbers[i]));
  }
  // Arrays at least half full are kept as they are (a view of their first `count` entries); copying
  // them cost more than the room they waste.
  return new IovaTrace(file, count, fitted(opCodes, count), fitted(lines, count), fitted(handles, count), fitted(numbers, count * VALUES_PER_OP), bigints, checker.allocs);
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function fitted<T extends Uint8Array | Int32Array | Float64Array>(array: T, used: number): T {
  return (used * 2 >= array.length ? array.subarray(0, used) : array.slice(0, used)) as T;
}

// ---------------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------------

export interface ReplayOptions {
  /**
   * Pfn representation: `auto` (number unless some value needs 64 bits) or `bigint` (always; for
   * checking that both representations agree).
   */
  readonly pfns?: 'auto' | 'bigint';
}

/** Replays a parsed trace for a kernel profile; returns exactly the text the kernel printed. */
export function runIovaTrace(trace: IovaTrace, profile: KernelProfile, options: ReplayOptions = {}): string {
  return runIovaTraceOutput(trace, profile, options).toString();
}

/**
 * Replays a parsed trace for a kernel profile into bytes: exactly what the kernel printed, as ASCII
 * (for writing to a stream without making a string of it first).
 */
export function runIovaTraceBytes(trace: IovaTrace, profile: KernelProfile, options: ReplayOptions = {}): Uint8Array {
  return runIovaTraceOutput(trace, profile, options).written();
}

function runIovaTraceOutput(trace: IovaTrace, profile: KernelProfile, options: ReplayOptions): AsciiOutput {
  // Most lines are a pfn of up to 7 digits or a short word: 8 bytes an op, doubled if needed.
  const out = new AsciiOutput(trace.length * 8);
  if (trace.bigints !== null) replay(trace, bigintPfn, profile, out, trace.bigints);
  else if (options.pfns === 'bigint') replay(trace, bigintPfn, profile, out, Array.from(trace.numbers, (n) => BigInt(n)));
  else replay(trace, numberPfn, profile, out, trace.numbers);
  return out;
}

/** What a trace handle resolves to when its alloc failed. */
const FAILED = -1;

const HANG = asciiBytes('hang');
const FAIL = asciiBytes('fail');
const SKIP = asciiBytes('skip');
const MISSING = asciiBytes('missing');
const ANCHOR = asciiBytes('anchor');
const OK = asciiBytes('ok');
const NONE = asciiBytes('none');
const END = asciiBytes('end');
const NODES = asciiBytes('nodes ');
const VISITS = asciiBytes('visits ');
/** What the set-up operations (cpus, domain, rcache, cpu) have set so far. */
class ReplaySetup<P extends number | bigint> {
  cpus = 1;
  domain: IovaDomain<P> | null = null;
  rcache: Rcache<P> | null = null;
  currentCpu = 0;
}

/**
 * Replays the trace; `values` holds the ops' arguments as P, VALUES_PER_OP per op (the parsed
 * numbers, or bigints). The loop reads the parsed arrays directly: no object per op. It handles the
 * operations of the bulk of a trace itself and hands every other one to otherOp(): V8 compiles the
 * loop once it is hot, and a branch the compiled loop has never seen taken makes V8 throw that code
 * away and run the loop interpreted until it is compiled again. The first `stats`, `dump` or
 * `tick` of a long trace comes late; in a function of their own they cost no recompilation of the loop.
 */
function replay<P extends number | bigint>(trace: IovaTrace, arith: PfnArithmetic<P>, profile: KernelProfile, out: AsciiOutput, values: ArrayLike<P>): void {
  const opCodes = trace.opCodes;
  const handles = trace.handles;
  const setup = new ReplaySetup<P>();
  let domain: IovaDomain<P> | null = null;
  let rcache: Rcache<P> | null = null;
  // What each alloc and alloc_fast returned, by its number (the handles `@k` name them).
  const results: (P | typeof FAILED)[] = pfnArray<P>(trace.allocCount, arith.zero);
  let allocated = 0;
  for (let index = 0; index < trace.length; index++) {
    const op = opCodes[index] as Op;
    const slot = index * VALUES_PER_OP;
    // A PFN argument given as a handle: what that alloc returned (FAILED if it failed).
    const handle = handles[index];
    switch (op) {
      case Op.Cpu: {
        // A small integer (the parser checked it), kept as one so the rcache's field stays an int.
        const cpu = Number(values[slot]) | 0;
        setup.currentCpu = cpu;
        if (rcache !== null) rcache.currentCpu = cpu;
        break;
      }
      case Op.Alloc: {
        const d = domain as IovaDomain<P>;
        const node = d.allocIovaNode(values[slot], values[slot + 1], Number(values[slot + 2]) === 1);
        if (node === NIL) {
          results[allocated++] = FAILED;
          out.line(d.lastAllocHung ? HANG : FAIL);
        } else {
          const pfnLo = d.tree.pfnLo(node);
          results[allocated++] = pfnLo;
          out.pfn(pfnLo);
          out.space();
          out.pfn(d.tree.pfnHi(node));
          out.newline();
        }
        break;
      }
      case Op.AllocFast: {
        const r = rcache as Rcache<P>;
        const pfn = r.allocIovaFast(values[slot], values[slot + 1], Number(values[slot + 2]) === 1);
        if (r.lastAllocHung) {
          results[allocated++] = FAILED;
          out.line(HANG);
        } else {
          results[allocated++] = pfn === arith.zero ? FAILED : pfn;
          out.pfn(pfn);
          out.newline();
        }
        break;
      }
      case Op.Free: {
        const pfn = handle >= 0 ? results[handle] : values[slot];
        if (pfn === FAILED) {
          out.line(SKIP);
          break;
        }
        const d = domain as IovaDomain<P>;
        const node = d.findIovaNode(pfn);
        if (node === NIL) out.line(MISSING);
        else if (node === d.anchor) out.line(ANCHOR);
        else {
          d.removeIova(node);
          out.line(OK);
        }
        break;
      }
      case Op.FreeFast: {
        const pfn = handle >= 0 ? results[handle] : values[slot];
        if (pfn === FAILED) {
          out.line(SKIP);
          break;
        }
        (rcache as Rcache<P>).freeIovaFast(pfn, values[slot + 1]);
        out.line(OK);
        break;
      }
      default:
        otherOp(trace, index, op, setup, arith, profile, out, values, results);
        domain = setup.domain;
        rcache = setup.rcache;
    }
  }
}

/** The operations replay() does not handle itself: setting up, find, reserve, the clock, printing. */
function otherOp<P extends number | bigint>(
  trace: IovaTrace,
  index: number,
  op: Op,
  setup: ReplaySetup<P>,
  arith: PfnArithmetic<P>,
  profile: KernelProfile,
  out: AsciiOutput,
  values: ArrayLike<P>,
  results: readonly (P | typeof FAILED)[],
): void {
  const slot = index * VALUES_PER_OP;
  switch (op) {
    case Op.Cpus:
      if (profile.rcacheInitInDomain && setup.domain !== null) {
        throw new TraceError(trace.file, trace.lines[index], `cpus after "domain": kernel ${profile.version} sets up the rcaches inside init_iova_domain(), so the CPU count must come first`);
      }
      setup.cpus = Number(values[slot]) | 0;
      break;
    case Op.Domain:
      setup.domain = new IovaDomain<P>(arith, profile, Number(values[slot]), values[slot + 1]);
      // Until 5.17 init_iova_domain() sets up the rcaches itself, for the CPUs known by then.
      if (profile.rcacheInitInDomain) setup.rcache = newRcache(setup.domain, arith, profile, setup.cpus, setup.currentCpu);
      break;
    case Op.Rcache:
      // iova_domain_init_rcaches() (5.18+); before, the rcaches exist already and this does nothing.
      if (!profile.rcacheInitInDomain) setup.rcache = newRcache(setup.domain as IovaDomain<P>, arith, profile, setup.cpus, setup.currentCpu);
      break;
    case Op.Find: {
      const handle = trace.handles[index];
      const pfn = handle >= 0 ? results[handle] : values[slot];
      if (pfn === FAILED) {
        out.line(SKIP);
        break;
      }
      const d = setup.domain as IovaDomain<P>;
      const node = d.findIovaNode(pfn);
      if (node === NIL) out.line(NONE);
      else {
        out.pfn(d.tree.pfnLo(node));
        out.space();
        out.pfn(d.tree.pfnHi(node));
        out.newline();
      }
      break;
    }
    case Op.Reserve:
      out.line((setup.domain as IovaDomain<P>).reserveIova(values[slot], values[slot + 1]) ? OK : FAIL);
      break;
    case Op.Tick:
      setup.rcache?.tick(Number(values[slot]));
      break;
    case Op.Stats: {
      const d = setup.domain as IovaDomain<P>;
      out.word(NODES);
      out.decimal(d.nodeCount);
      out.newline();
      out.word(VISITS);
      out.decimal(d.visits);
      out.newline();
      break;
    }
    case Op.Dump: {
      const d = setup.domain as IovaDomain<P>;
      const tree = d.tree;
      for (let node = tree.first(); node !== NIL && node !== d.anchor; node = tree.next(node)) {
        out.pfn(tree.pfnLo(node));
        out.space();
        out.pfn(tree.pfnHi(node));
        out.newline();
      }
      out.line(END);
      break;
    }
    case Op.Rcdump:
      dumpRcache(setup.rcache as Rcache<P>, profile, arith.format, out);
      break;
    case Op.CpuDead:
      // The harness runs the teardown callback (iova_cpuhp_dead()) and nothing else: the CPU
      // stays in the online count, and the trace may go on using it.
      (setup.rcache as Rcache<P>).freeCpuCachedIovas(Number(values[slot]));
      break;
  }
}

function newRcache<P extends number | bigint>(domain: IovaDomain<P>, arith: PfnArithmetic<P>, profile: KernelProfile, cpus: number, currentCpu: number): Rcache<P> {
  const rcache = new Rcache<P>(domain, arith, profile, cpus);
  rcache.currentCpu = currentCpu;
  return rcache;
}

function magazineText<P extends number | bigint>(size: number, pfns: readonly P[], format: (p: P) => string): string {
  let text = String(size);
  for (let i = 0; i < size; i++) text += ' ' + format(pfns[i]);
  return text;
}

function dumpRcache<P extends number | bigint>(rcache: Rcache<P>, profile: KernelProfile, format: (p: P) => string, out: AsciiOutput): void {
  const line = (text: string): void => {
    out.text(text);
    out.newline();
  };
  for (let order = 0; order < IOVA_RANGE_CACHE_MAX_SIZE; order++) {
    const sizeClass = rcache.classes[order];
    line(`rc ${order} depot ${sizeClass.depot.length}`);
    sizeClass.cpus.forEach((cpuRcache, cpu) => {
      line(`rc ${order} cpu ${cpu} loaded ${magazineText(cpuRcache.loaded.size, cpuRcache.loaded.pfns, format)}`);
      line(`rc ${order} cpu ${cpu} prev ${magazineText(cpuRcache.prev.size, cpuRcache.prev.pfns, format)}`);
    });
    const depot = sizeClass.depot;
    for (let k = 0; k < depot.length; k++) {
      const magazine = depot[depot.length - 1 - k];
      line(`rc ${order} mag ${k} ${magazineText(magazine.size, magazine.pfns, format)}`);
    }
    if (profile.depot === 'list') {
      const work = sizeClass.trimWork;
      line(`rc ${order} work ${work.isPending ? 1 : 0} ${work.isPending ? work.dueMs : 0}`);
    }
  }
  line('end');
}
