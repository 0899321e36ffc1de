/**
 * `iovasim explore SCENARIO.yaml | JOB.fio`: the scenario (or the fio job on a base preset, as
 * `iovasim run` reads it) is simulated with an IovaRecorder attached, and the recorded trace, every
 * operation the simulated allocator saw, is what the page replays. `--compare ITEM` simulates the
 * scenario again with that one `run --compare` item applied (an allocator, a kernel, lazy, a cap):
 * the simulated host reacts to what each allocator does, so each model gets a stream of its own, and
 * the page compares the two by operation index.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { modelLabel, type ExploreInput, type ModelChoice } from '../explore/explorer.js';
import { simulate, type SimulateOptions } from '../sim/engine.js';
import { IovaRecorder } from '../sim/iova-recorder.js';
import { looksLikeFioJobFile } from '../sim/scenario-file.js';
import type { Scenario } from '../sim/scenario.js';
import { loadRunInput } from './commands/run.js';
import { UsageError, UserError } from './errors.js';
import { checkKernel, compareVariants, userErrors } from './run-support.js';
import { positiveInteger } from './args.js';

/** Options that only a scenario or job file takes. */
export const SCENARIO_ONLY = ['preset', 'duration', 'seed', 'iommu', 'cpus', 'max-operations'] as const;

/** A scenario YAML (by its extension) or a fio job file (by extension or content, as `run` decides). */
export async function isScenarioInput(file: string): Promise<boolean> {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml' || ext === '.fio') return true;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return false; // the trace reader names the file it cannot read
  }
  return looksLikeFioJobFile(file, text);
}

interface Recording {
  readonly recorder: IovaRecorder;
  readonly model: ModelChoice;
}

function record(file: string, scenario: Scenario, maxOperations: number, ioSources: SimulateOptions['ioSources'], label: string, progress: NodeJS.WritableStream | null): Recording {
  progress?.write(`explore: simulating ${label} (${scenario.durationMs} ms, ${scenario.ageingMaps.toLocaleString('en-US')} ageing maps) with the allocator recorded…\n`);
  const recorder = new IovaRecorder({ maxOperations });
  simulate(scenario, { iovaRecorder: recorder, ...(ioSources === undefined ? {} : { ioSources }) });
  const domain = recorder.domain;
  if (domain === null) throw new UserError(`${file}: ${label}: the IOMMU is in ${scenario.iommu.mode} mode: no IOVA allocator runs, so there is nothing to explore (use --iommu strict or lazy)`);
  return {
    recorder,
    model: { allocator: domain.allocator, kernel: domain.kernel, retryPass: domain.retryPass, ...(domain.rcacheClasses === 6 ? {} : { rcacheClasses: domain.rcacheClasses }) },
  };
}

function recordingNote(label: string, scenario: Scenario, recording: Recording): string {
  const r = recording.recorder;
  const what = `${label}: ${r.operations.toLocaleString('en-US')} operations recorded from the simulation (seed ${scenario.seed}, ${scenario.durationMs} ms and ${scenario.ageingMaps.toLocaleString('en-US')} ageing maps), ${r.allocResults.length.toLocaleString('en-US')} of them allocations.`;
  if (r.capped) return `${what} The cap of ${r.maxOperations.toLocaleString('en-US')} operations was reached: the recording stops there, before the simulation ended (raise it with --max-operations).`;
  if (r.untimeable !== null) return `${what} The recording stops there, before the simulation ended: ${r.untimeable} (a trace's clock has whole milliseconds and a fixed 100 ms trimmer delay). What was recorded replays exactly.`;
  return what;
}

/**
 * Simulates the scenario or job file (twice with --compare) and makes the page's input; a line per
 * simulation goes to `progress` (the terminal) when given.
 */
export async function recordedScenarioInput(file: string, options: Record<string, string | boolean | undefined>, progress: NodeJS.WritableStream | null): Promise<ExploreInput> {
  if (options.iommu === 'passthrough' || options.iommu === 'none') throw new UsageError(`--iommu: ${options.iommu} has no IOVA allocator to explore (strict or lazy)`);
  const maxOperations = positiveInteger(options, 'max-operations') ?? undefined;
  return userErrors(async () => {
    const input = await loadRunInput(file, options);
    checkKernel(input.scenario);
    // Another branch adds the fio job's own I/O sources to the file's input; used when present.
    const ioSources = (input as { ioSources?: SimulateOptions['ioSources'] }).ioSources;
    const scenarios: { label: string; scenario: Scenario }[] = [{ label: input.scenario.name, scenario: input.scenario }];
    if (typeof options.compare === 'string') {
      if (options.compare.includes(',')) throw new UsageError('--compare: one item for explore (two models side by side)');
      scenarios.push(compareVariants(input.scenario, options.compare)[0]);
    }
    const cap = maxOperations ?? new IovaRecorder().maxOperations;
    const recordings = scenarios.map(({ label, scenario }) => record(file, scenario, cap, ioSources, label, progress));
    const notes = [
      // The page runs the notes together: each ends its sentence.
      ...input.notes.map((note) => (/[.!?]$/.test(note) ? note : `${note}.`)),
      ...recordings.map((recording, i) => recordingNote(scenarios[i].label, scenarios[i].scenario, recording)),
      'The trace’s tick lines are its own clock: they only place the depot trimmer’s runs between the same operations as in the simulation.',
    ];
    const cpus = Math.max(...scenarios.map((s) => s.scenario.cpus));
    // Two variants may run the same model (--compare lazy): then the variant names them apart.
    const models = recordings.map((r, i) =>
      i === 0 || modelLabel(r.model) !== modelLabel(recordings[0].model) ? r.model : { ...r.model, label: `${modelLabel(r.model)} [${scenarios[i].label}]` },
    );
    return {
      name: file,
      traceText: recordings[0].recorder.traceText,
      models,
      notes,
      ...(recordings.length === 2 ? { modelTraces: recordings.map((r) => r.recorder.traceText) } : {}),
      maxCpus: Math.max(64, cpus),
    };
  });
}
