/**
 * Golden-trace replay: reads the conformance trace format (../shared/conformance/README.md), runs it
 * against IovaDomain + Rcache for a kernel profile, and prints what the kernel's own code printed.
 *
 * A trace is parsed and checked completely before it runs, so a malformed line is reported as
 * `FILE:LINE: what is wrong` without running anything. Traces whose numbers all stay below 2^53 run
 * with number pfns; any larger number switches the whole replay to bigint pfns.
 */
import { IovaDomain } from '../allocators/iova-domain.js';
import type { KernelProfile } from '../allocators/kernel-version.js';
import { bigintPfn, NUMBER_PFN_LIMIT, numberPfn, type PfnArithmetic } from '../allocators/pfn.js';
import { IOVA_RANGE_CACHE_MAX_SIZE, Rcache } from '../rcache/rcache.js';

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
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

const OPS: Record<string, { op: Op; args: string[] }> = {
  cpus: { op: Op.Cpus, args: ['N'] },
  domain: { op: Op.Domain, args: ['G', 'S'] },
  rcache: { op: Op.Rcache, args: [] },
  cpu: { op: Op.Cpu, args: ['N'] },
  alloc: { op: Op.Alloc, args: ['SIZE', 'LIMIT', 'A'] },
  free: { op: Op.Free, args: ['PFN'] },
  find: { op: Op.Find, args: ['PFN'] },
  reserve: { op: Op.Reserve, args: ['LO', 'HI'] },
  alloc_fast: { op: Op.AllocFast, args: ['SIZE', 'LIMIT', 'F'] },
  free_fast: { op: Op.FreeFast, args: ['PFN', 'SIZE'] },
  tick: { op: Op.Tick, args: ['MS'] },
  stats: { op: Op.Stats, args: [] },
  dump: { op: Op.Dump, args: [] },
  rcdump: { op: Op.Rcdump, args: [] },
  cpudead: { op: Op.CpuDead, args: ['N'] },
};

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** One parsed line. Numbers below 2^53 are kept as numbers, larger ones as bigints. */
export interface ParsedOp {
  readonly op: Op;
  readonly line: number;
  values: (number | bigint)[];
  /** For a PFN argument given as `@k`: k; otherwise -1. */
  readonly handle: number;
}

export interface IovaTrace {
  readonly file: string;
  readonly ops: readonly ParsedOp[];
  /** True when some number reaches 2^53, so the replay must use bigint pfns. */
  readonly needsBigintPfns: boolean;
}

/** Splits a line on spaces and tabs, dropping a `#` comment (faster than a regular expression). */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 35 /* # */) break;
    const blank = c === 32 || c === 9 || c === 13;
    if (blank) {
      if (start >= 0) tokens.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) {
    const hash = line.indexOf('#', start);
    tokens.push(line.slice(start, hash >= 0 ? hash : line.length));
  }
  return tokens;
}

