/**
 * The schema layer every input file goes through (scenario, sweep file, fio-derived settings; zod
 * schemas describe them and generate their TypeScript types), and the one formatter of its errors.
 *
 * A file is parsed with `yaml`'s `parseDocument` and a `LineCounter`, so every node keeps its
 * range. Validation runs on the plain data (`doc.toJS()`); a failing issue's path (`jobs.0.bs`) is
 * looked up in the document again to find where it was written, and the error reads
 *
 *     FILE:LINE:COLUMN: path.to.field: message
 *
 * pointing at the value (or, for an unknown key, at the key). A path the file does not contain
 * (a value that came from a preset) points at its nearest written ancestor; with no file at all
 * (a library object) the message is `path.to.field: message`. One error is reported: the first.
 *
 * Unknown keys are errors at every level (`z.strictObject`), `__proto__` and `constructor`
 * included: `yaml` turns them into own properties, never into prototypes, and zod sees them.
 * The number helpers word their errors the same way everywhere ("must be between 1 and 4096,
 * got -1").
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';

export type FieldPath = readonly (string | number)[];

/** `jobs[0].cpus_allowed` from ['jobs', 0, 'cpus_allowed']. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  return text;
}

export interface SchemaProblem {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** The field as the input spells it (`jobs[0].bs`); empty for the whole document. */
  readonly field: string;
  readonly problem: string;
}

/** Formats a problem as `FILE:LINE:COLUMN: field: problem` (parts that are unknown left out). */
export function formatProblem(p: SchemaProblem): string {
  const where = p.file === undefined ? '' : p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column}`;
  return [where, p.field, p.problem].filter((part) => part !== '').join(': ');
}

/** Input that does not fit its schema; the message is formatProblem's line. */
export class SchemaError extends Error implements SchemaProblem {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field: string;
  readonly problem: string;

  constructor(problem: SchemaProblem | string) {
    const p: SchemaProblem = typeof problem === 'string' ? { field: '', problem } : problem;
    super(formatProblem(p));
    this.file = p.file;
    this.line = p.line;
    this.column = p.column;
    this.field = p.field;
    this.problem = p.problem;
  }
}

/** One failed check: where (path in the data; `key` when the key itself is wrong) and what. */
export interface Issue {
  readonly path: FieldPath;
  readonly message: string;
  readonly key?: boolean;
}

/** A parsed YAML file that can say where any path of its data was written. */
export class YamlFile {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses text; a syntax error is a SchemaError at its line and column. */
  static parse(text: string, file: string, options: { intAsBigInt?: boolean } = {}): YamlFile {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, intAsBigInt: options.intAsBigInt === true });
    if (doc.errors.length > 0) {
      const error = doc.errors[0];
      const { line, col } = lines.linePos(error.pos[0]);
      throw new SchemaError({ file, line, column: col, field: '', problem: `not valid YAML: ${error.message.split('\n')[0]}` });
    }
    return new YamlFile(file, doc, lines);
  }

  /** The plain data (mappings become objects with own properties only; with intAsBigInt, whole numbers are bigints). */
  data(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** Line and column of `path` (of its key with `key`), else of its nearest written ancestor. */
  position(path: FieldPath, key = false): { line: number; column: number } | undefined {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.node(path.slice(0, depth), key && depth === path.length);
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        const { line, col } = this.lines.linePos(offset);
        return { line, column: col };
      }
    }
    return undefined;
  }

  private node(path: FieldPath, key: boolean): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined;
    const parent = path.length === 1 ? (this.doc.contents as Node | null) : (this.doc.getIn(path.slice(0, -1), true) as Node | undefined);
    const last = path[path.length - 1];
    if (key && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      return (pair?.key as Node | undefined) ?? undefined;
    }
    const node = this.doc.getIn(path, true) as Node | undefined;
    return node !== undefined && typeof node === 'object' ? node : undefined;
  }

  /** The error for an issue found in this file's data; `prefix` is the data's path in the file. */
  error(issue: Issue, prefix: FieldPath = [], fieldPrefix: FieldPath = prefix): SchemaError {
    const at = this.position([...prefix, ...issue.path], issue.key === true);
    return new SchemaError({ file: this.file, line: at?.line, column: at?.column, field: formatPath([...fieldPrefix, ...issue.path]), problem: issue.message });
  }
}

/** A short rendering of a bad value for messages. */
export function valueText(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** Our wording for zod's issues that carry no message of their own. */
function message(issue: z.core.$ZodRawIssue): string {
  const got = `, got ${valueText(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}${got}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}${got}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    case 'invalid_union':
      return `is not valid${got}`;
    default:
      return 'is not valid';
  }
}

/** Checks data against a schema: the typed value, or the issues (unknown keys one per key). */
export function check<T>(schema: z.ZodType<T>, data: unknown): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  const result = schema.safeParse(data, { reportInput: true, error: message });
  if (result.success) return { ok: true, value: result.data };
  const issues: Issue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) issues.push({ path: [...path, key], message: issue.message, key: true });
    else issues.push({ path, message: issue.message });
  }
  return { ok: false, issues };
}

/** A strict mapping: any other key is an error listing the known ones. */
export function mapping<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape, z.core.$strict> {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (known: ${known})` : undefined) });
}

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max: number): z.ZodNumber {
  const between = (issue: { input?: unknown }): string => `must be between ${min} and ${max}, got ${valueText(issue.input)}`;
  return z.int({ error: (issue) => `must be a whole number, got ${valueText(issue.input)}` }).min(min, { error: between }).max(max, { error: between });
}

/** Any finite number in [min, max]. */
export function decimal(min: number, max: number): z.ZodNumber {
  const between = (issue: { input?: unknown }): string => `must be between ${min} and ${max}, got ${valueText(issue.input)}`;
  return z.number({ error: (issue) => `must be a number, got ${valueText(issue.input)}` }).min(min, { error: between }).max(max, { error: between });
}

/** One of the given words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: (issue) => `must be one of ${values.join(', ')}, got ${valueText(issue.input)}` });
}

/** Non-empty text. */
export function text(): z.ZodString {
  return z.string({ error: (issue) => `must be text, got ${valueText(issue.input)}` }).min(1, { error: 'must not be empty' });
}
