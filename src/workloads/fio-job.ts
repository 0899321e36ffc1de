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
 * - `${VAR}` is replaced by the environment variable's value before the line is read, and by
 *   nothing when the variable is unset (fio's init.c does the same: `filename=/x${UNSET}y` opens
 *   `/xy`, verified with fio 3.33). fio's keywords `$pagesize`, `$ncpus` and `$mb_memory` are
 *   replaced too (the page size defaults to 4096; the other two must be given: they describe the
 *   host fio would run on). The environment and keywords come from FioParseOptions, so a parse is
 *   reproducible.
 * - A numeric value written `(expr)` or `$(expr)` is evaluated as fio's parse.c does
 *   (fio-expression.ts): + - * / % ^ with size or time units.
 * - Sizes follow fio's str_to_decimal: k/m/g/t/p with an optional b, and the IEC forms KiB/MiB/…;
 *   with the default kb_base=1024 fio's compatibility rule applies, so `4k` = `4kb` = 4096 but
 *   `4KiB` = 4000; with kb_base=1000 it is the other way round. Hex (`0x…`) is accepted without
 *   a suffix. Fractions (`1.5g`) are rejected rather than truncated the way fio would.
 * - Times: runtime/ramp_time/startdelay default to seconds, thinktime to microseconds; suffixes
 *   us/usec, ms/msec, s/sec, m/min, h/hour, d/day. Stored here in nanoseconds.
 * - Per-direction values (`bs=4k,8k`): one value applies to reads, writes and trims; with commas
 *   the values are read,write,trim, an empty value keeps the default, and a list not ending in a
 *   comma carries its last value on to the remaining directions.
 * - An option fio does not have is an error naming file and line (fio refuses the job: "Bad
 *   option"), with the closest real names. Every option fio has is accepted; the ones the
 *   simulation does not reproduce are announced once each in `notes`, from the table in
 *   fio-options.ts. Malformed values are WorkloadErrors naming file, line and option.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { WorkloadError, quote } from './errors.js';
import { FioExpressionError, evaluateFioExpression, isFioExpression, type FioExpressionUnits } from './fio-expression.js';
import { closestFioOptions, fioOptionGroup } from './fio-options.js';

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
  /** filesize (a range: its lower bound): the size of the job's file when `size` is not set. */
  fileSizeBytes?: number;
  /** wait_for=NAME: the job starts when the job of that name has finished. */
  waitFor?: string;
  /** verify set to a checksum (not 0/null): the written blocks are read back after the writes. */
  verify: boolean;
  /** do_verify=0 turns the read-back off even with verify set. */
  doVerify: boolean;
  /** verify_only: only the read-back is issued. */
  verifyOnly: boolean;
  zoneMode: 'none' | 'strided' | 'zbd';
  /** zonesize in bytes (0 = the device's; needed for zonemode=zbd). */
  zoneSizeBytes: number;
  /** max_open_zones / job_max_open_zones (0 = no limit). */
  maxOpenZones: number;
  jobMaxOpenZones: number;
  /** percentage_random (per direction, of a random job: the rest continue sequentially). */
  percentageRandom: PerDdir<number>;
  /** Every option in effect (globals first, later settings replacing earlier), as written; `true` for a bare flag. */
  options: Record<string, string | true>;
  /** Options present that the simulation does not reproduce or that cannot affect it (see fio-options.ts). */
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
  /** Kept for callers; unknown options are errors now, so nothing is put here. */
  warnings: FioDiagnostic[];
  /** One per option (name) present that is not simulated or only approximated, and per value the simulation treats specially (ioengine=null). */
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

function evaluate(text: string, units: FioExpressionUnits, kbBase: 1000 | 1024): number {
  try {
    return evaluateFioExpression(text, units, kbBase);
  } catch (error) {
    if (error instanceof FioExpressionError) throw new ValueError(error.message);
    throw error;
  }
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
  if (isFioExpression(t)) return { kind: 'bytes', bytes: evaluate(t, 'size', kbBase) };
  if (t.startsWith('$')) throw new ValueError(`unknown $keyword in ${quote(t)} (fio has $pagesize, $ncpus, $mb_memory)`);
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
  if (isFioExpression(t)) {
    // In an expression a bare number is in microseconds, whatever the option's own unit (fio's HOWTO).
    const us = evaluate(t, 'time', 1024);
    if (us < 0) throw new ValueError(`negative time: ${quote(t)}`);
    return us * 1000;
  }
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
  if (isFioExpression(t)) v = evaluate(t, 'none', 1024);
  else if (/^\d+$/.test(t)) v = Number(t);
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
      // fio's split_parse_ddir stops at an empty entry (so a trailing ':' is harmless); an entry
      // without a size, or with an empty one (`20/`), is "the rest": zoned's missing sizes share
      // what the others leave of 100 %. zoned_abs needs every size.
      const entries = arg.split(':');
      while (entries.length > 0 && entries[entries.length - 1].trim() === '') entries.pop();
      if (entries.length === 0) throw new ValueError(`${kind} needs zones like 60/10:30/20:10/70`);
      const zones = entries.map((z) => {
        const slash = z.indexOf('/');
        const a = slash === -1 ? z : z.slice(0, slash);
        const s = slash === -1 ? '' : z.slice(slash + 1).trim();
        const accessPercent = parseNumber(a, 'access percentage');
        accessTotal += accessPercent;
        if (kind === 'zoned') {
          if (s === '') return { accessPercent, sizePercent: -1, sizeBytes: 0 };
          const sizePercent = parseNumber(s, 'size percentage');
          sizeTotal += sizePercent;
          return { accessPercent, sizePercent, sizeBytes: 0 };
        }
        if (s === '') throw new ValueError(`zoned_abs needs a size for every zone: ${quote(z)}`);
        const sizeBytes = parseBytes(s, kbBase);
        if (sizeBytes <= 0) throw new ValueError(`zone size must be positive: ${quote(z)}`);
        return { accessPercent, sizePercent: 0, sizeBytes };
      });
      if (Math.abs(accessTotal - 100) > 1e-9) throw new ValueError(`access percentages add up to ${accessTotal}, not 100`);
      if (kind === 'zoned') {
        if (sizeTotal > 100 + 1e-9) throw new ValueError(`size percentages add up to ${sizeTotal}, over 100`);
        const missing = zones.filter((z) => z.sizePercent < 0).length;
        // Sizes adding up to less than 100 % leave the end of the region unaccessed, as in fio.
        const share = missing > 0 ? (100 - sizeTotal) / missing : 0;
        return { kind, zones: zones.map(({ accessPercent, sizePercent }) => ({ accessPercent, sizePercent: sizePercent < 0 ? share : sizePercent })) };
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
    verify: false,
    doVerify: true,
    verifyOnly: false,
    zoneMode: 'none',
    zoneSizeBytes: 0,
    maxOpenZones: 0,
    jobMaxOpenZones: 0,
    percentageRandom: { read: 100, write: 100, trim: 100 },
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
handle(['bs_unaligned', 'blocksize_unaligned'], (d, v) => {
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
handle(['filesize'], (d, v) => {
  const t = needValue(v).trim();
  d.fileSizeBytes = /[-:]/.test(t) ? parseRangeOne(t, d.kbBase).min : parseBytes(t, d.kbBase);
});
handle(['wait_for'], (d, v) => {
  d.waitFor = needValue(v).trim();
});
handle(['verify'], (d, v) => {
  const t = needValue(v).trim();
  d.verify = t !== '0' && t !== 'null';
});
handle(['do_verify'], (d, v) => {
  d.doVerify = parseBool(v);
});
handle(['verify_only'], (d, v) => {
  d.verifyOnly = parseBool(v);
});
handle(['zonemode'], (d, v) => {
  const t = needValue(v).trim();
  if (t !== 'none' && t !== 'strided' && t !== 'zbd') throw new ValueError(`expected none, strided or zbd, got ${quote(t)}`);
  d.zoneMode = t;
});
handle(['zonesize'], (d, v) => {
  d.zoneSizeBytes = parseBytes(needValue(v), d.kbBase);
});
handle(['max_open_zones'], (d, v) => {
  d.maxOpenZones = parseInteger(needValue(v), 0);
});
handle(['job_max_open_zones'], (d, v) => {
  d.jobMaxOpenZones = parseInteger(needValue(v), 0);
});
handle(['percentage_random'], (d, v) => {
  d.percentageRandom = perDdir(needValue(v), (s) => parseInteger(s, 0, 100), d.percentageRandom);
});
handle(['percentage_sequential'], (d, v) => {
  const sequential = perDdir(needValue(v), (s) => parseInteger(s, 0, 100), { read: 0, write: 0, trim: 0 });
  d.percentageRandom = { read: 100 - sequential.read, write: 100 - sequential.write, trim: 100 - sequential.trim };
});

for (const name of HANDLERS.keys()) {
  if (fioOptionGroup(name) === undefined) throw new Error(`fio-job.ts reads ${name}, which fio-options.ts does not list`);
}

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
  /** The environment `${VAR}` reads (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** fio's `$pagesize` (default 4096). */
  pageSize?: number;
  /** fio's `$ncpus`: the host's CPU count (a job using it without this is an error). */
  ncpus?: number;
  /** fio's `$mb_memory`: the host's memory in MiB (likewise). */
  mbMemory?: number;
}

/**
 * fio's substitutions on an option line (init.c): `${VAR}` by the variable's value or nothing,
 * then the keywords `$pagesize`, `$ncpus`, `$mb_memory`; a value that then reads as arithmetic
 * (`8*1024`) is wrapped in parentheses so it is evaluated, as fio's keyword replacement does.
 */
function optionName(text: string): string {
  const eq = text.indexOf('=');
  return (eq === -1 ? text : text.slice(0, eq)).trim();
}

function substitute(text: string, file: string, line: number, options: FioParseOptions): string {
  const env = options.env ?? process.env;
  let out = text.replace(/\$\{([^}]*)\}/g, (_, name: string) => env[name] ?? '');
  if (!out.includes('$')) return out;
  let replacedKeyword = false;
  out = out.replace(/\$(pagesize|ncpus|mb_memory)\b/g, (_, keyword: string) => {
    replacedKeyword = true;
    const value = keyword === 'pagesize' ? (options.pageSize ?? 4096) : keyword === 'ncpus' ? options.ncpus : options.mbMemory;
    if (value === undefined) throw new WorkloadError(file, line, optionName(text), keyword === 'ncpus' ? 'the host\'s CPU count is needed for $ncpus (pass ncpus to the parser)' : 'the simulated host\'s memory is needed for $mb_memory: give it in MiB with --mb-memory (iovasim run) or mbMemory (runScenario, the parser); fio would read the machine\'s own');
    return String(value);
  });
  if (replacedKeyword) {
    const eq = out.indexOf('=');
    if (eq !== -1) {
      const value = out.slice(eq + 1).trim();
      if (/^[\d\s()+\-*/%^.a-z]*[+\-*/%^][\d\s()+\-*/%^.a-z]*$/i.test(value) && !value.startsWith('(')) out = `${out.slice(0, eq + 1)}(${value})`;
    }
  }
  return out;
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
    current.options.push(splitOption(substitute(stripped, file, lineNo, options), file, lineNo));
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
    const group = fioOptionGroup(opt.key);
    if (group === undefined) {
      const close = closestFioOptions(opt.key);
      throw new WorkloadError(opt.file, opt.line, opt.key, `fio has no such option${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}`);
    }
    const handler = HANDLERS.get(opt.key);
    if (handler) apply(draft, opt, handler);
    const inert = group.offValues !== undefined && group.offValues.includes((opt.value ?? '1').trim());
    if ((group.status === 'not simulated' || group.status === 'approximated') && !inert) {
      note(collector, opt, `${group.status}: ${group.how}`);
    }
    if (opt.key === 'ioengine' && opt.value !== undefined && !engineDoesDeviceIo(opt.value.trim())) {
      note(collector, opt, `${opt.value.trim()}: fio does no block-device I/O with this engine, so the job issues none`);
    }
    if (opt.key === 'random_distribution' && opt.value !== undefined && /^(normal|gauss)\b/.test(opt.value.trim())) {
      note(collector, opt, 'approximated: normal is drawn as a Gaussian of that deviation around the centre, where fio\'s gauss.c averages 12 uniform draws and hashes the result across the region (the same spread, other blocks hot)');
    }
    if (opt.key === 'filesize' && opt.value !== undefined && /[-:]/.test(opt.value)) {
      note(collector, opt, 'approximated: a filesize range is taken at its lower bound (fio picks each file\'s size at random in it)');
    }
    if (opt.key === 'zonemode' && opt.value?.trim() === 'strided') {
      note(collector, opt, 'not simulated: zonemode=strided (zonerange/zonesize/zoneskip) is run as zonemode=none');
    }
  }
}

function note(collector: Collector, opt: RawOption, message: string): void {
  const key = `${opt.key}\n${message}`;
  if (collector.noted.has(key)) return;
  collector.noted.add(key);
  collector.notes.push({ file: opt.file, line: opt.line, option: opt.key, message });
}

/** fio's engines that move no data to or from a block device (null completes I/O without doing it). */
const NO_DEVICE_IO_ENGINES = new Set(['null', 'cpuio', 'net', 'netsplice', 'exec', 'filecreate', 'filestat', 'filedelete', 'ftruncate', 'falloc', 'e4defrag', 'rdma', 'rados', 'rbd', 'gfapi', 'gfapi_async', 'http', 'nfs', 'dfs']);

/** Whether fio's engine of this name issues I/O to the block device (external engines `external:…` are assumed to). */
export function engineDoesDeviceIo(engine: string): boolean {
  return !NO_DEVICE_IO_ENGINES.has(engine);
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
    const status = fioOptionGroup(opt.key)?.status;
    if ((status === 'not simulated' || status === 'no effect') && !ignored.includes(opt.key)) ignored.push(opt.key);
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
