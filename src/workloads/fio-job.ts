/**
 * fio job files, parsed the way fio's init.c/parse.c read them, into an ordered list of typed job
 * descriptions. Written from fio's behaviour, not with an INI library: INI libraries merge repeated
 * sections, and fio does not.
 *
 * - `[name]` starts a section; a name starting with `global` is a global section. Sections are kept
 *   in file order, repeats included.
 * - A job starts from the options of every global section before it (later globals override
 *   earlier ones), then applies its own. A job's name is its section name unless the job section
 *   itself sets `name=`.
 * - `key=value` or a bare `flag`; a line whose first non-blank character is `;` or `#` is a
 *   comment, and, as in fio's strip_blank_end(), anything after a `;` or `#` on a line is dropped.
 * - `include FILE` inside a section splices FILE's option lines there (FILE may not open sections);
 *   a relative FILE is looked up beside the including file, then in the working directory.
 * - `${VAR}` is not expanded (a warning says so) and fio's `$pagesize`/`(expr)` arithmetic is not
 *   evaluated (a value using it is an error).
 * - Sizes follow fio's str_to_decimal: k/m/g/t/p with an optional b, and the IEC forms KiB/MiB/…;
 *   with the default kb_base=1024 fio's compatibility rule applies, so `4k` = `4kb` = 4096 but
 *   `4KiB` = 4000; with kb_base=1000 it is the other way round. Hex (`0x…`) is accepted without
 *   a suffix. Fractions (`1.5g`) are rejected rather than truncated the way fio would.
 * - Times: runtime/ramp_time/startdelay default to seconds, thinktime to microseconds; suffixes
 *   us/usec, ms/msec, s/sec, m/min, h/hour, d/day. Stored here in nanoseconds.
 * - Per-direction values (`bs=4k,8k`): one value applies to reads, writes and trims; with commas
 *   the values are read,write,trim, an empty value keeps the default, and a list not ending in a
 *   comma carries its last value on to the remaining directions.
 * - Unknown options are reported once each in `warnings` (fio would refuse the job); options that
 *   cannot change DMA mapping (ioengine, filename, verify, logging, …) are accepted and listed
 *   once each in `notes`. Malformed values are WorkloadErrors naming file, line and option.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { WorkloadError, quote } from './errors.js';

export type FioDdir = 'read' | 'write' | 'trim';
export const FIO_DDIRS: readonly FioDdir[] = ['read', 'write', 'trim'];

export interface PerDdir<T> {
  read: T;
  write: T;
  trim: T;
}

export type FioRw = 'read' | 'write' | 'trim' | 'randread' | 'randwrite' | 'randtrim' | 'readwrite' | 'randrw' | 'trimwrite' | 'randtrimwrite';

export type FioSizeSpec = { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

export interface FioBsSplitEntry {
  bytes: number;
  percent: number;
}

export type FioRandomDistribution =
  | { kind: 'random' }
  | { kind: 'zipf'; theta: number; center?: number }
  | { kind: 'pareto'; h: number; center?: number }
  | { kind: 'normal'; deviationPercent: number; center?: number }
  | { kind: 'zoned'; zones: { accessPercent: number; sizePercent: number }[] }
  | { kind: 'zoned_abs'; zones: { accessPercent: number; sizeBytes: number }[] }
  | { kind: 'sequence'; indices: number[] };

export interface FioJob {
  /** The job's name: its section name, or the job section's own `name=`. */
  name: string;
  section: string;
  /** 0-based position among the jobs of the file. */
  index: number;
  /** Where the section header is. */
  file: string;
  line: number;
  rw: FioRw;
  random: boolean;
  /** The directions the job issues, in fio's order. */
  directions: FioDdir[];
  /** Sequential `rw=read:4k`: bytes added to the offset after each I/O (negative goes backwards). */
  seqAddBytes: number;
  /** Random `rw=randread:8`: I/Os per new random offset (1 = every I/O). */
  randomRunLength: number;
  rwSequencer: 'sequential' | 'identical';
  bs: PerDdir<number>;
  bsRange?: PerDdir<{ min: number; max: number }>;
  bsSplit?: PerDdir<FioBsSplitEntry[]>;
  blockAlign?: PerDdir<number>;
  bsUnaligned: boolean;
  iodepth: number;
  numjobs: number;
  size?: FioSizeSpec;
  offset: FioSizeSpec;
  offsetIncrement?: FioSizeSpec;
  /** io_size / io_limit: bytes to transfer (default: size). */
  ioSize?: number;
  numberIos?: number;
  loops: number;
  runtimeNs?: number;
  timeBased: boolean;
  rampTimeNs: number;
  startDelayNs: number;
  cpusAllowed?: number[];
  cpusAllowedPolicy: 'shared' | 'split';
  /** rate_iops per direction (0 = no limit). */
  rateIops?: PerDdir<number>;
  /** rate in bytes/s per direction (0 = no limit). */
  rateBytes?: PerDdir<number>;
  rateProcess: 'linear' | 'poisson';
  rwmixread: number;
  randomDistribution: FioRandomDistribution;
  randomSequenceStride: number;
  norandommap: boolean;
  randrepeat: boolean;
  randseed?: number;
  direct: boolean;
  thinktimeNs: number;
  thinktimeBlocks: number;
  thinktimeSpinNs: number;
  kbBase: 1000 | 1024;
  filename?: string;
  directory?: string;
  ioengine?: string;
  description?: string;
  stonewall: boolean;
  newGroup: boolean;
  /** Every option in effect (globals first, later settings replacing earlier), as written; `true` for a bare flag. */
  options: Record<string, string | true>;
  /** Options accepted but without effect on the I/O stream (ioengine, verify, logging …). */
  ignoredOptions: string[];
}

