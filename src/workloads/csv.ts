/**
 * The line handling the comma-separated block-trace readers share (Alibaba, Tencent, CloudPhysics,
 * MSR Cambridge): line numbering, skipping blank lines and a header row before the first data row,
 * field-by-field scanning with the same error wording, and the check that no field is left over.
 * One instance serves a whole file and allocates nothing per line unless a line is rejected.
 */
import { WorkloadError, quote } from './errors.js';
import { COMMA, FieldScanner } from './fields.js';
import type { ReadStats } from './io-record.js';

export class CsvLines {
  /** The scanner over the current line, for fields that need more than `uint()`. */
  readonly f = new FieldScanner();
  /** 1-based number of the current line. */
  line = 0;
  /** True while the current line is the first data row. */
  first = false;
  private seenData = false;

  /**
   * @param file name for errors
   * @param header how a header row starts (e.g. `device_id,`); only looked for before the first data row
   * @param stats counts skipped lines as nonData when given
   */
  constructor(
    private readonly file: string,
    private readonly header: string,
    private readonly stats: ReadStats | undefined,
  ) {}

  /** Takes the next line: false for a blank line or a header row (skip it), else ready to scan. */
  begin(text: string): boolean {
    this.line++;
    if (text.trim().length === 0 || (!this.seenData && text.startsWith(this.header))) {
      if (this.stats) this.stats.nonData++;
      return false;
    }
    this.first = !this.seenData;
    this.seenData = true;
    this.f.reset(text);
    return true;
  }

  fail(field: string, problem: string): WorkloadError {
    return new WorkloadError(this.file, this.line, field, problem);
  }

  /** Moves to the next field, `field` naming it in the error when the line has run out. */
  next(field: string): void {
    if (!this.f.next(COMMA)) throw this.fail(field, 'missing');
  }

  /** The next field as an unsigned decimal integer. */
  uint(field: string): number {
    this.next(field);
    const value = this.f.uint();
    if (Number.isNaN(value)) throw this.fail(field, `not an unsigned integer: ${quote(this.f.str())}`);
    return value;
  }

  /** Rejects a line with more than `fields` fields. */
  end(fields: number): void {
    const f = this.f;
    if (f.pos <= f.text.length) throw this.fail('line', `expected ${fields} comma-separated fields, found more: ${quote(f.text)}`);
  }
}
