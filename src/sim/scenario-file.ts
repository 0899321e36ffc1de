/**
 * A file to simulate: a scenario YAML, or a fio job file turned into a scenario on top of a base
 * preset (fio-scenario.ts says how, and lists what it approximated as notes). What `iovasim run`
 * and the library's `runScenario()` read; typed overrides apply last, the CPU count before the fio
 * jobs are mapped (their cpus_allowed must fit it).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { WorkloadError } from '../workloads/errors.js';
import { parseFioJobText } from '../workloads/fio-job.js';
import { fioToScenario } from './fio-scenario.js';
import { applyOverrides, DEFAULT_PRESET, parseScenarioText, presetScenario, type ScenarioLoadOptions } from './scenario-loader.js';
import { ScenarioError } from './scenario-schema.js';
import type { Scenario } from './scenario.js';

export interface ScenarioFileInput {
  readonly scenario: Scenario;
  readonly format: 'scenario-yaml' | 'fio-job';
  /** Approximations made turning a fio job file into a scenario. */
  readonly notes: string[];
}

/** A job file: `.fio`, or (not `.yaml`/`.yml`) text with `[section]` lines that fio's parser accepts. */
export function looksLikeFioJobFile(file: string, text: string): boolean {
  const ext = extname(file).toLowerCase();
  if (ext === '.fio') return true;
  if (ext === '.yaml' || ext === '.yml') return false;
  if (!/^\s*\[[^\]]+\]\s*$/m.test(text)) return false;
  try {
    return parseFioJobText(text, file).jobs.length > 0;
  } catch (error) {
    if (error instanceof WorkloadError) return false;
    throw error;
  }
}

/**
 * Reads a scenario YAML or a fio job file. Errors: ScenarioError (`FILE:LINE:COLUMN: field:
 * problem`; a bad override names the override) or WorkloadError for a bad job file.
 */
export async function readScenarioOrJobFile(file: string, options: ScenarioLoadOptions = {}): Promise<ScenarioFileInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError({ file, field: '', problem: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  const overrides = options.overrides ?? {};
  if (looksLikeFioJobFile(file, text)) {
    const base = presetScenario(options.preset ?? DEFAULT_PRESET);
    const sized = overrides.cpus === undefined ? base : applyOverrides(base, { cpus: overrides.cpus });
    const { scenario, notes } = fioToScenario(parseFioJobText(text, file), sized, { durationOverridden: overrides.durationMs !== undefined });
    return { scenario: applyOverrides(scenario, overrides), format: 'fio-job', notes };
  }
  return { scenario: parseScenarioText(text, file, options), format: 'scenario-yaml', notes: [] };
}
