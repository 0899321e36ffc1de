/**
 * Parameter sweeps: a YAML file with a `base:` scenario, `axes:` (scenario field paths, each with a
 * list of values or a `{from, to, step}` range) and `repeats:` (seeds per point). It expands, always
 * in the same order, into the cross product of the axes times the repeats. Each point has a stable id:
 * a short hash of the canonical JSON of its own axis values and repeat index, so the same file always
 * gives the same ids and adding a value to an axis does not renumber the other points.
 *
 * The file is checked on the schema layer (src/schema.ts): an axis must name a scenario field
 * (scenario-schema.ts lists them; `__proto__.x` is no field), and every point's scenario is built by
 * the scenario loader, so a bad axis value is an error `FILE:LINE:COLUMN: field: problem (point
 * [...])` at the value in the axis list. An axis on `cpus` applies after the rest, keeping the base's
 * jobs on the CPUs that exist, as the loader does for any change of the CPU count.
 *
 * `workload: JOB.fio` (relative to the sweep file) runs a fio job file on every point, as `iovasim
 * run --preset` runs one on a preset: each point's scenario (base and axes) gives the host, IOMMU,
 * disks and costs, the job file its jobs, runtime and platform (an axis on `duration_ms` replaces the
 * runtime; an axis on a `jobs` field is refused, the jobs being the file's), and the point carries
 * the FioWorkload its worker rebuilds the I/O sources from.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { check, decimal, mapping, SchemaError, text, valueText, wholeNumber, YamlFile, type Issue, type SchemaProblem } from '../schema.js';
import { PRESETS, SAS_128CPU } from '../sim/presets.js';
import type { FioWorkload } from '../sim/fio-workload.js';
import { jobFileOnScenario } from '../sim/scenario-file.js';
import { applyOverrides, scenarioFromData, scenarioFromFileData } from '../sim/scenario-loader.js';
import { WorkloadError } from '../workloads/errors.js';
import { scenarioFieldPaths, ScenarioError } from '../sim/scenario-schema.js';
import type { Scenario } from '../sim/scenario.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A sweep file that cannot be run; the message is `FILE:LINE:COLUMN: field: problem`. */
export class SweepError extends SchemaError {
  constructor(problem: SchemaProblem | string) {
    super(problem);
  }
}

export interface SweepSpec {
  readonly source: string;
  readonly name: string;
  /** The base scenario as a YAML mapping (snake_case keys, `preset:` already resolved away). */
  readonly baseData: Record<string, Json>;
  readonly baseScenario: Scenario;
  /** What the base mapping is validated on top of (its `preset:`, else sas-128cpu); so is every point. */
  readonly preset: Scenario;
  /** Axis path → its values, in file order. */
  readonly axes: readonly { readonly path: string; readonly values: readonly Json[] }[];
  readonly repeats: number;
  /** The parsed file, for error positions; absent for a spec built in code. */
  readonly yaml?: YamlFile;
  /** Where the base's fields are written: inline under `base`, or in their own file. */
  readonly baseOrigin?: { readonly yaml: YamlFile; readonly prefix: readonly string[] };
  /** `workload:` — a fio job file run on every point (its path as resolved, and its text). */
  readonly workload?: { readonly file: string; readonly text: string };
}

export interface SweepPoint {
  /** 12 hex digits: sha256 of canonical JSON {axes, repeat}. */
  readonly id: string;
  /** Position in the expansion order (for display only; ids are what identify a point). */
  readonly index: number;
  readonly axes: Readonly<Record<string, Json>>;
  readonly repeat: number;
  readonly seed: number;
  readonly scenario: Scenario;
  /** Short hash of the whole scenario (and job file): a result is only reused for a point with the same one. */
  readonly fingerprint: string;
  /** With `workload:`: the job file's I/O sources as data (point workers rebuild them). */
  readonly fioWorkload?: FioWorkload;
  /** With `workload:`: what the job file has that the simulation does not simulate, one line each. */
  readonly workloadNotes?: readonly string[];
}

