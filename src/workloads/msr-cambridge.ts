/**
 * MSR Cambridge block traces (SNIA IOTTA): CSV lines
 * `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`.
 * Timestamp and ResponseTime are Windows FILETIME ticks (100 ns); Type is `Read` or `Write`;
 * Offset and Size are bytes. The published files have no header row; one is accepted if present.
 */
import { WorkloadError, quote } from './errors.js';
import { COMMA, FieldScanner } from './fields.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface MsrOptions extends ReadOptions {
  stats?: ReadStats;
}

const TICK_NS = 100;

export async function* readMsrCambridge(input: WorkloadInput, options: MsrOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const f = new FieldScanner();
  let line = 0;
  let seenData = false;
  let hi0 = 0;
  let lo0 = 0;
  let lastHost = '';
  let lastDisk = -1;
  let lastDevice = '';
  const fail = (field: string, problem: string): WorkloadError => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    if (text.length === 0 || text.trim().length === 0) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    if (!seenData && text.startsWith('Timestamp,')) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    f.reset(text);
    f.next(COMMA);
    if (!f.bigDecimal()) throw fail('Timestamp', `not an unsigned integer: ${quote(f.str())}`);
    if (!seenData) {
      hi0 = f.hi;
      lo0 = f.lo;
      seenData = true;
    }
    const ticks = (f.hi - hi0) * 1e9 + (f.lo - lo0);
    const timeNs = ticks * TICK_NS;
    if (!Number.isSafeInteger(timeNs)) throw fail('Timestamp', 'too far from the first record to be represented exactly in nanoseconds');
    if (!f.next(COMMA) || f.length() === 0) throw fail('Hostname', 'missing');
    const hostStart = f.start;
    const hostEnd = f.end;
    if (!f.next(COMMA)) throw fail('DiskNumber', 'missing');
    const disk = f.uint();
    if (Number.isNaN(disk)) throw fail('DiskNumber', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('Type', 'missing');
    let op: 'read' | 'write';
    if (f.eqIgnoreCase('read')) op = 'read';
    else if (f.eqIgnoreCase('write')) op = 'write';
    else throw fail('Type', `expected Read or Write, got ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('Offset', 'missing');
    const offsetBytes = f.uint();
    if (Number.isNaN(offsetBytes)) throw fail('Offset', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('Size', 'missing');
    const lengthBytes = f.uint();
    if (Number.isNaN(lengthBytes)) throw fail('Size', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('ResponseTime', 'missing');
    const response = f.uint();
    if (Number.isNaN(response)) throw fail('ResponseTime', `not an unsigned integer: ${quote(f.str())}`);
    if (f.pos <= text.length) throw fail('line', `expected 7 comma-separated fields, found more: ${quote(text)}`);
    if (disk !== lastDisk || hostEnd - hostStart !== lastHost.length || !text.startsWith(lastHost, hostStart)) {
      lastHost = text.slice(hostStart, hostEnd);
      lastDisk = disk;
      lastDevice = `${lastHost}_${disk}`;
    }
    yield { timeNs, op, offsetBytes, lengthBytes, device: lastDevice, latencyNs: response * TICK_NS, line };
  }
}
