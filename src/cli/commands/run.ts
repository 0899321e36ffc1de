/**
 * `iovasim run FILE`: simulate a workload given as a scenario YAML or a fio job file. A job file
 * becomes a scenario on top of a base preset (the host, IOMMU and costs): its jobs become the
 * engine's threads (src/sim/fio-scenario.ts) and each thread issues what fio would
 * (src/sim/fio-workload.ts); what is not simulated is printed as notes before the run and kept in
 * the JSON and the report. `--compare` runs the same workload on several allocators or settings at
 * once (worker threads, which rebuild the job file's sources from its text), `--json` (fio's
 * `--output-format=json`) prints fio-style JSON with reads and writes apart, `--report FILE.html`
 * (or DIR, for DIR/index.html) writes a self-contained HTML report.
 * fio's own spellings `--runtime SECONDS` and `--section NAME` are accepted.
 */
import { basename } from 'node:path';
import { writeHtmlReport } from '../../report/html.js';
import { simulate, type SimulationResult } from '../../sim/engine.js';
import { simulateAll } from '../../sim/parallel.js';
import { PRESETS } from '../../sim/presets.js';
import { readScenarioOrJobFile, type ScenarioFileInput } from '../../sim/scenario-file.js';
import { ScenarioError } from '../../sim/scenario.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command, CommandIo } from '../command.js';
import { UsageError } from '../errors.js';
import { compareVariants, FIO_RUN_OPTIONS, fioStyleJson, iovasimVersion, jsonOutput, mbMemoryOption, OVERRIDE_OPTIONS, printNotes, ProgressBar, runtimeOverride, sectionsOption, userErrors, type Variant } from '../run-support.js';
import { overridesFromOptions, platformHeader, scenarioUserError, summaryTable } from './simulate.js';

const OPTIONS: Record<string, OptionSpec> = {
  ...OVERRIDE_OPTIONS,
  ...FIO_RUN_OPTIONS,
  duration: { type: 'string', description: 'simulated milliseconds (default: the job file’s runtime, else the base scenario’s)' },
};

export type RunInput = ScenarioFileInput;

/**
 * Reads FILE (scenario YAML or fio job file) into the scenario to run, with the command-line
 * overrides applied. `options` are the parsed options (preset, allocator, kernel, iommu, cap,
 * cpus, duration, seed). Throws UserError / UsageError, and WorkloadError for a bad job file.
 */
export async function loadRunInput(file: string, options: Record<string, string | boolean | undefined>): Promise<RunInput> {
  const preset = options.preset as string | undefined;
  if (preset !== undefined && !Object.prototype.hasOwnProperty.call(PRESETS, preset)) throw new UsageError(`--preset: unknown preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
  const overrides = { ...overridesFromOptions(options), ...runtimeOverride(options) };
  const sections = sectionsOption(options);
  const mbMemory = mbMemoryOption(options);
  try {
    return await readScenarioOrJobFile(file, { ...(preset === undefined ? {} : { preset }), overrides, ...(sections === undefined ? {} : { sections }), ...(mbMemory === undefined ? {} : { mbMemory }) });
  } catch (error) {
    if (error instanceof ScenarioError) throw scenarioUserError(error);
    throw error;
  }
}

/**
 * Runs the variants: one in this thread with a progress bar, several on worker threads. A fio job
 * file's sources go along as the job file (`fioWorkload`): each worker rebuilds them.
 */
async function runVariants(variants: readonly Variant[], input: RunInput, io: CommandIo): Promise<SimulationResult[]> {
  const bar = new ProgressBar(io.stderr, io.isTTY);
  try {
    if (variants.length === 1) {
      const label = variants[0].label;
      bar.update(0, label);
      const result = simulate(variants[0].scenario, { onProgress: (f) => bar.update(f, label), ...(input.ioSources === undefined ? {} : { ioSources: input.ioSources }) });
      bar.update(1, label);
      return [result];
    }
    let done = 0;
    bar.update(0, `0/${variants.length} variants`);
    return await simulateAll(
      variants.map((v) => v.scenario),
      {
        ...(input.fioWorkload === undefined ? {} : { fioWorkload: input.fioWorkload }),
        onResult: (index) => {
          done++;
          bar.update(done / variants.length, `${done}/${variants.length} variants (${variants[index].label} done)`);
        },
      },
    );
  } finally {
    bar.done();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'simulate a scenario YAML or a fio job file; --compare variants, --json (fio-style), --report FILE.html|DIR (HTML)',
  async run(argv, io) {
    const { options, positionals } = parseArgs('run', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim run FILE [--preset NAME] [overrides] [--compare a,b,…] [--json | --output-format json|normal] [--runtime SECONDS] [--section NAME] [--report FILE.html|DIR]\n\nFILE: a scenario YAML, or a fio job file (.fio, or any file of [sections] that fio’s parser accepts).', OPTIONS));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('needs one FILE: a scenario YAML or a fio job file');
    const file = positionals[0];
    const json = jsonOutput(options);
    return userErrors(async () => {
      const input = await loadRunInput(file, options);
      const variants: Variant[] = options.compare === undefined ? [{ label: input.scenario.name, scenario: input.scenario }] : compareVariants(input.scenario, String(options.compare));
      const notes = [...input.notes];
      printNotes(io.stderr, notes);
      const results = await runVariants(variants, input, io);
      if (json) {
        io.stdout.write(JSON.stringify(fioStyleJson(variants, results, { command: 'run', input: file, format: input.format, notes }), null, 2) + '\n');
      } else {
        io.stdout.write(platformHeader(variants.map((v) => v.scenario)) + summaryTable(results));
      }
      if (options.report !== undefined) {
        const path = await writeHtmlReport(String(options.report), {
          title: `iovasim run — ${basename(file)}`,
          command: `iovasim run ${argv.join(' ')}`,
          input: { file, format: input.format === 'fio-job' ? 'fio job file' : 'scenario YAML' },
          notes,
          runs: variants.map((v, i) => ({ label: v.label, result: results[i] })),
          generator: `iovasim ${iovasimVersion()}`,
        });
        io.stderr.write(`report: ${path}\n`);
      }
      return 0;
    });
  },
};
