/**
 * fio iolog replay files, versions 2 and 3 (fio's iolog.c):
 *
 *     fio version 2 iolog
 *     <file> add|open|close
 *     <file> read|write|trim|sync|datasync|wait <offset> <length>
 *
 *     fio version 3 iolog
 *     <time> <file> add|open|close
 *     <time> <file> read|write|trim|sync|datasync <offset> <length>
 *
 * v3 times are microseconds since the start of the run: fio writes them with utime_since_now() and
 * replays them as microsecond delays (the shared README's "time_ms" does not match fio's source);
 * pass `v3TimeUnit: 'ms'` for logs made otherwise. In v2, a `wait` line's offset field is the time,
 * in milliseconds since the start of the run, before which the following I/O is not issued, so
 * v2 records carry the time of the last `wait` (0 before any). fio ignores `wait` in v3; so does
 * this reader. File actions (add/open/close) produce no records.
 */
import { WorkloadError, quote } from './errors.js';
import { FieldScanner } from './fields.js';
import type { IoOp, IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface FioIologOptions extends ReadOptions {
  stats?: ReadStats;
  /** Unit of v3 timestamps (default 'us', as fio writes them). */
  v3TimeUnit?: 'us' | 'ms' | 'ns';
}

const V2 = 'fio version 2 iolog';
const V3 = 'fio version 3 iolog';
const UNIT_NS = { ns: 1, us: 1e3, ms: 1e6 } as const;

/** The iolog version a first line announces, or undefined. */
export function fioIologVersion(firstLine: string): 2 | 3 | undefined {
  if (firstLine.startsWith(V2)) return 2;
  if (firstLine.startsWith(V3)) return 3;
  return undefined;
}

export async function* readFioIolog(input: WorkloadInput, options: FioIologOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const unitNs = UNIT_NS[options.v3TimeUnit ?? 'us'];
  const f = new FieldScanner();
  let line = 0;
  let version: 2 | 3 | undefined;
  let clockNs = 0;
  let lastFile = '';
  const fail = (field: string, problem: string): WorkloadError => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    if (version === undefined) {
      version = fioIologVersion(text);
      if (version === undefined) {
        throw fail('header', `expected "${V2}" or "${V3}", got ${quote(text)} (iolog v1 is not supported, as in fio)`);
      }
      continue;
    }
    f.reset(text);
    if (!f.nextToken()) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    let timeNs = clockNs;
    if (version === 3) {
      const t = f.uint();
      if (Number.isNaN(t)) throw fail('time', `not an unsigned integer: ${quote(f.str())}`);
      timeNs = t * unitNs;
      if (!f.nextToken()) throw fail('file', 'missing');
    }
    const fileStart = f.start;
    const fileEnd = f.end;
    if (!f.nextToken()) throw fail('action', 'missing');
    let op: IoOp | 'wait' | 'file';
    if (f.eq('read')) op = 'read';
    else if (f.eq('write')) op = 'write';
    else if (f.eq('trim')) op = 'trim';
    else if (f.eq('sync') || f.eq('datasync')) op = 'flush';
    else if (f.eq('wait')) op = 'wait';
    else if (f.eq('add') || f.eq('open') || f.eq('close')) op = 'file';
    else throw fail('action', `expected add, open, close, read, write, trim, sync, datasync or wait, got ${quote(f.str())}`);
    if (op === 'file') {
      if (f.nextToken()) throw fail('line', `a file action takes no offset or length: ${quote(text)}`);
      if (options.stats) options.stats.ignored++;
      continue;
    }
    if (!f.nextToken()) throw fail('offset', 'missing');
    const offsetBytes = f.uint();
    if (Number.isNaN(offsetBytes)) throw fail('offset', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('length', 'missing');
    const lengthBytes = f.uint();
    if (Number.isNaN(lengthBytes)) throw fail('length', `not an unsigned integer: ${quote(f.str())}`);
    if (f.nextToken()) throw fail('line', `unexpected field after the length: ${quote(text)}`);
    if (op === 'wait') {
      if (version === 2) clockNs = Math.max(clockNs, offsetBytes * 1e6);
      if (options.stats) options.stats.ignored++;
      continue;
    }
    if (fileEnd - fileStart !== lastFile.length || !text.startsWith(lastFile, fileStart)) lastFile = text.slice(fileStart, fileEnd);
    yield { timeNs, op, offsetBytes, lengthBytes, device: lastFile, line };
  }
  if (version === undefined) throw new WorkloadError(file, 1, 'header', 'empty file: no iolog version line');
}