export interface FioDiagnostic {
  file: string;
  line: number;
  option: string;
  message: string;
}

export interface FioJobFile {
  file: string;
  jobs: FioJob[];
  /** Unknown options (once per option name) and unexpanded `${VAR}`s. */
  warnings: FioDiagnostic[];
  /** Options accepted but not modelled, once per option name. */
  notes: FioDiagnostic[];
}

// ---------------------------------------------------------------------------------------------
// Value parsers. They throw ValueError; the resolver turns it into a WorkloadError with location.

class ValueError extends Error {}

const SIZE_RE = /^(\d+)([a-z%]*)$/i;

function pow(base: number, exp: number): number {
  let v = 1;
  for (let i = 0; i < exp; i++) v *= base;
  return v;
}

/** Multiplier of a fio size suffix (lower-cased), or undefined. */
function sizeMultiplier(suffix: string, kbBase: 1000 | 1024): number | undefined {
  if (suffix === '' || suffix === 'b') return 1;
  const letters = 'kmgtp';
  const exp = letters.indexOf(suffix[0]) + 1;
  if (exp === 0) return undefined;
  const rest = suffix.slice(1);
  const other = kbBase === 1024 ? 1000 : 1024;
  if (rest === '' || rest === 'b') return pow(kbBase, exp);
  if (rest === 'ib') return pow(other, exp);
  return undefined;
}

/** A fio size (`4k`, `10G`, `512`, `0x1000`, `25%` when allowed) → bytes or percent. */
export function parseFioSize(text: string, kbBase: 1000 | 1024 = 1024, allowPercent = false): FioSizeSpec {
  const t = text.trim();
  if (t.length === 0) throw new ValueError('empty value');
  if (t.startsWith('$') || t.startsWith('(')) throw new ValueError(`fio's $keywords and (arithmetic) are not supported: ${quote(t)}`);
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const v = Number.parseInt(t.slice(2), 16);
    if (!Number.isSafeInteger(v)) throw new ValueError(`too large: ${quote(t)}`);
    return { kind: 'bytes', bytes: v };
  }
  if (/^\d+\.\d+/.test(t)) throw new ValueError(`fractional sizes are not supported (fio would truncate ${quote(t)}); write it in a smaller unit`);
  const m = SIZE_RE.exec(t);
  if (!m) throw new ValueError(`not a size: ${quote(t)}`);
  const n = Number(m[1]);
  const suffix = m[2].toLowerCase();
  if (suffix === '%') {
    if (!allowPercent) throw new ValueError(`a percentage is not allowed here: ${quote(t)}`);
    if (n > 100) throw new ValueError(`percentage over 100: ${quote(t)}`);
    return { kind: 'percent', percent: n };
  }
  const mult = sizeMultiplier(suffix, kbBase);
  if (mult === undefined) throw new ValueError(`unknown size suffix ${quote(m[2])} in ${quote(t)} (k, m, g, t, p, optionally followed by b or ib)`);
  const bytes = n * mult;
  if (!Number.isSafeInteger(bytes)) throw new ValueError(`too large: ${quote(t)}`);
  return { kind: 'bytes', bytes };
}

function parseBytes(text: string, kbBase: 1000 | 1024): number {
  const v = parseFioSize(text, kbBase, false);
  return v.kind === 'bytes' ? v.bytes : 0;
}

const TIME_UNITS_US: Record<string, number> = {
  us: 1,
  usec: 1,
  ms: 1e3,
  msec: 1e3,
  s: 1e6,
  sec: 1e6,
  m: 60e6,
  min: 60e6,
  h: 3600e6,
  hour: 3600e6,
  d: 86400e6,
  day: 86400e6,
};

/** A fio time (`900`, `10s`, `5m`, `500ms`) in nanoseconds; a bare number is in `defaultUnit`. */
export function parseFioTimeNs(text: string, defaultUnit: 's' | 'us'): number {
  const t = text.trim();
  const m = /^(\d+)([a-z]*)$/i.exec(t);
  if (!m) throw new ValueError(`not a time: ${quote(t)} (an integer with an optional us/ms/s/m/h/d suffix)`);
  const n = Number(m[1]);
  const suffix = m[2].toLowerCase();
  const us = suffix === '' ? (defaultUnit === 's' ? 1e6 : 1) : TIME_UNITS_US[suffix];
  if (us === undefined) throw new ValueError(`unknown time suffix ${quote(m[2])} in ${quote(t)}`);
  const ns = n * us * 1000;
  if (!Number.isSafeInteger(ns)) throw new ValueError(`too large: ${quote(t)}`);
  return ns;
}

