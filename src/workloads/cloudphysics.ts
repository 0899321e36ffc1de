/**
 * CloudPhysics block traces as distributed with libCacheSim (`data/cloudPhysicsIO.csv`): CSV with the
 * header `version,time,op,size,lbn`; op is the SCSI opcode in hex (`28` READ(10), `2a` WRITE(10) …),
 * size is bytes, lbn is in 512-byte blocks and time is in seconds (per the sample's provenance
 * notes; pass `timeUnit` if your copy differs).
 */
import { CsvLines } from './csv.js';
import { quote } from './errors.js';
import type { IoOp, IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface CloudPhysicsOptions extends ReadOptions {
  stats?: ReadStats;
  /** Unit of the time column (default 's'). */
  timeUnit?: 's' | 'ms' | 'us';
}

const BLOCK = 512;
const UNIT_NS = { s: 1e9, ms: 1e6, us: 1e3 } as const;

/** Data direction of the SCSI block commands the trace can carry; unknown opcodes are `other`. */
export function scsiOpcodeToOp(opcode: number): IoOp {
  switch (opcode) {
    case 0x08: // READ(6)
    case 0x28: // READ(10)
    case 0xa8: // READ(12)
    case 0x88: // READ(16)
      return 'read';
    case 0x0a: // WRITE(6)
    case 0x2a: // WRITE(10)
    case 0xaa: // WRITE(12)
    case 0x8a: // WRITE(16)
    case 0x2e: // WRITE AND VERIFY(10)
    case 0x8e: // WRITE AND VERIFY(16)
      return 'write';
    case 0x42: // UNMAP
      return 'trim';
    case 0x35: // SYNCHRONIZE CACHE(10)
    case 0x91: // SYNCHRONIZE CACHE(16)
      return 'flush';
    default:
      return 'other';
  }
}

export async function* readCloudPhysics(input: WorkloadInput, options: CloudPhysicsOptions = {}): AsyncGenerator<IoRecord> {
  const csv = new CsvLines(inputName(input, options), 'version,', options.stats);
  const f = csv.f;
  const unitNs = UNIT_NS[options.timeUnit ?? 's'];
  let t0 = 0;
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    if (!csv.begin(text)) continue;
    csv.uint('version');
    csv.next('time');
    const time = f.decimal();
    if (Number.isNaN(time) || time < 0) throw csv.fail('time', `not a non-negative number: ${quote(f.str())}`);
    csv.next('op');
    const opcode = f.hex();
    if (Number.isNaN(opcode) || opcode > 0xff || f.length() > 2) throw csv.fail('op', `not a SCSI opcode in hex: ${quote(f.str())}`);
    const lengthBytes = csv.uint('size');
    const lbn = csv.uint('lbn');
    csv.end(5);
    const offsetBytes = lbn * BLOCK;
    if (!Number.isSafeInteger(offsetBytes)) throw csv.fail('lbn', 'too large');
    if (csv.first) t0 = time;
    yield { timeNs: Math.round((time - t0) * unitNs), op: scsiOpcodeToOp(opcode), offsetBytes, lengthBytes, line: csv.line };
  }
}
