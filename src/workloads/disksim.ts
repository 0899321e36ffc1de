/**
 * DiskSim ASCII traces, as MQSim reads them: blank-separated lines
 * `arrival_time device start_sector size_sectors flags` where bit 0 of flags is 1 for a read and 0
 * for a write. MQSim's arrival time is in nanoseconds (the default here); classic DiskSim traces
 * use milliseconds with a fraction (`timeUnit: 'ms'`). Times are kept as they are (already
 * trace-relative).
 */
import { WorkloadError, quote } from './errors.js';
import { FieldScanner } from './fields.js';
import type { IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface DiskSimOptions extends ReadOptions {
  stats?: ReadStats;
  /** Unit of the arrival-time column (default 'ns', as in MQSim). */
  timeUnit?: 'ns' | 'us' | 'ms';
  /** Bytes per sector (default 512). */
  sectorBytes?: number;
}

const UNIT_NS = { ns: 1, us: 1e3, ms: 1e6 } as const;

export async function* readDiskSim(input: WorkloadInput, options: DiskSimOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const unitNs = UNIT_NS[options.timeUnit ?? 'ns'];
  const sectorBytes = options.sectorBytes ?? 512;
  const f = new FieldScanner();
  const devices: string[] = [];
  let line = 0;
  const fail = (field: string, problem: string): WorkloadError => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    f.reset(text);
    if (!f.nextToken()) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    const arrival = f.decimal();
    if (Number.isNaN(arrival) || arrival < 0) throw fail('arrival_time', `not a non-negative number: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('device', 'missing');
    const dev = f.uint();
    if (Number.isNaN(dev)) throw fail('device', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('start_sector', 'missing');
    const sector = f.uint();
    if (Number.isNaN(sector)) throw fail('start_sector', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('size_sectors', 'missing');
    const sectors = f.uint();
    if (Number.isNaN(sectors)) throw fail('size_sectors', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('flags', 'missing');
    const flags = f.uint();
    if (Number.isNaN(flags)) throw fail('flags', `not an unsigned integer: ${quote(f.str())}`);
    if (f.nextToken()) throw fail('line', `expected 5 fields, found more: ${quote(text)}`);
    const offsetBytes = sector * sectorBytes;
    if (!Number.isSafeInteger(offsetBytes)) throw fail('start_sector', 'too large');
    let device = devices[dev];
    if (device === undefined) {
      device = String(dev);
      if (dev < 65536) devices[dev] = device;
    }
    yield {
      timeNs: Math.round(arrival * unitNs),
      op: flags & 1 ? 'read' : 'write',
      offsetBytes,
      lengthBytes: sectors * sectorBytes,
      device,
      line,
    };
  }
}
