/**
 * blkparse's default text output (blkparse_fmt.c, process_default):
 *
 *     %3d,%-3d %2d %8d %5d.%09lu %5u %2s %3s <action-specific>
 *     maj,min cpu  seq  secs.nsecs  pid action rwbs ...
 *
 * D (issue to the driver) and C (completion) events become records (`phase` says which); their
 * action-specific part is `sector + nsectors [proc]` / `sector + nsectors [error]`, optionally
 * with `(elapsed)` before the bracket, or just `[proc]` for a D without sectors (a flush). Every
 * other action is checked — header, RWBS and the action-specific part in the shape blkparse prints
 * it (TAIL_FORMS below) — and then ignored, as are SCSI pass-through (PC) D/C events, which carry a
 * CDB instead of a sector. A malformed line is an error whatever its action. The per-CPU and
 * per-device summary blocks blkparse prints at the end are skipped. Times are blkparse's: seconds
 * since the first event of the trace.
 */
import { WorkloadError, quote } from './errors.js';
import { FieldScanner, parseSecondsFraction } from './fields.js';
import type { IoOp, IoRecord, ReadOptions, ReadStats, WorkloadInput } from './io-record.js';
import { inputName, readLineBatches } from './line-reader.js';

export interface BlkparseOptions extends ReadOptions {
  stats?: ReadStats;
  /** Which events become records: D only, C only, or both (default). */
  events?: 'issue' | 'complete' | 'both';
}

const SECTOR = 512;
const SUMMARY_START = /^(?:CPU\d+|Total) \([^)]*\):\s*$/;
const SUMMARY_LINE = /^(?:\s|$|(?:CPU\d+|Total) \([^)]*\):\s*$|Throughput \(R\/W\):|Events \([^)]*\):|Skips:)/;
const INPUT_ADDED = /^Input file .* added$/;

// The action-specific part of each ignored action, as blkparse_fmt.c's process_default() prints it
// (blktrace 1.3): `sector + nsectors`, an optional `(elapsed)`, then `[comm]`; SCSI pass-through
// events print `bytes (cdb) [comm]` instead.
const SECTORS = String.raw`\d+ \+ \d+`;
const ELAPSED = String.raw`\(\s*\d+\)`;
const COMM = String.raw`\[.*\]`;
const PASS_THROUGH = String.raw`\d+(?: \([^)]*\))? ${COMM}`;
const QUEUE_FORM = new RegExp(`^(?:(?:${SECTORS} )?(?:${ELAPSED} )?${COMM}|${PASS_THROUGH})$`);
const TAIL_FORMS: Record<string, { form: RegExp; shape: string }> = {
  Q: { form: QUEUE_FORM, shape: 'SECTOR + COUNT [(ELAPSED)] [COMM], or BYTES (CDB) [COMM]' },
  I: { form: QUEUE_FORM, shape: 'SECTOR + COUNT [(ELAPSED)] [COMM], or BYTES (CDB) [COMM]' },
  B: { form: QUEUE_FORM, shape: 'SECTOR + COUNT [(ELAPSED)] [COMM], or BYTES (CDB) [COMM]' },
  R: { form: new RegExp(`^(?:(?:${SECTORS} )?(?:${ELAPSED} )?|\\([^)]*\\) )\\[-?\\d+\\]$`), shape: 'SECTOR + COUNT [(ELAPSED)] [ERROR]' },
  M: { form: new RegExp(`^(?:${SECTORS} )?${COMM}$`), shape: 'SECTOR + COUNT [COMM]' },
  F: { form: new RegExp(`^(?:${SECTORS} )?${COMM}$`), shape: 'SECTOR + COUNT [COMM]' },
  G: { form: new RegExp(`^(?:${SECTORS} )?${COMM}$`), shape: 'SECTOR + COUNT [COMM]' },
  S: { form: new RegExp(`^(?:${SECTORS} )?${COMM}$`), shape: 'SECTOR + COUNT [COMM]' },
  P: { form: new RegExp(`^${COMM}$`), shape: '[COMM]' },
  U: { form: new RegExp(`^${COMM} \\d+$`), shape: '[COMM] DEPTH' },
  UT: { form: new RegExp(`^${COMM} \\d+$`), shape: '[COMM] DEPTH' },
  T: { form: new RegExp(`^${COMM} \\d+$`), shape: '[COMM] DEPTH' },
  A: { form: new RegExp(`^${SECTORS} <- \\(\\d+,\\d+\\) \\d+$`), shape: 'SECTOR + COUNT <- (MAJOR,MINOR) SECTOR' },
  X: { form: new RegExp(`^\\d+ / \\d+ ${COMM}$`), shape: 'SECTOR / SECTOR [COMM]' },
  m: { form: /^/, shape: 'a message' },
};