const MAX_POINTS = 1_000_000;

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((k) => record[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export function pointId(axes: Readonly<Record<string, Json>>, repeat: number): string {
  return shortHash(canonicalJson({ axes, repeat }));
}

/** Repeat 0 keeps the base seed (a 1-repeat sweep matches `iovasim simulate`); others are hashed from it. */
export function repeatSeed(baseSeed: number, repeat: number): number {
  if (repeat === 0) return baseSeed;
  return createHash('sha256').update(`iovasim-sweep-seed:${baseSeed}:${repeat}`).digest().readUInt32BE(0);
}

const range = mapping({ from: decimal(-1e15, 1e15), to: decimal(-1e15, 1e15), step: decimal(Number.MIN_VALUE, 1e15).optional() });

const sweepSchema = mapping({
  name: text().optional(),
  base: z.unknown().optional(),
  workload: text().optional(),
  axes: z
    .record(z.string(), z.union([z.array(z.unknown()), range], { error: (issue) => `must be a list of values or a {from, to, step} range, got ${valueText(issue.input)}` }), {
      error: (issue) => `must be a mapping from a scenario field path (e.g. iommu.invalidation) to a list of values or a {from, to, step} range, got ${valueText(issue.input)}`,
    })
    .optional(),
  repeats: wholeNumber(1, 10_000).optional(),
});

/** Parses sweep YAML text. `readBase` loads a `base: FILE` reference (relative to the sweep file). */
export async function parseSweepYaml(text: string, source: string, readBase: (file: string) => Promise<string> = (f) => readFile(resolve(dirname(source), f), 'utf8')): Promise<SweepSpec> {
  const yaml = parsed(() => YamlFile.parse(text, source));
  const fail = (issue: Issue): never => {
    throw new SweepError(yaml.error(issue));
  };
  const data = yaml.data();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return fail({ path: [], message: 'must be a YAML mapping with base:, axes: and repeats:' });
  const result = check(sweepSchema, data);
  if (!result.ok) return fail(result.issues[0]);
  const top = result.value;

  // base: a scenario mapping, or the name of a scenario YAML file.
  let baseOrigin = { yaml, prefix: ['base'] as string[] };
  let baseRaw: unknown = top.base ?? {};
  if (typeof baseRaw === 'string') {
    const file = baseRaw;
    let baseText: string;
    try {
      baseText = await readBase(file);
    } catch (error) {
      return fail({ path: ['base'], message: `cannot read scenario file ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    }
    const baseYaml = parsed(() => YamlFile.parse(baseText, file));
    baseRaw = baseYaml.data() ?? {};
    baseOrigin = { yaml: baseYaml, prefix: [] };
  }
  if (baseRaw === null || typeof baseRaw !== 'object' || Array.isArray(baseRaw)) return fail({ path: ['base'], message: 'must be a scenario mapping or a scenario file name' });
  const { preset, ...baseData } = baseRaw as Record<string, Json>;
  let baseScenario: Scenario;
  try {
    baseScenario = scenarioFromFileData(baseRaw, SAS_128CPU, { file: baseOrigin.yaml, prefix: baseOrigin.prefix });
  } catch (error) {
    if (error instanceof ScenarioError) throw new SweepError(error);
    throw error;
  }
  const fallback = preset === undefined ? SAS_128CPU : PRESETS[preset as string];

  const fields = scenarioFieldPaths();
  const axes: { path: string; values: Json[] }[] = [];
  // The file's own keys (zod's record output would turn a `__proto__` key into a prototype).
  const rawAxes = ((data as Record<string, unknown>).axes ?? {}) as Record<string, unknown>;
  for (const path of Object.keys(rawAxes)) {
    const spec = rawAxes[path];
    const where = ['axes', path];
    if (!fields.includes(path)) fail({ path: where, key: true, message: `not a scenario field (known: ${fields.filter((f) => f !== 'seed' && f !== 'name').join(', ')})` });
    if (path === 'seed') fail({ path: where, key: true, message: 'seeds come from repeats:, not an axis' });
    if (path === 'name') fail({ path: where, key: true, message: 'the point name is derived from the axes' });
    const values = Array.isArray(spec) ? (spec as Json[]) : expandRange(spec as { from: number; to: number; step?: number }, where, fail);
    if (values.length === 0) fail({ path: where, message: 'has no values' });
    const seen = new Set<string>();
    for (const [i, value] of values.entries()) {
      const key = canonicalJson(value);
      if (seen.has(key)) fail({ path: Array.isArray(spec) ? [...where, i] : where, message: `value ${key} is listed twice` });
      seen.add(key);
    }
    axes.push({ path, values });
  }
  for (const a of axes) {
    for (const b of axes) if (a !== b && b.path.startsWith(`${a.path}.`)) fail({ path: ['axes', b.path], key: true, message: `overlaps axis ${a.path}` });
  }

  let workload: { file: string; text: string } | undefined;
  if (top.workload !== undefined) {
    for (const a of axes) if (a.path === 'jobs' || a.path.startsWith('jobs.')) fail({ path: ['axes', a.path], key: true, message: 'the jobs come from workload: (the fio job file); vary them there' });
    try {
      // Read as `base: FILE` is: relative to the sweep file.
      workload = { file: resolve(dirname(source), top.workload), text: await readBase(top.workload) };
    } catch (error) {
      return fail({ path: ['workload'], message: `cannot read fio job file ${JSON.stringify(top.workload)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    }
  }

  const repeats = top.repeats ?? 1;
  const count = axes.reduce((n, a) => n * a.values.length, repeats);
  if (count > MAX_POINTS) fail({ path: ['axes'], message: `expand to ${count} points (the limit is ${MAX_POINTS})` });
  const name = top.name ?? baseScenario.name;
  return { source, name, baseData: baseData as Record<string, Json>, baseScenario, preset: fallback, axes, repeats, yaml, baseOrigin, ...(workload === undefined ? {} : { workload }) };
}

/** Runs a YAML parse, turning its syntax error into a SweepError. */
function parsed(parse: () => YamlFile): YamlFile {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SchemaError) throw new SweepError(error);
    throw error;
  }
}

function expandRange(spec: { from: number; to: number; step?: number }, where: (string | number)[], fail: (issue: Issue) => never): Json[] {
  const { from, to } = spec;
  const step = spec.step ?? 1;
  if (to < from) fail({ path: [...where, 'to'], message: `must not be below from (${from})` });
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  if (n > 100_000) fail({ path: where, message: `range has ${n} values (the limit is 100000)` });
  // Rounded to 12 significant digits so 0.1 steps do not give 0.30000000000000004.
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toPrecision(12)));
}

/** Sets a dotted path with own properties only (define, never assign: no key reaches a prototype). */
function setPath(target: Record<string, Json>, path: string, value: Json): void {
  const parts = path.split('.');
  const define = (object: Record<string, Json>, key: string, v: Json): void => {
    Object.defineProperty(object, key, { value: v, enumerable: true, writable: true, configurable: true });
  };
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined;
    define(node, part, next === undefined || next === null || typeof next !== 'object' || Array.isArray(next) ? {} : { ...next });
    node = node[part] as Record<string, Json>;
  }
  define(node, parts[parts.length - 1], value);
}

