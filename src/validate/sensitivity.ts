/**
 * Sensitivity: how much each validated ratio rests on each assumption. Every varied parameter (the
 * scenario assumptions and the calibrated constants, or the ones asked for) is set to ×0.5 and ×2
 * of its value in each variant, through the scenario loader, and each experiment's ratio is
 * simulated again. Sorting the parameters by the swing they cause gives the tornado: the long bars
 * are the assumptions a conclusion hinges on.
 *
 * A ratio that flips direction inside that range (published "down", simulated "up", or the other
 * way; see ./verdict.ts) is flagged: that conclusion depends on the assumption, not on the
 * mechanism. A change of verdict (inside the ±25 % band at the baseline, outside after, or the
 * reverse) is flagged too.
 *
 * Cost: one simulation per distinct scenario, at most parameters × 2 × (distinct variants), plus the
 * baseline; a whole-number field (a queue depth, a thread count) is rounded, and a parameter whose
 * value is 0 (no ageing) does not move, so those runs are shared with the baseline.
 */
import { check } from '../schema.js';
import type { Scenario } from '../sim/scenario.js';
import { scenarioFromData } from '../sim/scenario-loader.js';
import { scenarioData, scenarioDataSchema } from '../sim/scenario-schema.js';
import type { Assumption } from './assumptions.js';
import type { Experiment } from './experiment.js';
import { outcomeOf, selected, simulateDistinct, variantScenario, type ExperimentOutcome, type RunOptions } from './validation.js';
import { directionOf, flipsDirection, verdictOf } from './verdict.js';

export const FACTORS = [0.5, 2] as const;

function valueAt(data: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const part of path) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

function patchAt(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, part) => ({ [part]: inner }), value as Record<string, unknown>);
}

function scaled(value: number, factor: number, patch: (v: number) => Record<string, unknown>): number {
  const exact = value * factor;
  if (Number.isInteger(exact) || !Number.isInteger(value)) return exact;
  // A whole-number field (queue depth, thread count) takes the nearest whole number.
  return check(scenarioDataSchema, patch(exact)).ok ? exact : Math.max(1, Math.round(exact));
}

/**
 * `scenario` with the parameter at `path` (file spelling; `jobs.X` is that field of every job)
 * multiplied by `factor`.
 */
export function scaleParameter(scenario: Scenario, path: string, factor: number): Scenario {
  const data = scenarioData(scenario);
  const parts = path.split('.');
  if (parts[0] === 'jobs') {
    const jobs = data.jobs as Record<string, unknown>[];
    const field = parts[1];
    const patched = jobs.map((job) => {
      const value = job[field];
      if (typeof value !== 'number') throw new RangeError(`${path}: not a number in scenario ${scenario.name}`);
      return { ...job, [field]: scaled(value, factor, (v) => ({ jobs: [{ ...job, [field]: v }] })) };
    });
    return scenarioFromData({ jobs: patched }, scenario, { label: `${scenario.name} ${path}×${factor}` });
  }
  const value = valueAt(data, parts);
  if (typeof value !== 'number') throw new RangeError(`${path}: not a number in scenario ${scenario.name}`);
  return scenarioFromData(patchAt(parts, scaled(value, factor, (v) => patchAt(parts, v))), scenario, { label: `${scenario.name} ${path}×${factor}` });
}

export interface SensitivityRow {
  readonly experimentId: string;
  readonly parameter: string;
  /** The ratio at each factor of FACTORS, in order. */
  readonly ratios: readonly number[];
  readonly baseline: number;
  readonly published: number;
  /** max - min of the ratio over the baseline and both factors. */
  readonly swing: number;
  /** The factors at which the ratio points the other way from the published one. */
  readonly flipsAt: readonly number[];
  /** The factors at which the verdict (inside the band or not) differs from the baseline's. */
  readonly verdictChangesAt: readonly number[];
  /** The factors at which the baseline's effect vanishes (the ratio becomes flat while the published one is not). */
  readonly vanishesAt: readonly number[];
}

export interface Sensitivity {
  readonly parameters: readonly string[];
  readonly baseline: readonly ExperimentOutcome[];
  /** Per experiment, its rows sorted by swing (largest first): the tornado. */
  readonly rows: readonly SensitivityRow[];
  readonly simulations: number;
}

/** The parameters varied by default: the assumptions marked `vary` and every calibrated parameter. */
export function defaultParameters(experiments: readonly Experiment[], assumptions: readonly Assumption[]): string[] {
  const calibrated = experiments.flatMap((e) => (e.status === 'expressible' ? e.calibrates : []));
  return [...new Set([...assumptions.filter((a) => a.vary).map((a) => a.path), ...calibrated])];
}

/** The rows of one experiment and parameter from its ratios (exported for tests on constructed cases). */
export function sensitivityRow(experimentId: string, parameter: string, baseline: number, published: number, ratios: readonly number[], inside: (ratio: number) => boolean): SensitivityRow {
  const all = [baseline, ...ratios];
  const at = (test: (ratio: number) => boolean): number[] => FACTORS.filter((_, i) => test(ratios[i]));
  return {
    experimentId,
    parameter,
    ratios,
    baseline,
    published,
    swing: Math.max(...all) - Math.min(...all),
    flipsAt: at((r) => flipsDirection(r, published)),
    verdictChangesAt: at((r) => inside(r) !== inside(baseline)),
    vanishesAt: directionOf(published) === 'flat' ? [] : at((r) => directionOf(r) === 'flat' && directionOf(baseline) !== 'flat'),
  };
}

export async function runSensitivity(experiments: readonly Experiment[], parameters: readonly string[], options: RunOptions = {}): Promise<Sensitivity> {
  const short = options.short === true;
  const runnable = selected(experiments, options.only);
  const scenarios: Scenario[] = [];
  for (const experiment of runnable) {
    scenarios.push(variantScenario(experiment, 'numerator', short), variantScenario(experiment, 'denominator', short));
    for (const parameter of parameters) {
      for (const factor of FACTORS) {
        scenarios.push(scaleParameter(variantScenario(experiment, 'numerator', short), parameter, factor), scaleParameter(variantScenario(experiment, 'denominator', short), parameter, factor));
      }
    }
  }
  const { results, simulations } = await simulateDistinct(scenarios, options);
  const perExperiment = 2 + parameters.length * FACTORS.length * 2;
  const baseline: ExperimentOutcome[] = [];
  const rows: SensitivityRow[] = [];
  runnable.forEach((experiment, e) => {
    const at = e * perExperiment;
    const base = outcomeOf(experiment, results[at], results[at + 1]);
    baseline.push(base);
    const ratioAt = (offset: number): number => outcomeOf(experiment, results[offset], results[offset + 1]).verdict.simulated;
    const own = parameters.map((parameter, p) => {
      const ratios = FACTORS.map((_, f) => ratioAt(at + 2 + (p * FACTORS.length + f) * 2));
      return sensitivityRow(experiment.id, parameter, base.verdict.simulated, experiment.published.ratio, ratios, (r) => verdictOf(r, experiment.published.ratio).inside);
    });
    rows.push(...own.sort((a, b) => b.swing - a.swing || a.parameter.localeCompare(b.parameter)));
  });
  return { parameters, baseline, rows, simulations };
}
