/**
 * The one error type the workload readers throw for bad input. It names the file, the line (or,
 * for binary formats, the 1-based record index) and the field, in the project's usual shape:
 * `FILE:LINE: FIELD: what is wrong`. When no line applies (the file cannot be opened, the gzip
 * stream is corrupt before any line was read) the line is left out: `FILE: FIELD: what is wrong`.
 */
export class WorkloadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${field}: ${problem}`);
    this.name = 'WorkloadError';
  }
}

/** A short, single-line rendering of a piece of input for error messages. */
export function quote(text: string, max = 60): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(clipped);
}