function describeAxes(axes: Readonly<Record<string, Json>>): string {
  return Object.entries(axes)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : canonicalJson(v)}`)
    .join(' ');
}

/** The cross product, first axis outermost, repeats innermost; every point validated. */
export function expandSweep(spec: SweepSpec): SweepPoint[] {
  const points: SweepPoint[] = [];
  const combos: Record<string, Json>[] = [{}];
  for (const axis of spec.axes) {
    const next: Record<string, Json>[] = [];
    for (const combo of combos) for (const value of axis.values) next.push({ ...combo, [axis.path]: value });
    combos.splice(0, combos.length, ...next);
  }
  const ids = new Map<string, string>();
  for (const axes of combos) {
    const label = describeAxes(axes);
    const data: Record<string, Json> = structuredClone(spec.baseData);
    let cpus: Json | undefined;
    for (const [path, value] of Object.entries(axes)) {
      // The CPU count is applied after the rest, trimming job CPU lists as `--cpus` does.
      if (path === 'cpus') cpus = value;
      else setPath(data, path, value);
    }
    let scenario: Scenario;
    let fioWorkload: FioWorkload | undefined;
    let workloadNotes: string[] | undefined;
    try {
      scenario = scenarioFromData(data, spec.preset);
      if (cpus !== undefined) scenario = scenarioFromData({ cpus }, scenario);
      if (spec.workload !== undefined) ({ scenario, fioWorkload, notes: workloadNotes } = workloadOnPoint(spec.workload, scenario, axes));
    } catch (error) {
      if (error instanceof ScenarioError) throw pointError(spec, axes, label, error);
      if (error instanceof WorkloadError) throw new SweepError(`${error.message} (point [${label || 'base'}])`);
      throw error;
    }
    for (let repeat = 0; repeat < spec.repeats; repeat++) {
      const id = pointId(axes, repeat);
      const clash = ids.get(id);
      if (clash !== undefined) throw new SweepError(`${spec.source}: points [${clash}] and [${label}] have the same id ${id}`);
      ids.set(id, label);
      const seed = repeatSeed(spec.baseScenario.seed, repeat);
      const name = `${spec.name}${label ? ` ${label}` : ''}${spec.repeats > 1 ? ` #${repeat}` : ''}`;
      const pointScenario: Scenario = { ...scenario, name, seed };
      const fingerprint = shortHash(canonicalJson(pointScenario) + (fioWorkload === undefined ? '' : canonicalJson(fioWorkload as unknown as Json)), 16);
      points.push({ id, index: points.length, axes, repeat, seed, scenario: pointScenario, fingerprint, ...(fioWorkload === undefined ? {} : { fioWorkload, workloadNotes }) });
    }
  }
  return points;
}

/** The job file's jobs on a point's scenario; an axis on duration_ms replaces the file's runtime. */
function workloadOnPoint(workload: { file: string; text: string }, scenario: Scenario, axes: Readonly<Record<string, Json>>): { scenario: Scenario; fioWorkload: FioWorkload; notes: string[] } {
  const durationAxis = Object.prototype.hasOwnProperty.call(axes, 'duration_ms');
  const job = jobFileOnScenario(workload.file, workload.text, scenario, { durationOverridden: durationAxis }, (mapped) => (durationAxis ? applyOverrides(mapped, { durationMs: scenario.durationMs }) : mapped));
  return { scenario: job.scenario, fioWorkload: job.fioWorkload, notes: job.notes };
}

/**
 * A point's scenario error at the place that caused it: the axis value when the field is an axis
 * (or inside one), else the field in the base, else the axes.
 */
function pointError(spec: SweepSpec, axes: Readonly<Record<string, Json>>, label: string, error: ScenarioError): SweepError {
  const field = error.field;
  const problem = `${error.problem} (point [${label || 'base'}])`;
  const axis = spec.axes.find((a) => field === a.path || field.startsWith(`${a.path}.`) || field.startsWith(`${a.path}[`));
  const at = ((): { file: string; line?: number; column?: number } => {
    if (axis !== undefined && spec.yaml !== undefined) {
      const index = axis.values.findIndex((v) => canonicalJson(v) === canonicalJson(axes[axis.path]));
      const position = spec.yaml.position(['axes', axis.path, index]);
      return { file: spec.yaml.file, line: position?.line, column: position?.column };
    }
    if (spec.baseOrigin !== undefined) {
      const position = spec.baseOrigin.yaml.position([...spec.baseOrigin.prefix, ...field.split(/[.[\]]+/).filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p))]);
      return { file: spec.baseOrigin.yaml.file, line: position?.line, column: position?.column };
    }
    return { file: spec.source };
  })();
  return new SweepError({ ...at, field, problem });
}

/** Reads and expands a sweep file; errors are SweepError naming the file and field. */
export async function loadSweepFile(file: string): Promise<{ spec: SweepSpec; points: SweepPoint[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SweepError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const spec = await parseSweepYaml(text, file);
  return { spec, points: expandSweep(spec) };
}