function parseInteger(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  let v: number;
  if (/^\d+$/.test(t)) v = Number(t);
  else if (/^0x[0-9a-f]+$/i.test(t)) v = Number.parseInt(t.slice(2), 16);
  else throw new ValueError(`not an integer: ${quote(t)}`);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ValueError(`${t} is out of range ${min}..${max}`);
  return v;
}

function parseBool(text: string | undefined): boolean {
  if (text === undefined) return true;
  const t = text.trim();
  if (t === '1') return true;
  if (t === '0') return false;
  throw new ValueError(`expected 0 or 1, got ${quote(t)}`);
}

function parseNumber(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d+(?:\.\d+)?$/.test(t)) throw new ValueError(`${what}: not a number: ${quote(t)}`);
  return Number(t);
}

/** fio's per-direction comma rule (see the module comment). */
function perDdir<T>(value: string, parseOne: (s: string) => T, defaults: PerDdir<T>): PerDdir<T> {
  const parts = value.split(',');
  if (parts.length > 3) throw new ValueError(`at most three comma-separated values (read,write,trim), got ${quote(value)}`);
  if (parts.length === 1) {
    const v = parseOne(parts[0]);
    return { read: v, write: v, trim: v };
  }
  const out: PerDdir<T> = { ...defaults };
  let last: T | undefined;
  for (let i = 0; i < 3; i++) {
    const dir = FIO_DDIRS[i];
    if (i < parts.length) {
      if (parts[i].trim() === '') {
        last = undefined;
        continue;
      }
      last = parseOne(parts[i]);
      out[dir] = last;
    } else if (last !== undefined) {
      out[dir] = last;
    }
  }
  return out;
}

function parseBsSplitOne(text: string, kbBase: 1000 | 1024): FioBsSplitEntry[] {
  const items = text.split(':').map((s) => s.trim());
  if (items.length === 0 || items.every((s) => s === '')) throw new ValueError('empty bssplit list');
  if (items.length > 64) throw new ValueError('at most 64 block sizes per direction');
  const entries: { bytes: number; percent: number | undefined }[] = [];
  for (const item of items) {
    if (item === '') throw new ValueError(`empty entry in ${quote(text)}`);
    const slash = item.indexOf('/');
    const bsText = slash === -1 ? item : item.slice(0, slash);
    const percentText = slash === -1 ? '' : item.slice(slash + 1).trim();
    const bytes = parseBytes(bsText, kbBase);
    if (bytes <= 0) throw new ValueError(`block size must be positive: ${quote(item)}`);
    const percent = percentText === '' ? undefined : parseNumber(percentText, 'percentage');
    entries.push({ bytes, percent });
  }
  const given = entries.reduce((s, e) => s + (e.percent ?? 0), 0);
  const blanks = entries.filter((e) => e.percent === undefined).length;
  if (given > 100 + 1e-9) throw new ValueError(`percentages add up to ${given}, over 100`);
  if (blanks === 0 && Math.abs(given - 100) > 1e-9) throw new ValueError(`percentages add up to ${given}, not 100`);
  const share = blanks > 0 ? (100 - given) / blanks : 0;
  return entries.map((e) => ({ bytes: e.bytes, percent: e.percent ?? share }));
}

function parseRangeOne(text: string, kbBase: 1000 | 1024): { min: number; max: number } {
  const t = text.trim();
  const sep = t.search(/[-:]/);
  if (sep <= 0) throw new ValueError(`expected MIN-MAX, got ${quote(t)}`);
  const a = parseBytes(t.slice(0, sep), kbBase);
  const b = parseBytes(t.slice(sep + 1), kbBase);
  if (a <= 0 || b <= 0) throw new ValueError(`block sizes must be positive: ${quote(t)}`);
  return a <= b ? { min: a, max: b } : { min: b, max: a };
}

