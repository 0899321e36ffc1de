/**
 * A file to simulate: a scenario YAML, or a fio job file turned into a scenario on top of a base
 * preset (fio-scenario.ts: the threads; fio-workload.ts: what each thread issues and when; `notes`
 * lists what is not simulated). What `iovasim run` and the library's `runScenario()` read; typed
 * overrides apply last, the CPU count before the fio jobs are mapped (their cpus_allowed must fit
 * it). Every thread's I/O source is built once here, so a bad region or zone size is reported
 * before anything runs.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { WorkloadError } from '../workloads/errors.js';
import { parseFioJobText } from '../workloads/fio-job.js';
import type { SimulateOptions } from './engine.js';
import { fioToScenario } from './fio-scenario.js';
import { DEFAULT_ZONE_SIZE_BYTES, environmentSnapshot, fioIoSources, parseFioWorkload, type FioWorkload, type IoSourceFactory } from './fio-workload.js';
import { scenarioHostSetup } from './host-setup.js';
import { applyOverrides, DEFAULT_PRESET, parseScenarioText, presetScenario, type ScenarioLoadOptions } from './scenario-loader.js';
import { ScenarioError } from './scenario-schema.js';
import type { Scenario } from './scenario.js';

export interface ScenarioFileInput {
  readonly scenario: Scenario;
  readonly format: 'scenario-yaml' | 'fio-job';
  /** What the simulation of a fio job file leaves out or approximates, one line each. */
  readonly notes: string[];
  /** For a fio job file: each thread's I/O source, for `simulate(scenario, { ioSources })`. */
  readonly ioSources?: SimulateOptions['ioSources'];
  /** For a fio job file: the same sources as data, to rebuild them on a worker thread (fioIoSources). */
  readonly fioWorkload?: FioWorkload;
}

export interface ScenarioOrJobFileOptions extends ScenarioLoadOptions {
  /** fio's --section: run only the jobs of these sections of a job file. */
  readonly sections?: readonly string[];
  /** The environment a job file's `${VAR}` reads (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * fio's `$mb_memory` for a job file that uses it: the simulated host's memory in MiB. fio reads
   * the machine's own; a simulation must not depend on the machine it runs on, so it is an input.
   */
  readonly mbMemory?: number;
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
export async function readScenarioOrJobFile(file: string, options: ScenarioOrJobFileOptions = {}): Promise<ScenarioFileInput> {
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
    const job = jobFileOnScenario(file, text, sized, { ...options, durationOverridden: overrides.durationMs !== undefined }, (mapped) => applyOverrides(mapped, overrides));
    return { scenario: job.scenario, format: 'fio-job', notes: job.notes, ioSources: job.ioSources, fioWorkload: job.fioWorkload };
  }
  return { scenario: parseScenarioText(text, file, options), format: 'scenario-yaml', notes: [] };
}

/**
 * A fio job file's jobs on `base` (its host, IOMMU, disks and costs; fio-scenario.ts says how),
 * `finish` applied to the mapped scenario (overrides, a sweep point's axes), with its I/O sources
 * and the FioWorkload that rebuilds them on any thread. Every thread's source is built once here, so a region
 * or zone the job cannot have is an error before anything runs.
 */
export function jobFileOnScenario(
  file: string,
  text: string,
  base: Scenario,
  options: Pick<ScenarioOrJobFileOptions, 'env' | 'sections' | 'mbMemory'> & { readonly durationOverridden?: boolean },
  finish: (mapped: Scenario) => Scenario = (mapped) => mapped,
): { scenario: Scenario; notes: string[]; fioWorkload: FioWorkload; ioSources: IoSourceFactory } {
  const source = { file, text, env: environmentSnapshot(options.env ?? process.env, text), ncpus: base.cpus, ...(options.sections === undefined ? {} : { sections: options.sections }), ...(options.mbMemory === undefined ? {} : { mbMemory: options.mbMemory }) };
  const mapped = fioToScenario(parseFioWorkload(source), base, { durationOverridden: options.durationOverridden === true });
  const scenario = finish(mapped.scenario);
  const fioWorkload: FioWorkload = {
    ...source,
    deviceSizeBytes: mapped.deviceSizeBytes,
    deviceZoneSizeBytes: DEFAULT_ZONE_SIZE_BYTES,
    logicalBlockSize: scenarioHostSetup(scenario).limits.logicalBlockSize,
  };
  const ioSources = fioIoSources(fioWorkload);
  let thread = 0;
  for (const job of scenario.jobs) for (let k = 0; k < job.numjobs; k++, thread++) ioSources(job, thread, 0);
  return { scenario, notes: mapped.notes, fioWorkload, ioSources };
}
