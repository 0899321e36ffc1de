/**
 * Format auto-detection, and one entry point that reads any block-level format as IoRecords.
 *
 * Detection looks at the first 64 KiB (after gunzip, when the data is gzip): binary blktrace is
 * recognised by its magic; for text, every reader is tried on the complete lines of that sample
 * and the formats whose reader accepts all of them (and finds data) are the candidates. One
 * candidate is a detection; several are reported as ambiguous, with the list.
 */
import { open } from 'node:fs/promises';
import { readAlibaba } from './alibaba.js';
import { readBlkparse } from './blkparse.js';
import { BLK_IO_TRACE_MAGIC, readBlktrace } from './blktrace.js';
import { readCloudPhysics } from './cloudphysics.js';
import { readDiskSim } from './disksim.js';
import { WorkloadError } from './errors.js';
import { fioJobStreams, mergeByTime, type FioGenerateOptions } from './fio-generator.js';
import { readFioIolog } from './fio-iolog.js';
import { parseFioJobFile, parseFioJobText } from './fio-job.js';
import { readIommuFtrace } from './iommu-ftrace.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, isGzip, readHead } from './line-reader.js';
import { readMsrCambridge } from './msr-cambridge.js';
import { readTencent } from './tencent.js';

export type WorkloadFormat =
  | 'fio-job'
  | 'fio-iolog'
  | 'blkparse'
  | 'blktrace'
  | 'msr-cambridge'
  | 'alibaba'
  | 'tencent'
  | 'cloudphysics'
  | 'disksim'
  | 'iommu-ftrace';

export const WORKLOAD_FORMATS: readonly WorkloadFormat[] = [
  'fio-job',
  'fio-iolog',
  'blkparse',
  'blktrace',
  'msr-cambridge',
  'alibaba',
  'tencent',
  'cloudphysics',
  'disksim',
  'iommu-ftrace',
];

/** The formats whose records are IoRecords (iommu-ftrace gives MappingEvents; fio-job is generated). */
export type IoRecordFormat = Exclude<WorkloadFormat, 'fio-job' | 'iommu-ftrace'>;

export interface Detection {
  /** The format, when exactly one matched. */
  format: WorkloadFormat | undefined;
  /** Every format whose reader accepted the sample (empty: none). */
  candidates: WorkloadFormat[];
  /** The input is gzip-compressed. */
  gzip: boolean;
}

const SAMPLE_BYTES = 64 * 1024;

type LineReader = (input: WorkloadInput, options: ReadOptions) => AsyncGenerator<unknown>;

const TEXT_READERS: [WorkloadFormat, LineReader][] = [
  ['fio-iolog', readFioIolog],
  ['blkparse', readBlkparse],
  ['msr-cambridge', readMsrCambridge],
  ['alibaba', readAlibaba],
  ['tencent', readTencent],
  ['cloudphysics', readCloudPhysics],
  ['disksim', readDiskSim],
  ['iommu-ftrace', readIommuFtrace],
];

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** How many records the reader makes of the sample, or -1 when it rejects it. */
async function recordsIn(reader: LineReader, sample: Buffer): Promise<number> {
  let count = 0;
  try {
    const records = reader(once(sample), { name: '<sample>' });
    while (!(await records.next()).done) count++;
  } catch (error) {
    if (error instanceof WorkloadError) return -1;
    throw error;
  }
  return count;
}

/**
 * Detects the format of a sample of the start of an input (already decompressed). `complete`
 * says the sample is the whole input (otherwise its last, possibly cut, line is not used).
 */
