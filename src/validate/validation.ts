/**
 * Runs the experiments: every variant of every expressible experiment is simulated once (variants
 * that are the same scenario, such as two experiments' shared baseline, run once), on worker threads
 * (src/sim/parallel.ts), and each experiment's metric ratio is judged against the published ratio
 * (./verdict.ts). Nothing here depends on the order threads finish in, so the outcome is a function
 * of the experiment files and the seed alone.
 */
import type { SimulationResult } from '../sim/engine.js';
import { simulateAll } from '../sim/parallel.js';
import type { Scenario } from '../sim/scenario.js';
import { calibrations } from './assumptions.js';
import type { Experiment, ExpressibleExperiment, NotExpressibleExperiment } from './experiment.js';
import { METRICS } from './metric.js';
import { verdictOf, type Verdict } from './verdict.js';

export interface RunOptions {
  /** CI-sized runs (each experiment's `short:` cut). */
  readonly short?: boolean;
  readonly workers?: number;
  /** Simulate only these experiment ids (calibrations and the not-expressible list still cover all). */
  readonly only?: readonly string[];
  /** Called as each distinct simulation finishes: (finished, total). */
  readonly onProgress?: (finished: number, total: number) => void;
}

/** A scenario's identity for deduplication: everything but its name (which never changes a result). */
export function scenarioKey(scenario: Scenario): string {
  return JSON.stringify({ ...scenario, name: '' });
}

/** Simulates each distinct scenario of `scenarios` once; results in input order, and the count run. */
export async function simulateDistinct(scenarios: readonly Scenario[], options: RunOptions = {}): Promise<{ results: SimulationResult[]; simulations: number }> {
  const index = new Map<string, number>();
  const distinct: Scenario[] = [];
  const slot = scenarios.map((scenario) => {
    const key = scenarioKey(scenario);
    let at = index.get(key);
    if (at === undefined) {
      at = distinct.length;
      index.set(key, at);
      distinct.push(scenario);
    }
    return at;
  });
  let finished = 0;
  const results = await simulateAll(distinct, {
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    onResult: () => options.onProgress?.(++finished, distinct.length),
  });
  return { results: slot.map((at) => results[at]), simulations: distinct.length };
}

export interface ExperimentOutcome {
  readonly experiment: ExpressibleExperiment;
  /** The metric of the numerator's and the denominator's variant. */
  readonly numerator: number;
  readonly denominator: number;
  readonly verdict: Verdict;
}

export interface Validation {
  readonly short: boolean;
  readonly outcomes: readonly ExperimentOutcome[];
  readonly notExpressible: readonly NotExpressibleExperiment[];
  /** Distinct simulations run. */
  readonly simulations: number;
  /** Parameter path → the experiment it was calibrated on. */
  readonly calibrations: ReadonlyMap<string, readonly string[]>;
  readonly predictions: number;
  readonly predictionsInside: number;
}

export function variantScenario(experiment: ExpressibleExperiment, side: 'numerator' | 'denominator', short: boolean): Scenario {
  return short ? experiment[side].shortScenario : experiment[side].scenario;
}

/** The judged ratio of one experiment from its two variants' results. */
export function outcomeOf(experiment: ExpressibleExperiment, numerator: SimulationResult, denominator: SimulationResult): ExperimentOutcome {
  const metric = METRICS[experiment.metric].of;
  const top = metric(numerator);
  const bottom = metric(denominator);
  return { experiment, numerator: top, denominator: bottom, verdict: verdictOf(bottom === 0 ? Number.NaN : top / bottom, experiment.published.ratio) };
}

/** The expressible experiments, or those of them named in `only`. */
export function selected(experiments: readonly Experiment[], only: readonly string[] | undefined): ExpressibleExperiment[] {
  return experiments.filter((e): e is ExpressibleExperiment => e.status === 'expressible' && (only === undefined || only.includes(e.id)));
}

export async function runValidation(experiments: readonly Experiment[], options: RunOptions = {}): Promise<Validation> {
  const short = options.short === true;
  const runnable = selected(experiments, options.only);
  const scenarios = runnable.flatMap((e) => [variantScenario(e, 'numerator', short), variantScenario(e, 'denominator', short)]);
  const { results, simulations } = await simulateDistinct(scenarios, options);
  const outcomes = runnable.map((experiment, i) => outcomeOf(experiment, results[2 * i], results[2 * i + 1]));
  const predictions = outcomes.filter((o) => o.experiment.role === 'prediction');
  return {
    short,
    outcomes,
    notExpressible: experiments.filter((e): e is NotExpressibleExperiment => e.status === 'not-expressible'),
    simulations,
    calibrations: calibrations(experiments),
    predictions: predictions.length,
    predictionsInside: predictions.filter((o) => o.verdict.inside).length,
  };
}