/** A decimal token's value: a number while exact (up to 15 digits), else a bigint; null if not decimal. */
function parseDecimal(token: string): number | bigint | null {
  let value = 0;
  for (let i = 0; i < token.length; i++) {
    const digit = token.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  if (token.length <= 15) return value;
  const big = BigInt(token);
  return big < BigInt(NUMBER_PFN_LIMIT) ? Number(big) : big;
}

/** Parses and checks a whole trace; throws TraceError naming the file and line. */
export function parseIovaTrace(text: string, file: string): IovaTrace {
  const ops: ParsedOp[] = [];
  let needsBigintPfns = false;
  let cpus = 1;
  let cpusGiven = false;
  let domainLine = 0;
  let rcacheLine = 0;
  let allocs = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const fail = (problem: string): never => {
      throw new TraceError(file, lineNumber, problem);
    };
    const tokens = tokenize(lines[index]);
    if (tokens.length === 0) continue;
    const name = tokens[0];
    const spec = Object.prototype.hasOwnProperty.call(OPS, name) ? OPS[name] : undefined;
    if (spec === undefined) fail(`unknown operation "${name}" (expected one of ${Object.keys(OPS).join(', ')})`);
    const { op, args } = spec as { op: Op; args: string[] };
    if (tokens.length - 1 !== args.length) {
      fail(`${name} takes ${args.length} argument${args.length === 1 ? '' : 's'} (${args.join(' ') || 'none'}), got ${tokens.length - 1}`);
    }
    const values: (number | bigint)[] = [];
    let handle = -1;
    for (let i = 0; i < args.length; i++) {
      const token = tokens[i + 1];
      const field = args[i];
      if (field === 'PFN' && token.charCodeAt(0) === 64 /* @ */) {
        const k = parseDecimal(token.slice(1));
        if (k === null || token.length === 1) fail(`${field} handle "${token}" is not @ followed by a decimal number`);
        if ((k as number | bigint) >= allocs) fail(`${field} handle ${token} names alloc #${k}, but only ${allocs} alloc/alloc_fast came before it`);
        handle = Number(k);
        values.push(0);
        continue;
      }
      const value = parseDecimal(token);
      if (value === null) fail(`${field} "${token}" is not an unsigned decimal number`);
      if (typeof value === 'bigint') {
        if (value > U64_MAX) fail(`${field} ${token} does not fit in 64 bits`);
        needsBigintPfns = true;
      }
      values.push(value as number | bigint);
    }
    const needDomain = (): void => {
      if (domainLine === 0) fail(`${name} before "domain"`);
    };
    const needRcache = (): void => {
      if (rcacheLine === 0) fail(`${name} before "rcache"`);
    };
    switch (op) {
      case Op.Cpus:
        if (rcacheLine !== 0) fail(`cpus after "rcache" (line ${rcacheLine})`);
        if (values[0] < 1 || values[0] > 64) fail(`N ${values[0]} is outside 1..64`);
        cpus = Number(values[0]);
        cpusGiven = true;
        break;
      case Op.Domain: {
        if (domainLine !== 0) fail(`second "domain" (the first is on line ${domainLine})`);
        const granule = Number(values[0]);
        if (granule < 1 || granule > 4096 || (granule & (granule - 1)) !== 0) fail(`G ${values[0]} is not a power of two up to 4096`);
        domainLine = lineNumber;
        break;
      }
      case Op.Rcache:
        needDomain();
        if (rcacheLine !== 0) fail(`second "rcache" (the first is on line ${rcacheLine})`);
        rcacheLine = lineNumber;
        break;
      case Op.Cpu:
        if (values[0] >= cpus) fail(`N ${values[0]} is not below the CPU count ${cpus}${cpusGiven ? '' : ' (default; set it with "cpus N")'}`);
        break;
      case Op.Alloc:
      case Op.AllocFast:
        needDomain();
        if (op === Op.AllocFast) needRcache();
        if (values[0] < 1) fail('SIZE must be at least 1');
        if (values[1] > U64_MAX - 1n) fail(`LIMIT ${values[1]} is above 2^64 - 2`);
        if (values[2] > 1) fail(`${args[2]} must be 0 or 1, got ${values[2]}`);
        allocs++;
        break;
      case Op.Reserve:
        needDomain();
        if (values[0] > values[1]) fail(`LO ${values[0]} is above HI ${values[1]}`);
        break;
      case Op.FreeFast:
        needRcache();
        if (values[1] < 1) fail('SIZE must be at least 1');
        break;
      case Op.Rcdump:
        needRcache();
        break;
      case Op.CpuDead:
        needRcache();
        if (values[0] >= cpus) fail(`N ${values[0]} is not below the CPU count ${cpus}`);
        break;
      case Op.Tick:
        if (values[0] > Number.MAX_SAFE_INTEGER) fail(`MS ${values[0]} is too large`);
        break;
      default:
        needDomain();
    }
    ops.push({ op, line: lineNumber, values, handle });
  }
  // One representation for the whole replay, so its hot paths see a single type.
  if (needsBigintPfns) for (const entry of ops) entry.values = entry.values.map((v) => BigInt(v));
  return { file, ops, needsBigintPfns };
}

export interface ReplayOptions {
  /**
   * Pfn representation: `auto` (number unless some value needs 64 bits) or `bigint` (always; for
   * checking that both representations agree).
   */
  readonly pfns?: 'auto' | 'bigint';
}

/** Replays a parsed trace for a kernel profile; returns exactly the text the kernel printed. */
export function runIovaTrace(trace: IovaTrace, profile: KernelProfile, options: ReplayOptions = {}): string {
  const out: string[] = [];
  if (trace.needsBigintPfns || options.pfns === 'bigint') replay(trace, bigintPfn, profile, out);
  else replay(trace, numberPfn, profile, out);
  out.push('');
  return out.join('\n');
}

/** What a trace handle resolves to when its alloc failed. */
const FAILED = -1;