/**
 * The data direction in a blkparse RWBS string: a leading F is a pre-flush (newer blkparse), then
 * one of D (discard), W, R or N (no data), then flags (F = FUA, A, B, S, M …).
 * Returns undefined when no direction letter is found.
 */
export function rwbsToOp(rwbs: string, lengthBytes: number): IoOp | undefined {
  let i = 0;
  let flushFlag = false;
  if (rwbs.length > 1 && rwbs.charCodeAt(0) === 70 /* F */) {
    const d = rwbs.charCodeAt(1);
    if (d === 68 || d === 87 || d === 82 || d === 78) {
      flushFlag = true;
      i = 1;
    }
  }
  let op: IoOp;
  switch (rwbs.charCodeAt(i)) {
    case 68: // D
      op = 'trim';
      break;
    case 87: // W
      op = 'write';
      break;
    case 82: // R
      op = 'read';
      break;
    case 78: // N
      op = 'other';
      break;
    default:
      return undefined;
  }
  for (let k = i + 1; k < rwbs.length; k++) {
    const c = rwbs.charCodeAt(k);
    if (c < 65 || c > 90) return undefined;
    if (c === 70) flushFlag = true;
  }
  if (lengthBytes === 0 && (op === 'write' || op === 'other') && (flushFlag || op === 'write')) return 'flush';
  return op;
}

function isDeviceToken(f: FieldScanner): boolean {
  let comma = false;
  let digits = 0;
  for (let p = f.start; p < f.end; p++) {
    const c = f.text.charCodeAt(p);
    if (c === 44) {
      if (comma || digits === 0) return false;
      comma = true;
      digits = 0;
    } else if (c >= 48 && c <= 57) digits++;
    else return false;
  }
  return comma && digits > 0;
}

