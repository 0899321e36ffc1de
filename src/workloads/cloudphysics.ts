/**
 * CloudPhysics block traces as distributed with libCacheSim (`data/cloudPhysicsIO.csv`): CSV with the
 * header `version,time,op,size,lbn`; op is the SCSI opcode in hex (`28` READ(10), `2a` WRITE(10) …),
 * size is bytes, lbn is in 512-byte blocks and time is in seconds (per the sample's provenance
 * notes; pass `timeUnit` if your copy differs).
 */
import { WorkloadError, quote } from './errors.js';
import { COMMA, FieldScanner } from './fields.js';
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
  const file = inputName(input, options);
  const unitNs = UNIT_NS[options.timeUnit ?? 's'];
  const f = new FieldScanner();
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
    if (!seenData && text.startsWith('version,')) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    f.reset(text);
    f.next(COMMA);
    if (Number.isNaN(f.uint())) throw fail('version', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('time', 'missing');
    const time = f.decimal();
    if (Number.isNaN(time) || time < 0) throw fail('time', `not a non-negative number: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('op', 'missing');
    const opcode = f.hex();
    if (Number.isNaN(opcode) || opcode > 0xff || f.length() > 2) throw fail('op', `not a SCSI opcode in hex: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('size', 'missing');
    const lengthBytes = f.uint();
    if (Number.isNaN(lengthBytes)) throw fail('size', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.next(COMMA)) throw fail('lbn', 'missing');
    const lbn = f.uint();
    if (Number.isNaN(lbn)) throw fail('lbn', `not an unsigned integer: ${quote(f.str())}`);
    if (f.pos <= text.length) throw fail('line', `expected 5 comma-separated fields, found more: ${quote(text)}`);
    const offsetBytes = lbn * BLOCK;
    if (!Number.isSafeInteger(offsetBytes)) throw fail('lbn', 'too large');
    if (!seenData) {
      t0 = time;
      seenData = true;
    }
    yield { timeNs: Math.round((time - t0) * unitNs), op: scsiOpcodeToOp(opcode), offsetBytes, lengthBytes, line };
  }
}