/** `0-3,5,8-9` → [0,1,2,3,5,8,9]. */
export function parseCpuList(text: string): number[] {
  const set = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ValueError(`expected CPU numbers and ranges like 0-3,5, got ${quote(part)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new ValueError(`descending range ${quote(part)}`);
    if (hi > 4095) throw new ValueError(`CPU ${hi} is out of range (max 4095)`);
    for (let c = lo; c <= hi; c++) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

function parseCpuMask(text: string): number[] {
  const t = text.trim();
  let mask: bigint;
  if (/^0x[0-9a-f]+$/i.test(t)) mask = BigInt(t);
  else if (/^\d+$/.test(t)) mask = BigInt(t);
  else throw new ValueError(`not a CPU bit mask: ${quote(t)}`);
  const cpus: number[] = [];
  for (let c = 0; mask > 0n; c++, mask >>= 1n) if (mask & 1n) cpus.push(c);
  if (cpus.length === 0) throw new ValueError('the mask selects no CPU');
  return cpus;
}

function parseRandomDistribution(text: string, kbBase: 1000 | 1024): FioRandomDistribution {
  const t = text.trim();
  if (t.includes(',')) {
    if (!t.startsWith('sequence:')) throw new ValueError(`per-direction random_distribution values are not supported: ${quote(t)}`);
  }
  const colon = t.indexOf(':');
  const kind = colon === -1 ? t : t.slice(0, colon);
  const arg = colon === -1 ? '' : t.slice(colon + 1);
  const center = (s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const c = parseNumber(s, 'center');
    if (c < 0 || c > 1) throw new ValueError(`center must be in 0..1, got ${c}`);
    return c;
  };
  switch (kind) {
    case 'random':
      if (arg !== '') throw new ValueError(`random takes no argument: ${quote(t)}`);
      return { kind: 'random' };
    case 'zipf': {
      const [v, c] = arg.split(':');
      const theta = parseNumber(v ?? '', 'zipf theta');
      if (theta <= 0 || theta === 1) throw new ValueError('zipf theta must be > 0 and not 1');
      const d: FioRandomDistribution = { kind: 'zipf', theta };
      const cc = center(c);
      if (cc !== undefined) d.center = cc;
      return d;
    }
    case 'pareto': {
      const [v, c] = arg.split(':');
      const h = parseNumber(v ?? '', 'pareto h');
      if (h <= 0 || h >= 1) throw new ValueError('pareto h must be in (0, 1)');
      const d: FioRandomDistribution = { kind: 'pareto', h };
      const cc = center(c);
      if (cc !== undefined) d.center = cc;
      return d;
    }
    case 'normal':
    case 'gauss': {
      const [v, c] = arg.split(':');
      const deviationPercent = parseNumber(v ?? '', 'normal deviation');
      if (deviationPercent <= 0 || deviationPercent > 100) throw new ValueError('normal deviation must be in (0, 100] percent');
      const d: FioRandomDistribution = { kind: 'normal', deviationPercent };
      const cc = center(c);
      if (cc !== undefined) d.center = cc;
      return d;
    }
    case 'zoned':
    case 'zoned_abs': {
      if (arg === '') throw new ValueError(`${kind} needs zones like 60/10:30/20:10/70`);
      let accessTotal = 0;
      let sizeTotal = 0;
      const zones = arg.split(':').map((z) => {
        const [a, s] = z.split('/');
        if (a === undefined || s === undefined) throw new ValueError(`expected ACCESS%/SIZE, got ${quote(z)}`);
        const accessPercent = parseNumber(a, 'access percentage');
        accessTotal += accessPercent;
        if (kind === 'zoned') {
          const sizePercent = parseNumber(s, 'size percentage');
          sizeTotal += sizePercent;
          return { accessPercent, sizePercent, sizeBytes: 0 };
        }
        const sizeBytes = parseBytes(s, kbBase);
        if (sizeBytes <= 0) throw new ValueError(`zone size must be positive: ${quote(z)}`);
        return { accessPercent, sizePercent: 0, sizeBytes };
      });
      if (Math.abs(accessTotal - 100) > 1e-9) throw new ValueError(`access percentages add up to ${accessTotal}, not 100`);
      if (kind === 'zoned') {
        if (sizeTotal > 100 + 1e-9) throw new ValueError(`size percentages add up to ${sizeTotal}, over 100`);
        return { kind, zones: zones.map(({ accessPercent, sizePercent }) => ({ accessPercent, sizePercent })) };
      }
      return { kind, zones: zones.map(({ accessPercent, sizeBytes }) => ({ accessPercent, sizeBytes })) };
    }
    case 'sequence': {
      if (arg === '') throw new ValueError('sequence needs block indices like 2,0,1');
      const indices = arg.split(',').map((s) => parseInteger(s, 0));
      return { kind: 'sequence', indices };
    }
    default:
      throw new ValueError(`unknown distribution ${quote(kind)} (random, zipf, pareto, normal, zoned, zoned_abs, sequence)`);
  }
}

const RW_VALUES: Record<string, FioRw> = {
  read: 'read',
  write: 'write',
  trim: 'trim',
  randread: 'randread',
  randwrite: 'randwrite',
  randtrim: 'randtrim',
  rw: 'readwrite',
  readwrite: 'readwrite',
  randrw: 'randrw',
  trimwrite: 'trimwrite',
  randtrimwrite: 'randtrimwrite',
};

function rwDirections(rw: FioRw): FioDdir[] {
  switch (rw) {
    case 'read':
    case 'randread':
      return ['read'];
    case 'write':
    case 'randwrite':
      return ['write'];
    case 'trim':
    case 'randtrim':
      return ['trim'];
    case 'readwrite':
    case 'randrw':
      return ['read', 'write'];
    case 'trimwrite':
    case 'randtrimwrite':
      return ['trim', 'write'];
  }
}

// ---------------------------------------------------------------------------------------------
// The option table.

type Draft = Omit<FioJob, 'name' | 'section' | 'index' | 'file' | 'line' | 'options' | 'ignoredOptions'> & { nameOption?: string };

function defaultDraft(): Draft {
  return {
    rw: 'read',
    random: false,
    directions: ['read'],
    seqAddBytes: 0,
    randomRunLength: 1,
    rwSequencer: 'sequential',
    bs: { read: 4096, write: 4096, trim: 4096 },
    bsUnaligned: false,
    iodepth: 1,
    numjobs: 1,
    offset: { kind: 'bytes', bytes: 0 },
    loops: 1,
    timeBased: false,
    rampTimeNs: 0,
    startDelayNs: 0,
    cpusAllowedPolicy: 'shared',
    rateProcess: 'linear',
    rwmixread: 50,
    randomDistribution: { kind: 'random' },
    randomSequenceStride: 0,
    norandommap: false,
    randrepeat: true,
    direct: false,
    thinktimeNs: 0,
    thinktimeBlocks: 1,
    thinktimeSpinNs: 0,
    kbBase: 1024,
    stonewall: false,
    newGroup: false,
  };
}

type Handler = (d: Draft, value: string | undefined) => void;

function needValue(value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new ValueError('needs a value');
  return value;
}

const HANDLERS = new Map<string, Handler>();
function handle(names: string[], handler: Handler): void {
  for (const n of names) HANDLERS.set(n, handler);
}

handle(['rw', 'readwrite'], (d, v) => {
  const text = needValue(v).trim();
  const colon = text.indexOf(':');
  const base = colon === -1 ? text : text.slice(0, colon);
  const rw = RW_VALUES[base];
  if (rw === undefined) throw new ValueError(`unknown pattern ${quote(base)} (read, write, trim, randread, randwrite, randtrim, rw/readwrite, randrw, trimwrite, randtrimwrite)`);
  d.rw = rw;
  d.random = rw.startsWith('rand');
  d.directions = rwDirections(rw);
  d.seqAddBytes = 0;
  d.randomRunLength = 1;
  if (colon !== -1) {
    const suffix = text.slice(colon + 1).trim();
    if (d.random) {
      d.randomRunLength = parseInteger(suffix, 1);
    } else {
      const negative = suffix.startsWith('-');
      const magnitude = parseBytes(negative ? suffix.slice(1) : suffix, d.kbBase);
      d.seqAddBytes = negative ? -magnitude : magnitude;
    }
  }
});
handle(['rw_sequencer'], (d, v) => {
  const t = needValue(v).trim();
  if (t !== 'sequential' && t !== 'identical') throw new ValueError(`expected sequential or identical, got ${quote(t)}`);
  d.rwSequencer = t;
});
handle(['bs', 'blocksize'], (d, v) => {
  d.bs = perDdir(
    needValue(v),
    (s) => {
      const b = parseBytes(s, d.kbBase);
      if (b <= 0) throw new ValueError('block size must be positive');
      return b;
    },
    d.bs,
  );
});
handle(['bsrange', 'blocksize_range'], (d, v) => {
  const def = { min: 0, max: 0 };
  const r = perDdir(needValue(v), (s) => parseRangeOne(s, d.kbBase), d.bsRange ?? { read: def, write: def, trim: def });
  d.bsRange = r;
});
handle(['bssplit'], (d, v) => {
  const empty: FioBsSplitEntry[] = [];
  d.bsSplit = perDdir(needValue(v), (s) => parseBsSplitOne(s, d.kbBase), d.bsSplit ?? { read: empty, write: empty, trim: empty });
});
handle(['blockalign', 'ba'], (d, v) => {
  d.blockAlign = perDdir(
    needValue(v),
    (s) => {
      const b = parseBytes(s, d.kbBase);
      if (b <= 0) throw new ValueError('alignment must be positive');
      return b;
    },
    d.blockAlign ?? { read: 0, write: 0, trim: 0 },
  );
});
handle(['bs_unaligned', 'unaligned'], (d, v) => {
  d.bsUnaligned = parseBool(v);
});
handle(['iodepth'], (d, v) => {
  d.iodepth = parseInteger(needValue(v), 1, 65536);
});
handle(['numjobs'], (d, v) => {
  d.numjobs = parseInteger(needValue(v), 1, 1 << 20);
});
handle(['size'], (d, v) => {
  d.size = parseFioSize(needValue(v), d.kbBase, true);
});
handle(['offset', 'fileoffset'], (d, v) => {
  d.offset = parseFioSize(needValue(v), d.kbBase, true);
});
handle(['offset_increment'], (d, v) => {
  d.offsetIncrement = parseFioSize(needValue(v), d.kbBase, true);
});
handle(['io_size', 'io_limit'], (d, v) => {
  d.ioSize = parseBytes(needValue(v), d.kbBase);
});
handle(['number_ios'], (d, v) => {
  d.numberIos = parseBytes(needValue(v), d.kbBase);
});
handle(['loops'], (d, v) => {
  d.loops = parseInteger(needValue(v), 1);
});
handle(['runtime', 'timeout'], (d, v) => {
  d.runtimeNs = parseFioTimeNs(needValue(v), 's');
});
handle(['time_based'], (d, v) => {
  d.timeBased = parseBool(v);
});
handle(['ramp_time'], (d, v) => {
  d.rampTimeNs = parseFioTimeNs(needValue(v), 's');
});
handle(['startdelay'], (d, v) => {
  d.startDelayNs = parseFioTimeNs(needValue(v), 's');
});
handle(['cpus_allowed'], (d, v) => {
  d.cpusAllowed = parseCpuList(needValue(v));
});
handle(['cpumask'], (d, v) => {
  d.cpusAllowed = parseCpuMask(needValue(v));
});
handle(['cpus_allowed_policy'], (d, v) => {
  const t = needValue(v).trim();
  if (t !== 'shared' && t !== 'split') throw new ValueError(`expected shared or split, got ${quote(t)}`);
  d.cpusAllowedPolicy = t;
});
handle(['rate_iops'], (d, v) => {
  d.rateIops = perDdir(needValue(v), (s) => parseInteger(s, 0), d.rateIops ?? { read: 0, write: 0, trim: 0 });
});
handle(['rate'], (d, v) => {
  d.rateBytes = perDdir(needValue(v), (s) => parseBytes(s, d.kbBase), d.rateBytes ?? { read: 0, write: 0, trim: 0 });
});
handle(['rate_process'], (d, v) => {
  const t = needValue(v).trim();
  if (t !== 'linear' && t !== 'poisson') throw new ValueError(`expected linear or poisson, got ${quote(t)}`);
  d.rateProcess = t;
});
handle(['rwmixread'], (d, v) => {
  d.rwmixread = parseInteger(needValue(v), 0, 100);
});
handle(['rwmixwrite'], (d, v) => {
  d.rwmixread = 100 - parseInteger(needValue(v), 0, 100);
});
handle(['random_distribution'], (d, v) => {
  d.randomDistribution = parseRandomDistribution(needValue(v), d.kbBase);
});
handle(['random_sequence_stride'], (d, v) => {
  d.randomSequenceStride = parseInteger(needValue(v), 0);
});
handle(['norandommap'], (d, v) => {
  d.norandommap = parseBool(v);
});
handle(['randrepeat'], (d, v) => {
  d.randrepeat = parseBool(v);
});
handle(['randseed'], (d, v) => {
  d.randseed = parseInteger(needValue(v), 0);
});
handle(['direct'], (d, v) => {
  d.direct = parseBool(v);
});
handle(['buffered'], (d, v) => {
  d.direct = !parseBool(v);
});
handle(['thinktime'], (d, v) => {
  d.thinktimeNs = parseFioTimeNs(needValue(v), 'us');
});
handle(['thinktime_blocks'], (d, v) => {
  d.thinktimeBlocks = parseInteger(needValue(v), 1);
});
handle(['thinktime_spin'], (d, v) => {
  d.thinktimeSpinNs = parseFioTimeNs(needValue(v), 'us');
});
handle(['kb_base'], (d, v) => {
  const n = parseInteger(needValue(v), 0);
  if (n !== 1000 && n !== 1024) throw new ValueError(`expected 1000 or 1024, got ${n}`);
  d.kbBase = n;
});
handle(['filename'], (d, v) => {
  d.filename = needValue(v).trim();
});
handle(['directory'], (d, v) => {
  d.directory = needValue(v).trim();
});
handle(['ioengine'], (d, v) => {
  d.ioengine = needValue(v).trim();
});
handle(['description'], (d, v) => {
  d.description = (v ?? '').trim();
});
handle(['name'], (d, v) => {
  d.nameOption = needValue(v).trim();
});
handle(['stonewall', 'wait_for_previous'], (d, v) => {
  d.stonewall = parseBool(v);
});
handle(['new_group'], (d, v) => {
  d.newGroup = parseBool(v);
});

/** Options fio has that cannot change which I/Os are mapped for DMA, where or when: accepted, noted. */
const IGNORED = new Set([
  'ioengine',
  'filename',
  'directory',
  'name',
  'description',
  'group_reporting',
  'gtod_reduce',
  'gtod_cpu',
  'thread',
  'buffer_pattern',
  'buffer_compress_percentage',
  'buffer_compress_chunk',
  'dedupe_percentage',
  'refill_buffers',
  'scramble_buffers',
  'zero_buffers',
  'sg_write_mode',
  'io_submit_mode',
  'verify',
  'do_verify',
  'verify_pattern',
  'verify_interval',
  'verify_offset',
  'verify_fatal',
  'verify_dump',
  'verify_backlog',
  'verify_async',
  'verify_only',
  'experimental_verify',
  'fsync',
  'fdatasync',
  'end_fsync',
  'fsync_on_close',
  'write_bw_log',
  'write_lat_log',
  'write_iops_log',
  'write_hist_log',
  'log_avg_msec',
  'log_hist_msec',
  'per_job_logs',
  'lat_percentiles',
  'clat_percentiles',
  'slat_percentiles',
  'percentile_list',
  'disable_lat',
  'disable_clat',
  'disable_slat',
  'disable_bw_measurement',
  'bwavgtime',
  'iopsavgtime',
  'invalidate',
  'create_on_open',
  'create_only',
  'create_serialize',
  'overwrite',
  'fallocate',
  'pre_read',
  'unlink',
  'unlink_each_loop',
  'allow_file_create',
  'allow_mounted_write',
  'nrfiles',
  'filesize',
  'file_service_type',
  'openfiles',
  'iodepth_batch',
  'iodepth_batch_submit',
  'iodepth_batch_complete',
  'iodepth_batch_complete_min',
  'iodepth_batch_complete_max',
  'iodepth_low',
  'hipri',
  'fixedbufs',
  'registerfiles',
  'sqthread_poll',
  'sqthread_poll_cpu',
  'nice',
  'prio',
  'prioclass',
  'cmdprio_percentage',
  'cpuload',
  'cpuchunks',
  'mem',
  'iomem',
  'mem_align',
  'iomem_align',
  'lockmem',
  'continue_on_error',
  'ignore_error',
  'error_dump',
  'exitall',
  'exitall_on_error',
  'exec_prerun',
  'exec_postrun',
  'ioscheduler',
  'disk_util',
  'clocksource',
  'unified_rw_reporting',
  'stats',
  'unit_base',
  'uid',
  'gid',
  'random_generator',
  'softrandommap',
  'rate_iops_min',
  'rate_min',
  'ratecycle',
  'rate_ignore_thinktime',
  'offset_align',
  'serialize_overlap',
  'sync',
  'numa_cpu_nodes',
  'numa_mem_policy',
  'cgroup',
  'cgroup_weight',
  'cgroup_nodelete',
  'read_iolog',
  'write_iolog',
  'read_iolog_chunked',
  'replay_no_stall',
  'replay_redirect',
  'replay_time_scale',
  'replay_scale',
  'replay_align',
  'replay_skip',
  'steadystate',
  'steadystate_duration',
  'steadystate_ramp_time',
  'ss',
  'ss_dur',
  'ss_ramp',
  'trim_percentage',
  'trim_verify_zero',
  'trim_backlog',
  'trim_backlog_batch',
  'zonemode',
  'zonesize',
  'zonerange',
  'zoneskip',
  'zonecapacity',
  'flow',
  'flow_id',
  'flow_watermark',
  'flow_sleep',
  'max_latency',
  'latency_target',
  'latency_window',
  'latency_percentile',
  'latency_run',
  'job_max_open_zones',
  'max_open_zones',
]);

/** Options the generator does not model even though they shape the stream; accepted, noted. */
const NOT_MODELLED = new Set(['offset_align', 'softrandommap', 'random_generator', 'zonemode', 'zonesize', 'zonerange', 'zoneskip', 'rate_iops_min', 'rate_min', 'ratecycle', 'rate_ignore_thinktime', 'trim_percentage', 'nrfiles', 'filesize', 'file_service_type', 'fsync', 'fdatasync', 'end_fsync', 'iodepth_batch', 'iodepth_batch_complete', 'iodepth_low', 'flow']);

// ---------------------------------------------------------------------------------------------
// The ordered parser.

interface RawOption {
  key: string;
  value: string | undefined;
  file: string;
  line: number;
}

interface Section {
  name: string;
  global: boolean;
  file: string;
  line: number;
  options: RawOption[];
}

export interface FioParseOptions {
  /** Maximum depth of nested `include` (default 16). */
  maxIncludeDepth?: number;
}

/** fio's strip_blank_end(): drop everything from the first `;` or `#`, then trailing blanks. */
function stripComment(line: string): string {
  let end = line.length;
  const semi = line.indexOf(';');
  if (semi !== -1) end = semi;
  const hash = line.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  return line.slice(0, end).trim();
}

function resolveInclude(target: string, fromFile: string): string {
  if (isAbsolute(target)) return target;
  const beside = join(dirname(fromFile), target);
  if (existsSync(beside) || !existsSync(target)) return beside;
  return target;
}

function readText(path: string, fromFile: string | undefined, fromLine: number | undefined): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (fromFile !== undefined) throw new WorkloadError(fromFile, fromLine, 'include', message);
    throw new WorkloadError(path, undefined, 'file', message);
  }
}

