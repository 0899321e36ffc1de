/**
 * Parameter sweeps: a YAML file with a `base:` scenario, `axes:` (scenario field paths, each with a
 * list of values or a `{from, to, step}` range) and `repeats:` (seeds per point). It expands, always
 * in the same order, into the cross product of the axes times the repeats. Each point has a stable id:
 * a short hash of the canonical JSON of its own axis values and repeat index, so the same file always
 * gives the same ids and adding a value to an axis does not renumber the other points. Every point's
 * scenario goes through validateScenario, so a bad axis value is an error naming the file and point.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KernelVersionError } from '../allocators/kernel-version.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import { PRESETS, SAS_128CPU } from '../sim/presets.js';
import { ScenarioError, validateScenario, type Scenario } from '../sim/scenario.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class SweepError extends Error {}

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
  /** Short hash of the whole scenario: a result is only reused for a point with the same one. */
  readonly fingerprint: string;
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

/** Parses sweep YAML text. `readBase` loads a `base: FILE` reference (relative to the sweep file). */
export async function parseSweepYaml(text: string, source: string, readBase: (file: string) => Promise<string> = (f) => readFile(resolve(dirname(source), f), 'utf8')): Promise<SweepSpec> {
  const fail = (path: string, problem: string): never => {
    throw new SweepError(`${source}: ${path}: ${problem}`);
  };
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const yamlError = error as { linePos?: { line: number; col: number }[]; message: string };
    const position = yamlError.linePos?.[0];
    throw new SweepError(`${source}${position ? `:${position.line}:${position.col}` : ''}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new SweepError(`${source}: must be a YAML mapping with base:, axes: and repeats:`);
  const top = data as Record<string, Json>;
  const known = ['name', 'base', 'axes', 'repeats'];
  for (const key of Object.keys(top)) if (!known.includes(key)) fail(key, `unknown key (known: ${known.join(', ')})`);

  // base: a scenario mapping, or the name of a scenario YAML file.
  let baseRaw: Json = top.base ?? {};
  let baseSource = `${source}: base`;
  if (typeof baseRaw === 'string') {
    const file = baseRaw;
    let baseText: string;
    try {
      baseText = await readBase(file);
    } catch (error) {
      return fail('base', `cannot read scenario file ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
      baseRaw = parseYaml(baseText) as Json;
    } catch (error) {
      return fail('base', `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    baseSource = `${source}: base (${file})`;
  }
  if (baseRaw === null || typeof baseRaw !== 'object' || Array.isArray(baseRaw)) return fail('base', 'must be a scenario mapping or a scenario file name');
  const { preset, ...baseData } = baseRaw;
  let fallback = SAS_128CPU;
  if (preset !== undefined) {
    if (typeof preset !== 'string' || !Object.prototype.hasOwnProperty.call(PRESETS, preset)) {
      fail('base.preset', `unknown preset ${JSON.stringify(preset)} (known: ${Object.keys(PRESETS).join(', ')})`);
    }
    fallback = PRESETS[preset as string];
  }
  let baseScenario: Scenario;
  try {
    baseScenario = validateScenario(baseData, baseSource, fallback);
  } catch (error) {
    if (error instanceof ScenarioError) throw new SweepError(error.message);
    throw error;
  }

  const axes: { path: string; values: Json[] }[] = [];
  const axesRaw = top.axes ?? {};
  if (axesRaw === null || typeof axesRaw !== 'object' || Array.isArray(axesRaw)) fail('axes', 'must be a mapping from a scenario field path (e.g. iommu.invalidation) to a list of values or a {from, to, step} range');
  for (const [path, spec] of Object.entries(axesRaw as Record<string, Json>)) {
    const where = `axes.${path}`;
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(path)) fail(where, 'must be a dotted scenario field path such as host.max_sectors');
    if (path === 'seed') fail(where, 'seeds come from repeats:, not an axis');
    if (path === 'name') fail(where, 'the point name is derived from the axes');
    let values: Json[];
    if (Array.isArray(spec)) values = spec;
    else if (spec !== null && typeof spec === 'object') values = expandRange(spec, where, fail);
    else values = fail(where, 'must be a list of values or a {from, to, step} range');
    if (values.length === 0) fail(where, 'has no values');
    const seen = new Set<string>();
    for (const value of values) {
      const key = canonicalJson(value);
      if (seen.has(key)) fail(where, `value ${key} is listed twice`);
      seen.add(key);
    }
    axes.push({ path, values });
  }
  for (const a of axes) {
    for (const b of axes) if (a !== b && b.path.startsWith(`${a.path}.`)) fail(`axes.${b.path}`, `overlaps axis ${a.path}`);
  }

  const repeats = top.repeats ?? 1;
  if (typeof repeats !== 'number' || !Number.isInteger(repeats) || repeats < 1 || repeats > 10_000) fail('repeats', `must be a whole number of seeds from 1 to 10000, got ${JSON.stringify(repeats)}`);
  const count = axes.reduce((n, a) => n * a.values.length, repeats as number);
  if (count > MAX_POINTS) fail('axes', `expand to ${count} points (the limit is ${MAX_POINTS})`);
  const name = top.name ?? baseScenario.name;
  if (typeof name !== 'string' || name === '') fail('name', 'must be a non-empty string');
  return { source, name: name as string, baseData: baseData as Record<string, Json>, baseScenario, preset: fallback, axes, repeats: repeats as number };
}

function expandRange(spec: { [key: string]: Json }, where: string, fail: (path: string, problem: string) => never): Json[] {
  for (const key of Object.keys(spec)) if (!['from', 'to', 'step'].includes(key)) fail(`${where}.${key}`, 'unknown key (known: from, to, step)');
  const num = (key: string): number => {
    const v = spec[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${where}.${key}`, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const from = num('from');
  const to = num('to');
  const step = spec.step === undefined ? 1 : num('step');
  if (step <= 0) fail(`${where}.step`, 'must be above 0');
  if (to < from) fail(`${where}.to`, `must not be below from (${from})`);
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  if (n > 100_000) fail(where, `range has ${n} values (the limit is 100000)`);
  // Rounded to 12 significant digits so 0.1 steps do not give 0.30000000000000004.
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toPrecision(12)));
}

function setPath(target: Record<string, Json>, path: string, value: Json): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    else node[part] = { ...next };
    node = node[part] as Record<string, Json>;
  }
  node[parts[parts.length - 1]] = value;
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
    const source = `${spec.source}: point [${label || 'base'}]`;
    let scenario: Scenario;
    try {
      scenario = validateScenario(data, source, spec.preset);
      if (cpus !== undefined) scenario = withCpus(validateScenario({ cpus }, source, scenario));
      dmaKernelFeatures(scenario.kernel);
    } catch (error) {
      if (error instanceof ScenarioError) throw new SweepError(error.message);
      if (error instanceof KernelVersionError) throw new SweepError(`${source}: kernel: ${error.message}`);
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
      points.push({ id, index: points.length, axes, repeat, seed, scenario: pointScenario, fingerprint: shortHash(canonicalJson(pointScenario), 16) });
    }
  }
  return points;
}

/** Fewer CPUs than the jobs name: keep the ones that still exist (all of them when none does). */
function withCpus(scenario: Scenario): Scenario {
  const all = Array.from({ length: scenario.cpus }, (_, i) => i);
  const jobs = scenario.jobs.map((job) => {
    const kept = job.cpus.filter((c) => c < scenario.cpus);
    return kept.length === job.cpus.length ? job : { ...job, cpus: kept.length > 0 ? kept : all };
  });
  return { ...scenario, jobs };
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