export async function detectFormatFromBytes(sample: Uint8Array, complete = false, gzip = false): Promise<Detection> {
  const bytes = Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength);
  const result = (candidates: WorkloadFormat[]): Detection => ({ format: candidates.length === 1 ? candidates[0] : undefined, candidates, gzip });
  if (bytes.length >= 4) {
    const le = bytes.readUInt32LE(0);
    const be = bytes.readUInt32BE(0);
    if ((le & 0xffffff00) === BLK_IO_TRACE_MAGIC || (be & 0xffffff00) === BLK_IO_TRACE_MAGIC) return result(['blktrace']);
  }
  if (bytes.subarray(0, 4096).includes(0)) return result([]);
  let text = bytes;
  if (!complete) {
    const lastNl = bytes.lastIndexOf(10);
    if (lastNl === -1) return result([]);
    text = bytes.subarray(0, lastNl + 1);
  }
  const candidates: WorkloadFormat[] = [];
  try {
    const parsed = parseFioJobText(text.toString('utf8'), '<sample>');
    if (parsed.jobs.length > 0 || /^\s*\[[^\]]+\]\s*$/m.test(text.toString('utf8'))) candidates.push('fio-job');
  } catch (error) {
    if (!(error instanceof WorkloadError)) throw error;
  }
  const tracerHeader = /^# tracer: /m.test(text.toString('utf8'));
  for (const [format, reader] of TEXT_READERS) {
    const count = await recordsIn(reader, text);
    // An ftrace capture may start with other events; its header is enough when the lines parse.
    if (count > 0 || (count === 0 && format === 'iommu-ftrace' && tracerHeader)) candidates.push(format);
  }
  return result(candidates);
}

/** Detects the format of an input by reading (and, for gzip, decompressing) its first 64 KiB. */
export async function detectFormat(input: WorkloadInput, options: ReadOptions = {}): Promise<Detection> {
  const head = await readHead(input, SAMPLE_BYTES + 1, options);
  let gzip = false;
  if (typeof input === 'string') {
    // readHead returns decompressed bytes; look at the raw start to report gzip.
    const raw = await readRawStart(input);
    gzip = isGzip(raw);
  }
  const complete = head.length <= SAMPLE_BYTES;
  return detectFormatFromBytes(complete ? head : head.subarray(0, SAMPLE_BYTES), complete, gzip);
}

async function readRawStart(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface ReadIoRecordsOptions extends ReadOptions {
  /** The format; detected from the file when absent (an error when ambiguous or unknown). */
  format?: WorkloadFormat;
  stats?: ReadStats;
  /** For fio job files: how to generate the stream (all jobs and clones, merged by time). */
  fio?: Omit<FioGenerateOptions, 'clone' | 'pid'>;
}

/**
 * Reads any block-level workload as IoRecords: the trace formats directly, a fio job file by
 * generating every job's clones and merging them by time. iommu-ftrace has its own event type
 * (readIommuFtrace) and is refused here.
 */
export async function* readIoRecords(input: WorkloadInput, options: ReadIoRecordsOptions = {}): AsyncGenerator<IoRecord> {
  const name = inputName(input, options);
  let format = options.format;
  if (format === undefined) {
    if (typeof input !== 'string') throw new WorkloadError(name, undefined, 'format', 'cannot detect the format of a stream; pass format');
    const detection = await detectFormat(input, options);
    if (detection.format === undefined) {
      throw new WorkloadError(
        name,
        undefined,
        'format',
        detection.candidates.length === 0 ? 'not a recognised workload format' : `ambiguous: could be ${detection.candidates.join(', ')}; pass format`,
      );
    }
    format = detection.format;
  }
  switch (format) {
    case 'fio-job': {
      if (typeof input !== 'string') throw new WorkloadError(name, undefined, 'format', 'fio job files are read from a path');
      const parsed = parseFioJobFile(input);
      yield* mergeByTime(fioJobStreams(parsed.jobs, options.fio ?? {}).map((s) => s.records));
      return;
    }
    case 'fio-iolog':
      yield* readFioIolog(input, options);
      return;
    case 'blkparse':
      yield* readBlkparse(input, options);
      return;
    case 'blktrace':
      yield* readBlktrace(input, options);
      return;
    case 'msr-cambridge':
      yield* readMsrCambridge(input, options);
      return;
    case 'alibaba':
      yield* readAlibaba(input, options);
      return;
    case 'tencent':
      yield* readTencent(input, options);
      return;
    case 'cloudphysics':
      yield* readCloudPhysics(input, options);
      return;
    case 'disksim':
      yield* readDiskSim(input, options);
      return;
    case 'iommu-ftrace':
      throw new WorkloadError(name, undefined, 'format', 'iommu-ftrace holds mapping events, not I/O records: use readIommuFtrace');
  }
}