function splitOption(text: string, file: string, line: number): RawOption {
  const eq = text.indexOf('=');
  if (eq === -1) return { key: text.trim(), value: undefined, file, line };
  const key = text.slice(0, eq).trim();
  if (key.length === 0) throw new WorkloadError(file, line, 'option', `missing option name before "=": ${quote(text)}`);
  return { key, value: text.slice(eq + 1).trim(), file, line };
}

function collectLines(
  text: string,
  file: string,
  sections: Section[],
  nested: boolean,
  target: Section | undefined,
  depth: number,
  options: FioParseOptions,
): void {
  const lines = text.split(/\r?\n/);
  let current = target;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const stripped = stripComment(lines[i]);
    if (stripped.length === 0) continue;
    if (stripped.startsWith('[')) {
      if (nested) throw new WorkloadError(file, lineNo, 'section', 'an included file cannot start sections (fio: "No new sections in included files")');
      if (!stripped.endsWith(']') || stripped.length < 3) throw new WorkloadError(file, lineNo, 'section', `expected [name], got ${quote(stripped)}`);
      const name = stripped.slice(1, -1).trim();
      if (name.length === 0) throw new WorkloadError(file, lineNo, 'section', 'empty section name');
      current = { name, global: name.startsWith('global'), file, line: lineNo, options: [] };
      sections.push(current);
      continue;
    }
    if (current === undefined) throw new WorkloadError(file, lineNo, 'option', `${quote(stripped)} is outside of any [section]`);
    if (/^include(\s|$)/.test(stripped)) {
      const target = stripped.slice(7).trim();
      if (target.length === 0) throw new WorkloadError(file, lineNo, 'include', 'missing file name');
      const maxDepth = options.maxIncludeDepth ?? 16;
      if (depth >= maxDepth) throw new WorkloadError(file, lineNo, 'include', `nested more than ${maxDepth} deep (an include loop?)`);
      const path = resolveInclude(target, file);
      collectLines(readText(path, file, lineNo), path, sections, true, current, depth + 1, options);
      continue;
    }
    current.options.push(splitOption(stripped, file, lineNo));
  }
}

