/**
 * MSR Cambridge block traces (SNIA IOTTA): CSV lines
 * `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`.
 * Timestamp and ResponseTime are Windows FILETIME ticks (100 ns); Type is `Read` or `Write`;
 * Offset and Size are bytes. The published files have no header row; one is accepted if present.
 */
import { CsvLines } from './csv.js';
import { quote } from './errors.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface MsrOptions extends ReadOptions {
  stats?: ReadStats;
}

const TICK_NS = 100;

export async function* readMsrCambridge(input: WorkloadInput, options: MsrOptions = {}): AsyncGenerator<IoRecord> {
  const csv = new CsvLines(inputName(input, options), 'Timestamp,', options.stats);
  const f = csv.f;
  let hi0 = 0;
  let lo0 = 0;
  let lastHost = '';
  let lastDisk = -1;
  let lastDevice = '';
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    if (!csv.begin(text)) continue;
    csv.next('Timestamp');
    if (!f.bigDecimal()) throw csv.fail('Timestamp', `not an unsigned integer: ${quote(f.str())}`);
    if (csv.first) {
      hi0 = f.hi;
      lo0 = f.lo;
    }
    const ticks = (f.hi - hi0) * 1e9 + (f.lo - lo0);
    const timeNs = ticks * TICK_NS;
    if (!Number.isSafeInteger(timeNs)) throw csv.fail('Timestamp', 'too far from the first record to be represented exactly in nanoseconds');
    csv.next('Hostname');
    if (f.length() === 0) throw csv.fail('Hostname', 'missing');
    const hostStart = f.start;
    const hostEnd = f.end;
    const disk = csv.uint('DiskNumber');
    csv.next('Type');
    let op: 'read' | 'write';
    if (f.eqIgnoreCase('read')) op = 'read';
    else if (f.eqIgnoreCase('write')) op = 'write';
    else throw csv.fail('Type', `expected Read or Write, got ${quote(f.str())}`);
    const offsetBytes = csv.uint('Offset');
    const lengthBytes = csv.uint('Size');
    const response = csv.uint('ResponseTime');
    csv.end(7);
    if (disk !== lastDisk || hostEnd - hostStart !== lastHost.length || !text.startsWith(lastHost, hostStart)) {
      lastHost = text.slice(hostStart, hostEnd);
      lastDisk = disk;
      lastDevice = `${lastHost}_${disk}`;
    }
    yield { timeNs, op, offsetBytes, lengthBytes, device: lastDevice, latencyNs: response * TICK_NS, line: csv.line };
  }
}
