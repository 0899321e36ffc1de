/**
 * What the validated figures rest on besides the mechanisms: every cost constant and every scenario
 * parameter that no kernel source fixes is either *calibrated* on exactly one named experiment
 * (its `calibrates:` list) or *assumed* (experiments/assumptions.yaml, with its source or "estimate").
 * Nothing is both, nothing is calibrated twice, nothing is left undeclared: checkDeclarations()
 * states every violation, and a test runs it on the shipped files, so a constant another branch
 * adds to the cost model fails the test until it is declared.
 *
 * Parameters are named by their path in the scenario file's spelling (`link_mbps`,
 * `host.queue_depth`, `costs.tree_step_ns`; `jobs.numjobs` means that field of every job), which is
 * also how the sensitivity analysis changes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { check, mapping, SchemaError, text, valueText, YamlFile } from '../schema.js';
import { COST_MODEL_KEYS } from '../sim/cost-model.js';
import { jobSchema, scenarioFieldPaths, ScenarioError } from '../sim/scenario-schema.js';
import { ASSUMPTIONS_FILE, EXPERIMENTS_DIR, type Experiment } from './experiment.js';

/**
 * The scenario parameters the published setups do not state and the presets therefore assume
 * (src/sim/presets.ts): each must be declared. The link and the device queue depth decide whether
 * the allocator is on the path at all (README, "The seed story").
 */
export const SCENARIO_ASSUMPTIONS: readonly string[] = ['link_mbps', 'host.queue_depth', 'jobs.numjobs', 'ageing_maps', 'disks.bandwidth_mbps', 'disks.latency_us', 'disks.command_us'];

export interface Assumption {
  readonly path: string;
  readonly source: string;
  /** Varied by the sensitivity analysis by default (the scenario assumptions and the stack cost). */
  readonly vary: boolean;
}

const assumptionsSchema = mapping({
  assumed: z.array(mapping({ path: text(), source: text(), vary: z.boolean({ error: (issue) => `must be true or false, got ${valueText(issue.input)}` }).optional() }), {
    error: (issue) => `must be a list of { path, source, vary }, got ${valueText(issue.input)}`,
  }),
});

/** The cost constant's path (`costs.tree_step_ns`) for a COST_MODEL_KEYS name (`treeStepNs`). */
export function costPath(key: string): string {
  return `costs.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

/** True when `path` names a scenario field a number can be written to. */
export function isParameterPath(path: string): boolean {
  if (path.startsWith('jobs.')) return Object.prototype.hasOwnProperty.call(jobSchema.shape, path.slice(5));
  return scenarioFieldPaths().includes(path);
}

export function parseAssumptionsText(textOfFile: string, file: string): Assumption[] {
  try {
    const yaml = YamlFile.parse(textOfFile, file);
    const result = check(assumptionsSchema, yaml.data() ?? {});
    if (!result.ok) throw yaml.error(result.issues[0]);
    const seen = new Set<string>();
    return result.value.assumed.map((entry, i) => {
      if (!isParameterPath(entry.path)) throw yaml.error({ path: ['assumed', i, 'path'], message: `is not a scenario field, got ${JSON.stringify(entry.path)}` });
      if (seen.has(entry.path)) throw yaml.error({ path: ['assumed', i, 'path'], message: `${entry.path} is declared twice` });
      seen.add(entry.path);
      return { path: entry.path, source: entry.source, vary: entry.vary === true };
    });
  } catch (error) {
    if (error instanceof SchemaError && !(error instanceof ScenarioError)) throw new ScenarioError({ file: error.file, line: error.line, column: error.column, field: error.field, problem: error.problem });
    throw error;
  }
}

export function readAssumptions(dir: string = EXPERIMENTS_DIR): Assumption[] {
  const file = join(dir, ASSUMPTIONS_FILE);
  let textOfFile: string;
  try {
    textOfFile = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError({ file, field: '', problem: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  return parseAssumptionsText(textOfFile, file);
}

/** Which experiment calibrated each parameter (path → experiment id). */
export function calibrations(experiments: readonly Experiment[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const experiment of experiments) {
    if (experiment.status !== 'expressible') continue;
    for (const path of experiment.calibrates) byPath.set(path, [...(byPath.get(path) ?? []), experiment.id]);
  }
  return byPath;
}

/**
 * Every violation of the rule: each cost constant of `costKeys` and each scenario assumption is
 * calibrated on exactly one experiment or assumed, never both; every named path exists.
 */
export function checkDeclarations(experiments: readonly Experiment[], assumptions: readonly Assumption[], costKeys: readonly string[] = COST_MODEL_KEYS): string[] {
  const problems: string[] = [];
  const calibrated = calibrations(experiments);
  const assumed = new Set(assumptions.map((a) => a.path));
  for (const [path, ids] of calibrated) {
    if (!isParameterPath(path)) problems.push(`${path}: calibrated on ${ids.join(', ')} but is not a scenario field`);
    if (ids.length > 1) problems.push(`${path}: calibrated on ${ids.length} experiments (${ids.join(', ')}); at most one`);
    if (assumed.has(path)) problems.push(`${path}: both calibrated (on ${ids.join(', ')}) and assumed in ${ASSUMPTIONS_FILE}`);
  }
  for (const path of [...costKeys.map(costPath), ...SCENARIO_ASSUMPTIONS]) {
    if (!calibrated.has(path) && !assumed.has(path)) problems.push(`${path}: neither calibrated on an experiment nor assumed in ${ASSUMPTIONS_FILE}`);
  }
  return problems;
}
