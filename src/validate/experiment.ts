/**
 * A validation experiment: one published figure, written as data (experiments/ID.yaml), that the
 * simulator either reproduces or is shown to miss.
 *
 * A published figure is a ratio of one metric between two scenario variants (IOPS with the retry pass
 * over IOPS with it reverted: 893.5K / 1655.6K). Each variant is a scenario written in the scenario
 * file's own spelling and built by the one scenario loader (src/sim/scenario-loader.ts): `base:`
 * names a preset and changes it, each variant's `scenario:` changes the base. A field another
 * branch adds to the scenario schema is therefore usable here without any change to this file.
 *
 * Every experiment has a role. A `calibration` experiment names the cost constants that were set so
 * that it fits (its verdict proves nothing); a `prediction` is an outcome of the model. An
 * experiment that no scenario can express yet (no USB host, no I/O engine notion, …) is kept with
 * `status: not-expressible` and the reason, so the validation table lists what is not checked.
 *
 * `short:` is the scenario change that makes the experiment fit a CI run (`iovasim validate
 * --short`); without it the run is cut to DEFAULT_SHORT. `miss_reason:` is printed when the
 * simulated ratio falls outside the band, and says why the model misses (a miss honestly explained).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { check, decimal, mapping, oneOf, SchemaError, text, valueText, YamlFile, type FieldPath, type Issue } from '../schema.js';
import { presetScenario, scenarioFromData, scenarioFromFileData, DEFAULT_PRESET } from '../sim/scenario-loader.js';
import type { Scenario } from '../sim/scenario.js';
import { ScenarioError } from '../sim/scenario-schema.js';
import { METRIC_NAMES, type MetricName } from './metric.js';

/** The folder of the experiment files shipped with iovasim (the package's `experiments/`). */
export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

/** The file in the experiments folder that declares the assumed parameters (not an experiment). */
export const ASSUMPTIONS_FILE = 'assumptions.yaml';

/** A CI-sized run: 24 simulated ms, half of them warm-up, at most 200,000 ageing maps. */
export const DEFAULT_SHORT = { durationMs: 24, warmupMs: 12, ageingMaps: 200_000 } as const;

const scenarioMapping = z.record(z.string(), z.unknown(), { error: (issue) => `must be a mapping of scenario fields such as preset, cpus, jobs, got ${valueText(issue.input)}` });

const variantSchema = mapping({ label: text(), scenario: scenarioMapping.optional() });

const experimentSchema = mapping({
  id: text().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be lower-case words joined by "-" (the file name)' }),
  title: text(),
  source: text(),
  status: oneOf(['expressible', 'not-expressible']),
  reason: text().optional(),
  role: oneOf(['calibration', 'prediction']).optional(),
  calibrates: z.array(text(), { error: (issue) => `must be a list of parameter paths such as costs.tree_step_ns, got ${valueText(issue.input)}` }).min(1).optional(),
  metric: oneOf(METRIC_NAMES).optional(),
  published: mapping({ numerator: decimal(0, 1e12), denominator: decimal(1e-12, 1e12), text: text() }).optional(),
  ratio: mapping({ numerator: text(), denominator: text() }).optional(),
  base: scenarioMapping.optional(),
  variants: z.record(z.string(), variantSchema, { error: (issue) => `must be a mapping of variant names to { label, scenario }, got ${valueText(issue.input)}` }).optional(),
  short: scenarioMapping.optional(),
  miss_reason: text().optional(),
  seed_story: z.boolean({ error: (issue) => `must be true or false, got ${valueText(issue.input)}` }).optional(),
});

export interface ExperimentVariant {
  readonly key: string;
  readonly label: string;
  readonly scenario: Scenario;
  /** The same variant cut for a CI run. */
  readonly shortScenario: Scenario;
}

interface ExperimentCommon {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly file: string;
}

export interface ExpressibleExperiment extends ExperimentCommon {
  readonly status: 'expressible';
  readonly role: 'calibration' | 'prediction';
  /** Parameters calibrated on this experiment, as scenario paths (`costs.tree_step_ns`). */
  readonly calibrates: readonly string[];
  readonly metric: MetricName;
  readonly published: { readonly numerator: number; readonly denominator: number; readonly ratio: number; readonly text: string };
  readonly numerator: ExperimentVariant;
  readonly denominator: ExperimentVariant;
  readonly missReason?: string;
  /** One of the published comparisons `npm start` (the seed story) shows. */
  readonly seedStory: boolean;
}

export interface NotExpressibleExperiment extends ExperimentCommon {
  readonly status: 'not-expressible';
  readonly reason: string;
  readonly role?: 'calibration' | 'prediction';
  readonly metric?: MetricName;
  readonly published?: { readonly numerator: number; readonly denominator: number; readonly ratio: number; readonly text: string };
}

export type Experiment = ExpressibleExperiment | NotExpressibleExperiment;

function fail(yaml: YamlFile, issue: Issue, prefix: FieldPath = []): never {
  throw new ScenarioError(yaml.error(issue, prefix));
}

function toScenarioError(error: unknown): never {
  if (error instanceof SchemaError && !(error instanceof ScenarioError)) throw new ScenarioError({ file: error.file, line: error.line, column: error.column, field: error.field, problem: error.problem });
  throw error;
}