interface Collector {
  warnings: FioDiagnostic[];
  notes: FioDiagnostic[];
  warned: Set<string>;
  noted: Set<string>;
}

function applyOptions(draft: Draft, opts: RawOption[], collector: Collector): void {
  // kb_base changes how every size is read, whatever its position (fio parses it first).
  for (const opt of opts) {
    if (opt.key === 'kb_base') apply(draft, opt, HANDLERS.get('kb_base') as Handler);
  }
  for (const opt of opts) {
    if (opt.key === 'kb_base') continue;
    if (opt.value !== undefined && opt.value.includes('${') && !collector.warned.has(`env:${opt.key}`)) {
      collector.warned.add(`env:${opt.key}`);
      collector.warnings.push({ file: opt.file, line: opt.line, option: opt.key, message: '${VAR} environment substitution is not performed; the value is used as written' });
    }
    const handler = HANDLERS.get(opt.key);
    if (handler) apply(draft, opt, handler);
    if (IGNORED.has(opt.key) || NOT_MODELLED.has(opt.key)) {
      if (!collector.noted.has(opt.key)) {
        collector.noted.add(opt.key);
        const message = NOT_MODELLED.has(opt.key)
          ? 'accepted; not modelled by the generator'
          : 'accepted; has no effect on DMA mapping';
        collector.notes.push({ file: opt.file, line: opt.line, option: opt.key, message });
      }
    } else if (!handler && !collector.warned.has(opt.key)) {
      collector.warned.add(opt.key);
      collector.warnings.push({ file: opt.file, line: opt.line, option: opt.key, message: 'unknown option, ignored' });
    }
  }
}

