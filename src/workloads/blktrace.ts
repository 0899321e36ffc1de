/**
 * Binary blktrace output: a stream of `struct blk_io_trace` (version 7), each a 48-byte header
 * followed by `pdu_len` bytes of payload, records of all CPUs interleaved as they were written
 * (a capture through a pipe, or a per-CPU file). Little-endian is the norm; a byte-swapped
 * (big-endian) stream is recognised from its magic and read as such.
 *
 *     u32 magic     0x65617400 | version     u32 sequence
 *     u64 time (ns)                          u64 sector
 *     u32 bytes     u32 action               u32 pid        u32 device (kernel dev_t)
 *     u32 cpu       u16 error   u16 pdu_len
 *
 * The action's low 16 bits are the action code (bit 8 is the cgroup flag of newer kernels), its
 * high 16 bits the category mask. ISSUE (D, 7) and COMPLETE (C, 8) become records; notify records
 * (process names, messages), SCSI pass-through (PC) requests and every other action are read
 * and ignored. Times are rebased to the first record in the stream; with several CPUs
 * interleaved, later records may be earlier than that (negative times): see reorderByTime().
 */
import { WorkloadError } from './errors.js';
import type { IoOp, IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readBytes } from './line-reader.js';

export interface BlktraceOptions extends ReadOptions {
  stats?: ReadStats;
  /** Which events become records: D only, C only, or both (default). */
  events?: 'issue' | 'complete' | 'both';
}

export const BLK_IO_TRACE_MAGIC = 0x65617400;
export const BLK_IO_TRACE_VERSION = 7;
export const BLK_IO_TRACE_HEADER_BYTES = 48;

/** Action codes (low 16 bits of `action`), enum blktrace_act in the kernel's blktrace_api.h. */
export const BlkAction = {
  QUEUE: 1,
  BACKMERGE: 2,
  FRONTMERGE: 3,
  GETRQ: 4,
  SLEEPRQ: 5,
  REQUEUE: 6,
  ISSUE: 7,
  COMPLETE: 8,
  PLUG: 9,
  UNPLUG_IO: 10,
  UNPLUG_TIMER: 11,
  INSERT: 12,
  SPLIT: 13,
  BOUNCE: 14,
  REMAP: 15,
  ABORT: 16,
  DRV_DATA: 17,
  CGROUP_FLAG: 1 << 8,
} as const;

/** Category bits (high 16 bits of `action`), enum blktrace_cat. */
export const BlkCategory = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  FLUSH: 1 << 2,
  SYNC: 1 << 3,
  QUEUE: 1 << 4,
  REQUEUE: 1 << 5,
  ISSUE: 1 << 6,
  COMPLETE: 1 << 7,
  FS: 1 << 8,
  PC: 1 << 9,
  NOTIFY: 1 << 10,
  AHEAD: 1 << 11,
  META: 1 << 12,
  DISCARD: 1 << 13,
  DRV_DATA: 1 << 14,
  FUA: 1 << 15,
} as const;

const SECTOR = 512;
const TWO32 = 4294967296;

/** The data direction of a blktrace category mask, with the same rules as blkparse's RWBS. */
export function blkCategoryToOp(category: number, bytes: number): IoOp {
  let op: IoOp;
  if (category & BlkCategory.DISCARD) op = 'trim';
  else if (category & BlkCategory.WRITE) op = 'write';
  else if (bytes) op = 'read';
  else op = 'other';
  if (bytes === 0 && (op === 'write' || (op === 'other' && category & BlkCategory.FLUSH))) return 'flush';
  return op;
}

/** `MAJOR,MINOR` of a kernel dev_t (20-bit minor), as blkparse prints it. */
export function kernelDevToString(dev: number): string {
  return `${dev >>> 20},${dev & 0xfffff}`;
}

