/**
 * Tencent CBS block traces: CSV lines `Timestamp,Offset,Size,IOType,VolumeID` with Timestamp in
 * seconds, Offset and Size in 512-byte sectors and IOType 0 = read, 1 = write. A header row is
 * accepted if present.
 */
import { WorkloadError, quote } from './errors.js';
import { COMMA, FieldScanner } from './fields.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface TencentOptions extends ReadOptions {
  stats?: ReadStats;
}

const SECTOR = 512;

export async function* readTencent(input: WorkloadInput, options: TencentOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const f = new FieldScanner();
  const devices = new Map<number, string>();
  let line = 0;
  let seenData = false;
  let t0 = 0;
  const fail = (field: string, problem: string): WorkloadError => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    if (text.trim().length === 0) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    if (!seenData && text.startsWith('Timestamp,')) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    f.reset(text);
    f.next(COMMA);
    const seconds = f.uint();
    if (Number.isNaN(seconds)) throw fail('Timestamp', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('Offset', 'missing');
    const sector = f.uint();
    if (Number.isNaN(sector)) throw fail('Offset', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('Size', 'missing');
    const sectors = f.uint();
    if (Number.isNaN(sectors)) throw fail('Size', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('IOType', 'missing');
    let op: 'read' | 'write';
    if (f.eq('0')) op = 'read';
    else if (f.eq('1')) op = 'write';
    else throw fail('IOType', `expected 0 (read) or 1 (write), got ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('VolumeID', 'missing');
    const volume = f.uint();
    if (Number.isNaN(volume)) throw fail('VolumeID', `not an unsigned integer: ${quote(f.str())}`);
    if (f.pos <= text.length) throw fail('line', `expected 5 comma-separated fields, found more: ${quote(text)}`);
    const offsetBytes = sector * SECTOR;
    if (!Number.isSafeInteger(offsetBytes)) throw fail('Offset', 'too large');
    if (!seenData) {
      t0 = seconds;
      seenData = true;
    }
    let device = devices.get(volume);
    if (device === undefined) {
      device = String(volume);
      devices.set(volume, device);
    }
    yield { timeNs: (seconds - t0) * 1e9, op, offsetBytes, lengthBytes: sectors * SECTOR, device, line };
  }
}