function apply(draft: Draft, opt: RawOption, handler: Handler): void {
  try {
    handler(draft, opt.value);
  } catch (error) {
    if (error instanceof ValueError) throw new WorkloadError(opt.file, opt.line, opt.key, error.message);
    throw error;
  }
}

function finish(draft: Draft, section: Section, index: number, effective: RawOption[]): FioJob {
  const { nameOption, ...rest } = draft;
  const options: Record<string, string | true> = {};
  const ignored: string[] = [];
  for (const opt of effective) {
    options[opt.key] = opt.value ?? true;
    if ((IGNORED.has(opt.key) || NOT_MODELLED.has(opt.key)) && !ignored.includes(opt.key)) ignored.push(opt.key);
  }
  const ownName = section.options.some((o) => o.key === 'name');
  const job: FioJob = {
    ...rest,
    name: ownName && nameOption !== undefined ? nameOption : section.name,
    section: section.name,
    index,
    file: section.file,
    line: section.line,
    options,
    ignoredOptions: ignored,
  };
  if (job.blockAlign && job.random) {
    const differs = FIO_DDIRS.some((d) => job.blockAlign !== undefined && job.blockAlign[d] !== 0 && job.blockAlign[d] !== job.bs[d]);
    if (differs) job.norandommap = true; // fio: "Any use of blockalign= turns off randommap"
  }
  return job;
}