export async function* readBlktrace(input: WorkloadInput, options: BlktraceOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const wantIssue = options.events !== 'complete';
  const wantComplete = options.events !== 'issue';
  const devices = new Map<number, string>();
  let littleEndian: boolean | undefined;
  let carry: Buffer | undefined;
  let index = 0; // records fully read
  let consumed = 0; // bytes before `buf`
  let haveBase = false;
  let hi0 = 0;
  let lo0 = 0;
  for await (const chunk of readBytes(input, options)) {
    const buf: Buffer = carry !== undefined ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let p = 0;
    while (buf.length - p >= BLK_IO_TRACE_HEADER_BYTES) {
      const recordNo = index + 1;
      if (littleEndian === undefined) {
        if ((buf.readUInt32LE(p) & 0xffffff00) === BLK_IO_TRACE_MAGIC) littleEndian = true;
        else if ((buf.readUInt32BE(p) & 0xffffff00) === BLK_IO_TRACE_MAGIC) littleEndian = false;
        else {
          throw new WorkloadError(file, recordNo, 'magic', `0x${buf.readUInt32LE(p).toString(16).padStart(8, '0')} at byte 0 is not the blktrace magic 0x657461xx (not a blktrace file?)`);
        }
      }
      const le = littleEndian;
      const magic = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      if ((magic & 0xffffff00) !== BLK_IO_TRACE_MAGIC) {
        throw new WorkloadError(file, recordNo, 'magic', `0x${magic.toString(16).padStart(8, '0')} at byte ${consumed + p} is not the blktrace magic (corrupt or misaligned stream)`);
      }
      if ((magic & 0xff) !== BLK_IO_TRACE_VERSION) {
        throw new WorkloadError(file, recordNo, 'version', `${magic & 0xff} at byte ${consumed + p}; only version ${BLK_IO_TRACE_VERSION} is supported`);
      }
      const pduLen = le ? buf.readUInt16LE(p + 46) : buf.readUInt16BE(p + 46);
      if (buf.length - p < BLK_IO_TRACE_HEADER_BYTES + pduLen) break;
      index = recordNo;
      const timeHi = le ? buf.readUInt32LE(p + 12) : buf.readUInt32BE(p + 8);
      const timeLo = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 12);
      if (!haveBase) {
        hi0 = timeHi;
        lo0 = timeLo;
        haveBase = true;
      }
      const action = le ? buf.readUInt32LE(p + 28) : buf.readUInt32BE(p + 28);
      const code = action & 0xffff & ~BlkAction.CGROUP_FLAG;
      const category = action >>> 16;
      const isIssue = code === BlkAction.ISSUE;
      const isComplete = code === BlkAction.COMPLETE;
      if (
        category & BlkCategory.NOTIFY ||
        category & BlkCategory.PC ||
        !(isIssue || isComplete) ||
        (isIssue && !wantIssue) ||
        (isComplete && !wantComplete)
      ) {
        if (options.stats) options.stats.ignored++;
        p += BLK_IO_TRACE_HEADER_BYTES + pduLen;
        continue;
      }
      const timeNs = (timeHi - hi0) * TWO32 + (timeLo - lo0);
      if (!Number.isSafeInteger(timeNs)) {
        throw new WorkloadError(file, recordNo, 'time', `too far from the first record (byte ${consumed + p})`);
      }
      const sectorHi = le ? buf.readUInt32LE(p + 20) : buf.readUInt32BE(p + 16);
      const sectorLo = le ? buf.readUInt32LE(p + 16) : buf.readUInt32BE(p + 20);
      const offsetBytes = (sectorHi * TWO32 + sectorLo) * SECTOR;
      if (!Number.isSafeInteger(offsetBytes)) {
        throw new WorkloadError(file, recordNo, 'sector', `too large to address in bytes (byte ${consumed + p})`);
      }
      const bytes = le ? buf.readUInt32LE(p + 24) : buf.readUInt32BE(p + 24);
      const pid = le ? buf.readUInt32LE(p + 32) : buf.readUInt32BE(p + 32);
      const dev = le ? buf.readUInt32LE(p + 36) : buf.readUInt32BE(p + 36);
      const cpu = le ? buf.readUInt32LE(p + 40) : buf.readUInt32BE(p + 40);
      let device = devices.get(dev);
      if (device === undefined) {
        device = kernelDevToString(dev);
        devices.set(dev, device);
      }
      p += BLK_IO_TRACE_HEADER_BYTES + pduLen;
      yield {
        timeNs,
        op: blkCategoryToOp(category, bytes),
        offsetBytes,
        lengthBytes: bytes,
        device,
        cpu,
        pid,
        phase: isIssue ? 'issue' : 'complete',
        line: recordNo,
      };
    }
    if (p < buf.length) carry = buf.subarray(p);
    consumed += p;
  }
  if (carry !== undefined && carry.length > 0) {
    if (littleEndian === undefined && carry.length >= 4 && (carry.readUInt32LE(0) & 0xffffff00) !== BLK_IO_TRACE_MAGIC && (carry.readUInt32BE(0) & 0xffffff00) !== BLK_IO_TRACE_MAGIC) {
      throw new WorkloadError(file, 1, 'magic', `0x${carry.readUInt32LE(0).toString(16).padStart(8, '0')} at byte 0 is not the blktrace magic 0x657461xx (not a blktrace file?)`);
    }
    throw new WorkloadError(file, index + 1, 'record', `truncated: the stream ends ${carry.length} bytes into a record (byte ${consumed})`);
  }
}
