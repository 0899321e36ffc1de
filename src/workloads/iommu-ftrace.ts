/**
 * ftrace text of the IOMMU and DMA-API tracepoints, turned into mapping events so a replay can
 * compare where a model placed each mapping with where the kernel did.
 *
 * Line shape (trace, trace_pipe, trace-cmd report):
 *     TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: PAYLOAD        (FLAGS and a `(TGID)` column optional)
 * Header-less `EVENT: PAYLOAD` lines (as quoted in mailing-list excerpts) are accepted for the
 * events below; they have no time or CPU.
 *
 * iommu:map    `IOMMU: [dev=NAME ]iova=0x%016llx[ - 0x%016llx] paddr=0x%016llx size=%zu`
 * iommu:unmap  `IOMMU: [dev=NAME ]iova=0x%016llx[ - 0x%016llx] size=%zu unmapped_size=%zu`
 *              (the ` - END` form is from ~6.3 on; END must equal iova + size)
 * dma:dma_map_page / dma_map_phys / dma_map_resource   `DEV dir=D dma_addr=%llx size=%zu phys_addr=%llx attrs=…`
 * dma:dma_unmap_page / dma_unmap_phys / dma_unmap_resource  `DEV dir=D dma_addr=%llx size=%zu attrs=…`
 * dma:dma_alloc / dma_alloc_pages / dma_alloc_sgt   → map;  dma:dma_free / dma_free_pages / dma_free_sgt → unmap
 * dma:dma_map_sg   `DEV dir=D [nents=a/b ents=c/d[ [TRUNCATED]]] dma_addrs={…} sizes={…} phys_addrs={…} attrs=…`
 * dma:dma_unmap_sg `DEV dir=D phys_addrs={…} attrs=…`   — carries no DMA address: the reader
 *              matches it to the outstanding dma_map_sg of the same device with the same phys_addrs
 *              and reports that mapping's IOVA (null when the map was not in the trace).
 *
 * Other events (io_page_fault, dma_sync_*, *_err, unrelated tracepoints), `#` comment/header lines,
 * trace-cmd's `cpus=N` line and `CPU:N [LOST M EVENTS]` markers are not mapping events and are
 * skipped (counted in `stats`). A line that is none of these is an error.
 */
import { WorkloadError, quote } from './errors.js';
import { parseSecondsFraction } from './fields.js';
import type { ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export type MappingKind = 'map' | 'unmap';

export interface MappingSegment {
  iova: bigint;
  sizeBytes: number;
}

export interface MappingEvent {
  /** Nanoseconds since the first time-stamped event; absent on header-less lines. */
  timeNs?: number;
  /** The raw ftrace timestamp, in nanoseconds (since boot for the default clock); absent on header-less lines. */
  traceTimeNs?: number;
  cpu?: number;
  task?: string;
  pid?: number;
  /** The device (`0000:c2:00.0`, or iommu's `dev=`); absent for mainline iommu:map/unmap. */
  device?: string;
  kind: MappingKind;
  /** The tracepoint: `map`, `unmap`, `dma_map_sg`, `dma_free`, … */
  event: string;
  /** The IOVA (DMA address), exact; null only for a dma_unmap_sg whose dma_map_sg was not seen. */
  iova: bigint | null;
  /** Bytes mapped or unmapped (for map_sg, the sum of the output segment lengths); 0 when unknown. */
  sizeBytes: number;
  /** iommu:unmap's unmapped_size. */
  unmappedBytes?: number;
  /** Physical address for single mappings (iommu:map paddr, dma_map_* phys_addr). */
  physAddr?: bigint;
  /** dma_map_sg output segments (DMA address and length of each). */
  segments?: MappingSegment[];
  /** dma_map_sg / dma_unmap_sg / *_sgt input physical addresses. */
  physAddrs?: bigint[];
  /** DMA direction: BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE or NONE. */
  dir?: string;
  /** The kernel truncated the printed arrays (over 128 entries). */
  truncated?: boolean;
  line: number;
}

export interface FtraceStats extends ReadStats {
  /** Events the ring buffer dropped, from `[LOST N EVENTS]` markers. */
  lostEvents: number;
  /** dma_unmap_sg events whose dma_map_sg was not in the trace. */
  unmatchedUnmapSg: number;
}

export function newFtraceStats(): FtraceStats {
  return { ignored: 0, nonData: 0, lostEvents: 0, unmatchedUnmapSg: 0 };
}

export interface IommuFtraceOptions extends ReadOptions {
  stats?: FtraceStats;
}

// TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: PAYLOAD; TASK may contain spaces and dashes.
const HEADER_LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+(?:\.\d+)?):\s+([A-Za-z_][\w]*):\s?(.*)$/;
const BARE_LINE = /^\s*([A-Za-z_][\w]*):\s+(.*)$/;
const LOST_LINE = /^\s*CPU:\s*\d+\s+\[LOST (\d+) EVENTS\]\s*$/;
const CPUS_LINE = /^cpus=\d+\s*$/;

