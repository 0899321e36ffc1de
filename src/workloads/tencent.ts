/**
 * Tencent CBS block traces: CSV lines `Timestamp,Offset,Size,IOType,VolumeID` with Timestamp in
 * seconds, Offset and Size in 512-byte sectors and IOType 0 = read, 1 = write. A header row is
 * accepted if present.
 */
import { CsvLines } from './csv.js';
import { quote } from './errors.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface TencentOptions extends ReadOptions {
  stats?: ReadStats;
}

const SECTOR = 512;

export async function* readTencent(input: WorkloadInput, options: TencentOptions = {}): AsyncGenerator<IoRecord> {
  const csv = new CsvLines(inputName(input, options), 'Timestamp,', options.stats);
  const f = csv.f;
  const devices = new Map<number, string>();
  let t0 = 0;
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    if (!csv.begin(text)) continue;
    const seconds = csv.uint('Timestamp');
    const sector = csv.uint('Offset');
    const sectors = csv.uint('Size');
    csv.next('IOType');
    let op: 'read' | 'write';
    if (f.eq('0')) op = 'read';
    else if (f.eq('1')) op = 'write';
    else throw csv.fail('IOType', `expected 0 (read) or 1 (write), got ${quote(f.str())}`);
    const volume = csv.uint('VolumeID');
    csv.end(5);
    const offsetBytes = sector * SECTOR;
    if (!Number.isSafeInteger(offsetBytes)) throw csv.fail('Offset', 'too large');
    if (csv.first) t0 = seconds;
    let device = devices.get(volume);
    if (device === undefined) {
      device = String(volume);
      devices.set(volume, device);
    }
    yield { timeNs: (seconds - t0) * 1e9, op, offsetBytes, lengthBytes: sectors * SECTOR, device, line: csv.line };
  }
}
