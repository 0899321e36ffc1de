/**
 * Streaming input for the workload readers: bytes from a path or a stream, gunzipped on the fly
 * when the data starts with the gzip magic (0x1f 0x8b, whatever the file is called), and split into
 * lines with bounded memory: at most one read chunk plus one partial line is held at a time.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { WorkloadError } from './errors.js';
import type { ReadOptions, WorkloadInput } from './io-record.js';

const DEFAULT_CHUNK = 256 * 1024;
const DEFAULT_MAX_LINE = 1024 * 1024;
/** Lines per batch: small enough that a batch's strings die young (in the scavenged generation). */
const MAX_BATCH = 1024;

/** The name errors use for an input: the explicit name, the path, a stream's `path`, or `<stream>`. */
export function inputName(input: WorkloadInput, options: ReadOptions = {}): string {
  if (options.name !== undefined) return options.name;
  if (typeof input === 'string') return input;
  const path = (input as { path?: unknown }).path;
  if (typeof path === 'string') return path;
  if (path instanceof Buffer) return path.toString();
  return '<stream>';
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The input's bytes, decompressed when they are gzip. Errors opening or reading the input and
 * corrupt or truncated gzip data become WorkloadErrors (`FILE: file: …` / `FILE: gzip: …`).
 */
export async function* readBytes(input: WorkloadInput, options: ReadOptions = {}): AsyncGenerator<Buffer> {
  const name = inputName(input, options);
  const source: AsyncIterable<Uint8Array | string> =
    typeof input === 'string' ? createReadStream(input, { highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK }) : input;
  const iterator = source[Symbol.asyncIterator]();
  const next = async (): Promise<Buffer | undefined> => {
    try {
      const result = await iterator.next();
      return result.done ? undefined : toBuffer(result.value);
    } catch (error) {
      if (error instanceof WorkloadError) throw error;
      throw new WorkloadError(name, undefined, 'file', describe(error));
    }
  };
  let exhausted = false;
  try {
    // Peek at least two bytes to look for the gzip magic.
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < 2) {
      const chunk = await next();
      if (chunk === undefined) {
        exhausted = true;
        break;
      }
      head.push(chunk);
      headBytes += chunk.length;
    }
    const first = head.length === 1 ? head[0] : Buffer.concat(head);
    if (!isGzip(first)) {
      if (first.length > 0) yield first;
      while (!exhausted) {
        const chunk = await next();
        if (chunk === undefined) break;
        yield chunk;
      }
      return;
    }
    async function* compressed(): AsyncGenerator<Buffer> {
      yield first;
      while (!exhausted) {
        const chunk = await next();
        if (chunk === undefined) return;
        yield chunk;
      }
    }
    const src = Readable.from(compressed());
    const gunzip = createGunzip();
    src.on('error', (error) => gunzip.destroy(error));
    src.pipe(gunzip);
    try {
      for await (const out of gunzip) yield out as Buffer;
    } catch (error) {
      if (error instanceof WorkloadError) throw error;
      throw new WorkloadError(name, undefined, 'gzip', describe(error));
    } finally {
      src.destroy();
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * The input's lines in batches (up to 1024 lines, from one chunk read), without their `\n` / `\r\n`
 * terminators (a UTF-8 byte-order mark on the first line is dropped). Lines are numbered from 1
 * across batches, blank lines included, so a reader counts lines by counting strings. A final line
 * without a terminator is still a line. The batch array is reused: consume it before asking for
 * the next one. Batches let readers parse a chunk's lines in a plain loop, with one await per
 * chunk instead of one per line.
 */
export async function* readLineBatches(input: WorkloadInput, options: ReadOptions = {}): AsyncGenerator<string[]> {
  const name = inputName(input, options);
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  const batch: string[] = [];
  for await (const chunk of readBytes(input, options)) {
    batch.length = 0;
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      lineNo++;
      if (pendingBytes > 0) {
        pending.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        batch.push(decode(whole, 0, whole.length, lineNo));
      } else {
        batch.push(decode(chunk, start, nl, lineNo));
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
      if (batch.length === MAX_BATCH) {
        yield batch;
        batch.length = 0;
      }
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLine) {
        if (batch.length > 0) yield batch;
        throw new WorkloadError(name, lineNo + 1, 'line', `longer than ${maxLine} bytes (a binary file, or the wrong format?)`);
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (pendingBytes > 0) {
    const whole = Buffer.concat(pending);
    batch.length = 0;
    batch.push(decode(whole, 0, whole.length, lineNo + 1));
    yield batch;
  }
}

/** The input's lines one at a time (see readLineBatches for the rules). */
export async function* readLines(input: WorkloadInput, options: ReadOptions = {}): AsyncGenerator<string> {
  for await (const batch of readLineBatches(input, options)) {
    for (let i = 0; i < batch.length; i++) yield batch[i];
  }
}

function decode(buffer: Buffer, start: number, end: number, lineNo: number): string {
  if (end > start && buffer[end - 1] === 13) end--;
  if (lineNo === 1 && end - start >= 3 && buffer[start] === 0xef && buffer[start + 1] === 0xbb && buffer[start + 2] === 0xbf) {
    start += 3;
  }
  return buffer.toString('utf8', start, end);
}

/** Reads at most `maxBytes` of the (decompressed) input, for format detection. */
export async function readHead(input: WorkloadInput, maxBytes: number, options: ReadOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of readBytes(input, options)) {
    parts.push(chunk);
    total += chunk.length;
    if (total >= maxBytes) break;
  }
  const all = Buffer.concat(parts);
  return all.length > maxBytes ? all.subarray(0, maxBytes) : all;
}