const MAP_SINGLE = new Set(['dma_map_page', 'dma_map_phys', 'dma_map_resource']);
const UNMAP_SINGLE = new Set(['dma_unmap_page', 'dma_unmap_phys', 'dma_unmap_resource']);
const ALLOC = new Set(['dma_alloc', 'dma_alloc_pages', 'dma_alloc_sgt']);
const FREE = new Set(['dma_free', 'dma_free_pages', 'dma_free_sgt']);
const DIRS = new Set(['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE']);

/** True for the event names this reader turns into mapping events. */
export function isMappingEventName(event: string): boolean {
  return (
    event === 'map' ||
    event === 'unmap' ||
    event === 'dma_map_sg' ||
    event === 'dma_unmap_sg' ||
    MAP_SINGLE.has(event) ||
    UNMAP_SINGLE.has(event) ||
    ALLOC.has(event) ||
    FREE.has(event)
  );
}

type Fail = (field: string, problem: string) => WorkloadError;

function parseHexBig(text: string | undefined, field: string, fail: Fail): bigint {
  if (text === undefined) throw fail(field, 'missing');
  const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{1,16}$/.test(digits)) throw fail(field, `not a 64-bit hex number: ${quote(text)}`);
  return BigInt(`0x${digits}`);
}

function parseSize(text: string | undefined, field: string, fail: Fail): number {
  if (text === undefined) throw fail(field, 'missing');
  if (!/^\d{1,16}$/.test(text)) throw fail(field, `not a size in bytes: ${quote(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw fail(field, `too large: ${quote(text)}`);
  return value;
}

/** `{0x1000,0x2000}` (ftrace __print_array) → values; `{}` → []. */
function parseArray(text: string | undefined, field: string, fail: Fail): bigint[] {
  if (text === undefined) throw fail(field, 'missing');
  if (!text.startsWith('{') || !text.endsWith('}')) throw fail(field, `expected {0x…,0x…}, got ${quote(text)}`);
  const body = text.slice(1, -1);
  if (body.length === 0) return [];
  return body.split(',').map((item) => parseHexBig(item, field, fail));
}

/** Splits `DEV key=value key=value …` into the device and an ordered key→value map. */
function parseDmaPayload(payload: string, fail: Fail): { device: string; values: Map<string, string>; truncated: boolean } {
  const tokens = payload.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0 || tokens[0].includes('=')) throw fail('device', `missing before the key=value fields: ${quote(payload)}`);
  const values = new Map<string, string>();
  let truncated = false;
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '[TRUNCATED]') {
      truncated = true;
      continue;
    }
    const eq = token.indexOf('=');
    if (eq <= 0) throw fail('payload', `expected key=value, got ${quote(token)}`);
    values.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return { device: tokens[0], values, truncated };
}

/** Parses `IOMMU: [dev=X ]iova=0x… [- 0x… ]paddr=0x… size=N` / `… size=N unmapped_size=M`. */
function parseIommuPayload(kind: MappingKind, payload: string, fail: Fail): Pick<MappingEvent, 'device' | 'iova' | 'sizeBytes' | 'physAddr' | 'unmappedBytes'> {
  if (!payload.startsWith('IOMMU:')) throw fail('payload', `expected "IOMMU: …", got ${quote(payload)}`);
  const tokens = payload.slice(6).split(' ').filter((t) => t.length > 0);
  let i = 0;
  let device: string | undefined;
  if (tokens[i]?.startsWith('dev=')) {
    device = tokens[i].slice(4);
    i++;
  }
  if (!tokens[i]?.startsWith('iova=')) throw fail('iova', `missing: ${quote(payload)}`);
  const iova = parseHexBig(tokens[i].slice(5), 'iova', fail);
  i++;
  let end: bigint | undefined;
  if (tokens[i] === '-') {
    end = parseHexBig(tokens[i + 1], 'iova', fail);
    i += 2;
  }
  let physAddr: bigint | undefined;
  if (kind === 'map') {
    if (!tokens[i]?.startsWith('paddr=')) throw fail('paddr', `missing: ${quote(payload)}`);
    physAddr = parseHexBig(tokens[i].slice(6), 'paddr', fail);
    i++;
  }
  if (!tokens[i]?.startsWith('size=')) throw fail('size', `missing: ${quote(payload)}`);
  const sizeBytes = parseSize(tokens[i].slice(5), 'size', fail);
  i++;
  let unmappedBytes: number | undefined;
  if (kind === 'unmap') {
    if (!tokens[i]?.startsWith('unmapped_size=')) throw fail('unmapped_size', `missing: ${quote(payload)}`);
    unmappedBytes = parseSize(tokens[i].slice(14), 'unmapped_size', fail);
    i++;
  }
  if (i !== tokens.length) throw fail('payload', `unexpected ${quote(tokens.slice(i).join(' '))}`);
  if (end !== undefined && end !== iova + BigInt(sizeBytes)) {
    throw fail('iova', `end 0x${end.toString(16)} is not iova + size (0x${(iova + BigInt(sizeBytes)).toString(16)})`);
  }
  const out: Pick<MappingEvent, 'device' | 'iova' | 'sizeBytes' | 'physAddr' | 'unmappedBytes'> = { iova, sizeBytes };
  if (device !== undefined) out.device = device;
  if (physAddr !== undefined) out.physAddr = physAddr;
  if (unmappedBytes !== undefined) out.unmappedBytes = unmappedBytes;
  return out;
}

interface OutstandingSg {
  iova: bigint;
  sizeBytes: number;
  segments: MappingSegment[];
}

export async function* readIommuFtrace(input: WorkloadInput, options: IommuFtraceOptions = {}): AsyncGenerator<MappingEvent> {
  const file = inputName(input, options);
  const stats = options.stats;
  const time = { sec: 0, ns: 0 };
  const outstandingSg = new Map<string, OutstandingSg[]>();
  let line = 0;
  let haveBase = false;
  let sec0 = 0;
  let ns0 = 0;
  const fail: Fail = (field, problem) => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    const trimmed = text.trimStart();
    if (trimmed.length === 0 || trimmed.startsWith('#') || CPUS_LINE.test(text)) {
      if (stats) stats.nonData++;
      continue;
    }
    const lost = LOST_LINE.exec(text);
    if (lost) {
      if (stats) {
        stats.nonData++;
        stats.lostEvents += Number(lost[1]);
      }
      continue;
    }
    let event: string;
    let payload: string;
    const base: Partial<MappingEvent> = {};
    const header = HEADER_LINE.exec(text);
    if (header) {
      const [, task, pid, cpu, ts, name, rest] = header;
      if (!parseSecondsFraction(ts, 0, ts.length, time)) throw fail('timestamp', `expected SECONDS.FRACTION, got ${quote(ts)}`);
      if (!haveBase) {
        sec0 = time.sec;
        ns0 = time.ns;
        haveBase = true;
      }
      const timeNs = (time.sec - sec0) * 1e9 + (time.ns - ns0);
      const traceTimeNs = time.sec * 1e9 + time.ns;
      if (!Number.isSafeInteger(timeNs)) throw fail('timestamp', 'too far from the first event');
      base.timeNs = timeNs;
      if (Number.isSafeInteger(traceTimeNs)) base.traceTimeNs = traceTimeNs;
      base.cpu = Number(cpu);
      base.task = task.trim();
      base.pid = Number(pid);
      event = name;
      payload = rest;
    } else {
      const bare = BARE_LINE.exec(text);
      if (!bare || !isMappingEventName(bare[1])) throw fail('line', `not an ftrace event line: ${quote(text)}`);
      event = bare[1];
      payload = bare[2];
    }
    if (!isMappingEventName(event)) {
      if (stats) stats.ignored++;
      continue;
    }
    if (event === 'map' || event === 'unmap') {
      const kind: MappingKind = event;
      yield { ...base, ...parseIommuPayload(kind, payload, fail), kind, event, line };
      continue;
    }
    const { device, values, truncated } = parseDmaPayload(payload, fail);
    const dir = values.get('dir');
    if (dir !== undefined && !DIRS.has(dir)) throw fail('dir', `expected BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE or NONE, got ${quote(dir)}`);
    const common: Partial<MappingEvent> = { ...base, device, event, line };
    if (dir !== undefined) common.dir = dir;
    if (truncated) common.truncated = true;
    if (event === 'dma_map_sg') {
      const addrs = parseArray(values.get('dma_addrs'), 'dma_addrs', fail);
      const sizes = parseArray(values.get('sizes'), 'sizes', fail);
      const physAddrsText = values.get('phys_addrs');
      const physAddrs = parseArray(physAddrsText, 'phys_addrs', fail);
      if (addrs.length !== sizes.length) throw fail('sizes', `${sizes.length} sizes for ${addrs.length} dma_addrs`);
      if (addrs.length === 0) throw fail('dma_addrs', 'empty: a mapped scatterlist has at least one segment');
      const segments: MappingSegment[] = [];
      let total = 0;
      for (let i = 0; i < addrs.length; i++) {
        const size = Number(sizes[i]);
        segments.push({ iova: addrs[i], sizeBytes: size });
        total += size;
      }
      const key = `${device} ${physAddrsText}`;
      const list = outstandingSg.get(key);
      const entry: OutstandingSg = { iova: addrs[0], sizeBytes: total, segments };
      if (list) list.push(entry);
      else outstandingSg.set(key, [entry]);
      yield { ...common, kind: 'map', iova: addrs[0], sizeBytes: total, segments, physAddrs } as MappingEvent;
      continue;
    }
    if (event === 'dma_unmap_sg') {
      const physAddrsText = values.get('phys_addrs');
      const physAddrs = parseArray(physAddrsText, 'phys_addrs', fail);
      const key = `${device} ${physAddrsText}`;
      const list = outstandingSg.get(key);
      const match = list?.shift();
      if (list && list.length === 0) outstandingSg.delete(key);
      if (!match && stats) stats.unmatchedUnmapSg++;
      const out = { ...common, kind: 'unmap', iova: match ? match.iova : null, sizeBytes: match ? match.sizeBytes : 0, physAddrs } as MappingEvent;
      if (match) out.segments = match.segments;
      yield out;
      continue;
    }
    const iova = parseHexBig(values.get('dma_addr'), 'dma_addr', fail);
    const sizeBytes = parseSize(values.get('size'), 'size', fail);
    const kind: MappingKind = MAP_SINGLE.has(event) || ALLOC.has(event) ? 'map' : 'unmap';
    const out = { ...common, kind, iova, sizeBytes } as MappingEvent;
    const phys = values.get('phys_addr');
    if (phys !== undefined) out.physAddr = parseHexBig(phys, 'phys_addr', fail);
    const physList = values.get('phys_addrs');
    if (physList !== undefined) out.physAddrs = parseArray(physList, 'phys_addrs', fail);
    yield out;
  }
}