function replay<P extends number | bigint>(trace: IovaTrace, arith: PfnArithmetic<P>, profile: KernelProfile, out: string[]): void {
  const format = arith.format;
  let cpus = 1;
  let domain: IovaDomain<P> | null = null;
  let rcache: Rcache<P> | null = null;
  let currentCpu = 0;
  const results: (P | typeof FAILED)[] = [];
  // A number trace replayed with bigint pfns (to check that both representations agree).
  const widen = arith.kind === 'bigint' && !trace.needsBigintPfns;
  for (const entry of trace.ops) {
    const v = (widen ? entry.values.map((value) => BigInt(value)) : entry.values) as P[];
    const pfnArgument = (): P | typeof FAILED => (entry.handle >= 0 ? results[entry.handle] : v[0]);
    switch (entry.op) {
      case Op.Cpus:
        if (profile.rcacheInitInDomain && domain !== null) {
          throw new TraceError(trace.file, entry.line, `cpus after "domain": kernel ${profile.version} sets up the rcaches inside init_iova_domain(), so the CPU count must come first`);
        }
        cpus = Number(v[0]);
        break;
      case Op.Domain:
        domain = new IovaDomain<P>(arith, profile, Number(v[0]), v[1]);
        // Until 5.17 init_iova_domain() sets up the rcaches itself, for the CPUs known by then.
        if (profile.rcacheInitInDomain) rcache = newRcache(domain, arith, profile, cpus, currentCpu);
        break;
      case Op.Rcache:
        // iova_domain_init_rcaches() (5.18+); before, the rcaches exist already and this does nothing.
        if (!profile.rcacheInitInDomain) rcache = newRcache(domain as IovaDomain<P>, arith, profile, cpus, currentCpu);
        break;
      case Op.Cpu:
        currentCpu = Number(v[0]);
        if (rcache !== null) rcache.currentCpu = currentCpu;
        break;
      case Op.Alloc: {
        const d = domain as IovaDomain<P>;
        const node = d.allocIovaNode(v[0], v[1], Number(v[2]) === 1);
        if (node === null) {
          results.push(FAILED);
          out.push(d.lastAllocHung ? 'hang' : 'fail');
        } else {
          results.push(node.pfnLo);
          out.push(`${format(node.pfnLo)} ${format(node.pfnHi)}`);
        }
        break;
      }
      case Op.AllocFast: {
        const r = rcache as Rcache<P>;
        const pfn = r.allocIovaFast(v[0], v[1], Number(v[2]) === 1);
        if (r.lastAllocHung) {
          results.push(FAILED);
          out.push('hang');
        } else {
          results.push(pfn === arith.zero ? FAILED : pfn);
          out.push(format(pfn));
        }
        break;
      }
      case Op.Free: {
        const pfn = pfnArgument();
        if (pfn === FAILED) {
          out.push('skip');
          break;
        }
        const d = domain as IovaDomain<P>;
        const node = d.findIovaNode(pfn);
        if (node === null) out.push('missing');
        else if (node === d.anchor) out.push('anchor');
        else {
          d.removeIova(node);
          out.push('ok');
        }
        break;
      }
      case Op.Find: {
        const pfn = pfnArgument();
        if (pfn === FAILED) {
          out.push('skip');
          break;
        }
        const node = (domain as IovaDomain<P>).findIovaNode(pfn);
        out.push(node === null ? 'none' : `${format(node.pfnLo)} ${format(node.pfnHi)}`);
        break;
      }
      case Op.Reserve:
        out.push((domain as IovaDomain<P>).reserveIova(v[0], v[1]) ? 'ok' : 'fail');
        break;
      case Op.FreeFast: {
        const pfn = pfnArgument();
        if (pfn === FAILED) {
          out.push('skip');
          break;
        }
        (rcache as Rcache<P>).freeIovaFast(pfn, v[1]);
        out.push('ok');
        break;
      }
      case Op.Tick:
        (rcache as Rcache<P> | null)?.tick(Number(v[0]));
        break;
      case Op.Stats: {
        const d = domain as IovaDomain<P>;
        out.push(`nodes ${d.nodeCount}`, `visits ${d.visits}`);
        break;
      }
      case Op.Dump:
        for (const range of (domain as IovaDomain<P>).ranges()) out.push(`${format(range.pfnLo)} ${format(range.pfnHi)}`);
        out.push('end');
        break;
      case Op.Rcdump:
        dumpRcache(rcache as Rcache<P>, profile, format, out);
        break;
      case Op.CpuDead:
        // The harness runs the teardown callback (iova_cpuhp_dead()) and nothing else: the CPU
        // stays in the online count, and the trace may go on using it.
        (rcache as Rcache<P>).freeCpuCachedIovas(Number(v[0]));
        break;
    }
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

function dumpRcache<P extends number | bigint>(rcache: Rcache<P>, profile: KernelProfile, format: (p: P) => string, out: string[]): void {
  for (let order = 0; order < IOVA_RANGE_CACHE_MAX_SIZE; order++) {
    const sizeClass = rcache.classes[order];
    out.push(`rc ${order} depot ${sizeClass.depot.length}`);
    sizeClass.cpus.forEach((cpuRcache, cpu) => {
      out.push(`rc ${order} cpu ${cpu} loaded ${magazineText(cpuRcache.loaded.size, cpuRcache.loaded.pfns, format)}`);
      out.push(`rc ${order} cpu ${cpu} prev ${magazineText(cpuRcache.prev.size, cpuRcache.prev.pfns, format)}`);
    });
    const depot = sizeClass.depot;
    for (let k = 0; k < depot.length; k++) {
      const magazine = depot[depot.length - 1 - k];
      out.push(`rc ${order} mag ${k} ${magazineText(magazine.size, magazine.pfns, format)}`);
    }
    if (profile.depot === 'list') {
      const work = sizeClass.trimWork;
      out.push(`rc ${order} work ${work.isPending ? 1 : 0} ${work.isPending ? work.dueMs : 0}`);
    }
  }
  out.push('end');
}