/** The variant's scenario: the base (a preset, changed), then the variant's own changes. */
function variantScenarios(yaml: YamlFile, key: string, base: Scenario, data: Record<string, unknown> | undefined, short: Record<string, unknown> | undefined): { scenario: Scenario; shortScenario: Scenario } {
  const scenario = data === undefined ? base : scenarioFromFileData(data, base, { file: yaml, prefix: ['variants', key, 'scenario'] });
  const named = { ...scenario, name: `${scenario.name}/${key}` };
  const cut = short ?? {
    duration_ms: DEFAULT_SHORT.durationMs,
    warmup_ms: DEFAULT_SHORT.warmupMs,
    ageing_maps: Math.min(named.ageingMaps, DEFAULT_SHORT.ageingMaps),
  };
  const shortScenario = scenarioFromData(cut, named, { file: yaml, prefix: ['short'] });
  return { scenario: named, shortScenario };
}

/** Parses one experiment file's text; every problem is one ScenarioError naming file, line and field. */
export function parseExperimentText(textOfFile: string, file: string): Experiment {
  let yaml: YamlFile;
  try {
    yaml = YamlFile.parse(textOfFile, file);
  } catch (error) {
    toScenarioError(error);
  }
  const result = check(experimentSchema, yaml.data() ?? {});
  if (!result.ok) fail(yaml, result.issues[0]);
  const data = result.value;
  const expected = basename(file).replace(/\.ya?ml$/, '');
  if (data.id !== expected) fail(yaml, { path: ['id'], message: `must be the file's name ${JSON.stringify(expected)}, got ${JSON.stringify(data.id)}` });
  const published = data.published === undefined ? undefined : { ...data.published, ratio: data.published.numerator / data.published.denominator };
  const common = { id: data.id, title: data.title, source: data.source, file };
  if (data.status === 'not-expressible') {
    if (data.reason === undefined) fail(yaml, { path: ['reason'], message: 'says why no scenario can express the figure yet; required with status: not-expressible' });
    for (const key of ['variants', 'ratio', 'base', 'short', 'calibrates'] as const) {
      if (data[key] !== undefined) fail(yaml, { path: [key], message: 'is for expressible experiments only', key: true });
    }
    return { ...common, status: 'not-expressible', reason: data.reason, ...(data.role === undefined ? {} : { role: data.role }), ...(data.metric === undefined ? {} : { metric: data.metric }), ...(published === undefined ? {} : { published }) };
  }
  for (const key of ['role', 'metric', 'published', 'ratio', 'variants'] as const) {
    if (data[key] === undefined) fail(yaml, { path: [key], message: 'missing (required with status: expressible)' });
  }
  if (data.reason !== undefined) fail(yaml, { path: ['reason'], message: 'is for not-expressible experiments; a miss is explained in miss_reason', key: true });
  const role = data.role as 'calibration' | 'prediction';
  if (role === 'calibration' && data.calibrates === undefined) fail(yaml, { path: ['calibrates'], message: 'missing: a calibration experiment names the parameters set on it (costs.tree_step_ns)' });
  if (role === 'prediction' && data.calibrates !== undefined) fail(yaml, { path: ['calibrates'], message: 'only a calibration experiment calibrates constants', key: true });
  const variants = data.variants as Record<string, z.infer<typeof variantSchema>>;
  const ratio = data.ratio as { numerator: string; denominator: string };
  for (const side of ['numerator', 'denominator'] as const) {
    if (!Object.prototype.hasOwnProperty.call(variants, ratio[side])) fail(yaml, { path: ['ratio', side], message: `names no variant (variants: ${Object.keys(variants).join(', ')})` });
  }
  if (ratio.numerator === ratio.denominator) fail(yaml, { path: ['ratio', 'denominator'], message: 'must name a variant other than the numerator' });
  const unused = Object.keys(variants).find((key) => key !== ratio.numerator && key !== ratio.denominator);
  if (unused !== undefined) fail(yaml, { path: ['variants', unused], message: 'is not used by the ratio', key: true });
  let base: Scenario;
  try {
    base = data.base === undefined ? presetScenario(DEFAULT_PRESET) : scenarioFromFileData(data.base, presetScenario(DEFAULT_PRESET), { file: yaml, prefix: ['base'] });
  } catch (error) {
    toScenarioError(error);
  }
  const variant = (key: string): ExperimentVariant => ({ key, label: variants[key].label, ...variantScenarios(yaml, key, base, variants[key].scenario, data.short) });
  return {
    ...common,
    status: 'expressible',
    role,
    calibrates: data.calibrates ?? [],
    metric: data.metric as MetricName,
    published: published as ExpressibleExperiment['published'],
    numerator: variant(ratio.numerator),
    denominator: variant(ratio.denominator),
    ...(data.miss_reason === undefined ? {} : { missReason: data.miss_reason }),
    seedStory: data.seed_story === true,
  };
}

/** Every experiment file of `dir` (`*.yaml` but the assumptions), sorted by id. */
export function readExperiments(dir: string = EXPERIMENTS_DIR): Experiment[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name) && name !== ASSUMPTIONS_FILE);
  } catch (error) {
    throw new ScenarioError({ file: dir, field: '', problem: `cannot read the experiments folder: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  return names.sort().map((name) => parseExperimentText(readFileSync(join(dir, name), 'utf8'), join(dir, name)));
}
