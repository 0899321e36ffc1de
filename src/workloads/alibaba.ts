/**
 * Alibaba Cloud block traces (2020): CSV lines `device_id,opcode,offset,length,timestamp` with
 * opcode `R` or `W`, offset and length in bytes and timestamp in microseconds. A header row is
 * accepted if present.
 */
import { CsvLines } from './csv.js';
import { quote } from './errors.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface AlibabaOptions extends ReadOptions {
  stats?: ReadStats;
}

export async function* readAlibaba(input: WorkloadInput, options: AlibabaOptions = {}): AsyncGenerator<IoRecord> {
  const csv = new CsvLines(inputName(input, options), 'device_id,', options.stats);
  const f = csv.f;
  const devices = new Map<number, string>();
  let t0 = 0;
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    if (!csv.begin(text)) continue;
    const id = csv.uint('device_id');
    csv.next('opcode');
    let op: 'read' | 'write';
    if (f.eq('R') || f.eq('r')) op = 'read';
    else if (f.eq('W') || f.eq('w')) op = 'write';
    else throw csv.fail('opcode', `expected R or W, got ${quote(f.str())}`);
    const offsetBytes = csv.uint('offset');
    const lengthBytes = csv.uint('length');
    const us = csv.uint('timestamp');
    csv.end(5);
    if (csv.first) t0 = us;
    let device = devices.get(id);
    if (device === undefined) {
      device = String(id);
      devices.set(id, device);
    }
    yield { timeNs: (us - t0) * 1000, op, offsetBytes, lengthBytes, device, line: csv.line };
  }
}
