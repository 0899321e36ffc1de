/**
 * Alibaba Cloud block traces (2020): CSV lines `device_id,opcode,offset,length,timestamp` with
 * opcode `R` or `W`, offset and length in bytes and timestamp in microseconds. A header row is
 * accepted if present.
 */
import { WorkloadError, quote } from './errors.js';
import { COMMA, FieldScanner } from './fields.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface AlibabaOptions extends ReadOptions {
  stats?: ReadStats;
}

export async function* readAlibaba(input: WorkloadInput, options: AlibabaOptions = {}): AsyncGenerator<IoRecord> {
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
    if (!seenData && text.startsWith('device_id,')) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    f.reset(text);
    f.next(COMMA);
    const id = f.uint();
    if (Number.isNaN(id)) throw fail('device_id', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('opcode', 'missing');
    let op: 'read' | 'write';
    if (f.eq('R') || f.eq('r')) op = 'read';
    else if (f.eq('W') || f.eq('w')) op = 'write';
    else throw fail('opcode', `expected R or W, got ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('offset', 'missing');
    const offsetBytes = f.uint();
    if (Number.isNaN(offsetBytes)) throw fail('offset', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('length', 'missing');
    const lengthBytes = f.uint();
    if (Number.isNaN(lengthBytes)) throw fail('length', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('timestamp', 'missing');
    const us = f.uint();
    if (Number.isNaN(us)) throw fail('timestamp', `not an unsigned integer: ${quote(f.str())}`);
    if (f.pos <= text.length) throw fail('line', `expected 5 comma-separated fields, found more: ${quote(text)}`);
    if (!seenData) {
      t0 = us;
      seenData = true;
    }
    let device = devices.get(id);
    if (device === undefined) {
      device = String(id);
      devices.set(id, device);
    }
    yield { timeNs: (us - t0) * 1000, op, offsetBytes, lengthBytes, device, line };
  }
}