export async function* readBlkparse(input: WorkloadInput, options: BlkparseOptions = {}): AsyncGenerator<IoRecord> {
  const file = inputName(input, options);
  const wantIssue = options.events !== 'complete';
  const wantComplete = options.events !== 'issue';
  const f = new FieldScanner();
  const time = { sec: 0, ns: 0 };
  let line = 0;
  let inSummary = false;
  let lastDevice = '';
  const fail = (field: string, problem: string): WorkloadError => new WorkloadError(file, line, field, problem);
  for await (const batch of readLineBatches(input, options)) for (const text of batch) {
    line++;
    if (inSummary) {
      if (!SUMMARY_LINE.test(text)) throw fail('summary', `unexpected line in blkparse's summary block: ${quote(text)}`);
      if (options.stats) options.stats.nonData++;
      continue;
    }
    f.reset(text);
    if (!f.nextToken()) {
      if (options.stats) options.stats.nonData++;
      continue;
    }
    if (!isDeviceToken(f)) {
      if (SUMMARY_START.test(text)) {
        inSummary = true;
        if (options.stats) options.stats.nonData++;
        continue;
      }
      if (INPUT_ADDED.test(text)) {
        if (options.stats) options.stats.nonData++;
        continue;
      }
      throw fail('device', `expected MAJOR,MINOR, got ${quote(f.str())}`);
    }
    const devStart = f.start;
    const devEnd = f.end;
    if (!f.nextToken()) throw fail('cpu', 'missing');
    const cpu = f.uint();
    if (Number.isNaN(cpu)) throw fail('cpu', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('sequence', 'missing');
    if (Number.isNaN(f.uint())) throw fail('sequence', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('time', 'missing');
    if (!parseSecondsFraction(text, f.start, f.end, time)) throw fail('time', `expected SECONDS.NANOSECONDS, got ${quote(f.str())}`);
    const timeNs = time.sec * 1e9 + time.ns;
    if (!Number.isSafeInteger(timeNs)) throw fail('time', 'too large');
    if (!f.nextToken()) throw fail('pid', 'missing');
    const pid = f.uint();
    if (Number.isNaN(pid)) throw fail('pid', `not an unsigned integer: ${quote(f.str())}`);
    if (!f.nextToken()) throw fail('action', 'missing');
    const len = f.length();
    const actionStart = f.start;
    const a0 = f.charAt(0);
    const a1 = f.charAt(1);
    const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (len > 2 || !isLetter(a0) || (len === 2 && !isLetter(a1))) throw fail('action', `expected a one- or two-letter action, got ${quote(f.str())}`);
    const isIssue = len === 1 && a0 === 68; // D
    const isComplete = len === 1 && a0 === 67; // C
    if (!f.nextToken()) throw fail('rwbs', 'missing');
    const rwbsStart = f.start;
    const rwbsEnd = f.end;
    if (!isIssue && !isComplete) {
      const action = text.slice(actionStart, actionStart + len);
      const tail = TAIL_FORMS[action];
      if (tail === undefined) throw fail('action', `unknown action ${quote(action)} (blkparse prints ${Object.keys(TAIL_FORMS).join(' ')} C D)`);
      const rwbs = text.slice(rwbsStart, rwbsEnd);
      if (rwbsToOp(rwbs, 1) === undefined) throw fail('rwbs', `expected [F]D|W|R|N followed by flag letters, got ${quote(rwbs)}`);
      if (!tail.form.test(text.slice(rwbsEnd).trim())) throw fail('line', `expected ${tail.shape} after a ${action} event's RWBS: ${quote(text)}`);
      if (options.stats) options.stats.ignored++;
      continue;
    }
    // Action-specific part of a D or C event.
    let offsetBytes = 0;
    let lengthBytes = 0;
    if (!f.nextToken()) throw fail('sector', 'missing');
    const c0 = f.charAt(0);
    if (c0 >= 48 && c0 <= 57) {
      const sector = f.uint();
      if (Number.isNaN(sector)) throw fail('sector', `not an unsigned integer: ${quote(f.str())}`);
      if (!f.nextToken()) throw fail('sector', `nothing after the sector: ${quote(text)}`);
      if (f.eq('+')) {
        if (!f.nextToken()) throw fail('nsectors', 'missing');
        const sectors = f.uint();
        if (Number.isNaN(sectors)) throw fail('nsectors', `not an unsigned integer: ${quote(f.str())}`);
        if (!f.nextToken() || (f.charAt(0) !== 40 && f.charAt(0) !== 91)) throw fail('line', `expected (elapsed) or [...] after the sector count: ${quote(text)}`);
        offsetBytes = sector * SECTOR;
        lengthBytes = sectors * SECTOR;
      } else if (f.charAt(0) === 40 || f.charAt(0) === 91) {
        if (isIssue) {
          // SCSI pass-through issue: "bytes (cdb) [proc]" — no sector to place.
          if (options.stats) options.stats.ignored++;
          continue;
        }
        offsetBytes = sector * SECTOR; // completion without sectors: "sector [error]"
      } else {
        throw fail('line', `expected "+", "(" or "[" after the sector: ${quote(text)}`);
      }
      if (!Number.isSafeInteger(offsetBytes)) throw fail('sector', 'too large');
    } else if (c0 === 40 || c0 === 91) {
      if (isComplete) {
        // SCSI pass-through completion: "(cdb) [error]".
        if (options.stats) options.stats.ignored++;
        continue;
      }
      // An issue without sectors (a flush): "[proc]" or "(elapsed) [proc]".
    } else {
      throw fail('sector', `expected a sector number or [...], got ${quote(f.str())}`);
    }
    const rwbs = text.slice(rwbsStart, rwbsEnd);
    const op = rwbsToOp(rwbs, lengthBytes);
    if (op === undefined) throw fail('rwbs', `expected [F]D|W|R|N followed by flag letters, got ${quote(rwbs)}`);
    if ((isIssue && !wantIssue) || (isComplete && !wantComplete)) {
      if (options.stats) options.stats.ignored++;
      continue;
    }
    if (devEnd - devStart !== lastDevice.length || !text.startsWith(lastDevice, devStart)) lastDevice = text.slice(devStart, devEnd);
    yield { timeNs, op, offsetBytes, lengthBytes, device: lastDevice, cpu, pid, phase: isIssue ? 'issue' : 'complete', line };
  }
}