/** Parses job-file text. `file` names it in errors and anchors relative includes. */
export function parseFioJobText(text: string, file = '<fio job>', options: FioParseOptions = {}): FioJobFile {
  const sections: Section[] = [];
  collectLines(text, file, sections, false, undefined, 0, options);
  const collector: Collector = { warnings: [], notes: [], warned: new Set(), noted: new Set() };
  const globals: RawOption[] = [];
  const jobs: FioJob[] = [];
  for (const section of sections) {
    if (section.global) {
      // Validate a global section when it is read, so its errors point at it even if no job follows.
      applyOptions(defaultDraft(), [...globals, ...section.options], collector);
      globals.push(...section.options);
      continue;
    }
    const effective = [...globals, ...section.options];
    const draft = defaultDraft();
    applyOptions(draft, effective, collector);
    jobs.push(finish(draft, section, jobs.length, effective));
  }
  return { file, jobs, warnings: collector.warnings, notes: collector.notes };
}

/** Reads and parses a fio job file (job files are small; this reads it whole). */
export function parseFioJobFile(path: string, options: FioParseOptions = {}): FioJobFile {
  return parseFioJobText(readText(path, undefined, undefined), path, options);
}

/** The effective minimum block size of a direction (bssplit, bsrange or bs, in fio's precedence). */
export function minBlockSize(job: FioJob, dir: FioDdir): number {
  const split = job.bsSplit?.[dir];
  if (split && split.length > 0) return Math.min(...split.map((e) => e.bytes));
  const range = job.bsRange?.[dir];
  if (range && range.min > 0) return range.min;
  return job.bs[dir];
}

/** The effective maximum block size of a direction. */
export function maxBlockSize(job: FioJob, dir: FioDdir): number {
  const split = job.bsSplit?.[dir];
  if (split && split.length > 0) return Math.max(...split.map((e) => e.bytes));
  const range = job.bsRange?.[dir];
  if (range && range.max > 0) return range.max;
  return job.bs[dir];
}
