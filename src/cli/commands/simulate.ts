/**
 * `iovasim simulate SCENARIO.yaml` (or `--preset NAME`): one simulation run, with the summary as a
 * table or as JSON. Overrides on the command line change the scenario without editing the file.
 */
import { readFile } from 'node:fs/promises';
import { formatRate, formatTable } from '../../report/table.js';
import { simulate, type SimulationResult } from '../../sim/engine.js';
import { createSimAllocator } from '../../sim/allocators.js';
import { PRESETS, SAS_128CPU } from '../../sim/presets.js';
import { parseScenarioYaml, ScenarioError, validateScenario, type Scenario } from '../../sim/scenario.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  preset: { type: 'string', description: `start from a built-in scenario (${Object.keys(PRESETS).join(', ')})` },
  allocator: { type: 'string', description: 'allocator: linux, buddy, gap-tree, vmem, tlsf' },
  kernel: { type: 'string', description: 'kernel version, e.g. 5.19 or 7.0' },
  iommu: { type: 'string', description: 'strict | lazy | passthrough' },
  cap: { type: 'string', description: 'dma_opt_mapping_size cap variant: seed | merged | none' },
  cpus: { type: 'string', description: 'number of CPUs' },
  duration: { type: 'string', description: 'simulated milliseconds' },
  seed: { type: 'string', description: 'seed for every random choice' },
  json: { type: 'boolean', description: 'print the result as JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function loadScenario(file: string | undefined, preset: string | undefined): Promise<Scenario> {
  let base = SAS_128CPU;
  if (preset !== undefined) {
    if (!Object.prototype.hasOwnProperty.call(PRESETS, preset)) throw new UsageError(`--preset: unknown preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
    base = PRESETS[preset];
  }
  if (file === undefined) return base;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseScenarioYaml(text, file, PRESETS, base);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UserError(error.message);
    throw error;
  }
}

/** Applies command-line overrides through the same validation as a file. */
export function applyOverrides(scenario: Scenario, options: Record<string, string | boolean | undefined>): Scenario {
  const patch: Record<string, unknown> = {};
  const integer = (name: string): number => {
    const value = Number(options[name]);
    if (!Number.isFinite(value)) throw new UsageError(`--${name}: "${String(options[name])}" is not a number`);
    return value;
  };
  if (options.allocator !== undefined) patch.allocator = options.allocator;
  if (options.kernel !== undefined) patch.kernel = options.kernel;
  if (options.cpus !== undefined) patch.cpus = integer('cpus');
  if (options.seed !== undefined) patch.seed = integer('seed');
  if (options.duration !== undefined) {
    patch.duration_ms = integer('duration');
    if (scenario.warmupMs >= (patch.duration_ms as number)) patch.warmup_ms = (patch.duration_ms as number) / 4;
  }
  if (options.iommu !== undefined) {
    const mode = String(options.iommu);
    if (mode === 'strict' || mode === 'lazy') patch.iommu = { mode: 'translated', invalidation: mode };
    else if (mode === 'passthrough' || mode === 'none') patch.iommu = { mode };
    else throw new UsageError(`--iommu: "${mode}" is not strict, lazy, passthrough or none`);
  }
  if (options.cap !== undefined) patch.host = { cap: options.cap };
  try {
    const result = validateScenario(patch, 'command line', scenario);
    if (patch.cpus === undefined) return result;
    // Fewer CPUs than the jobs name: keep the ones that still exist (all of them when none does),
    // so `--cpus 8` on a 128-CPU preset runs rather than indexing CPUs the host no longer has.
    const all = Array.from({ length: result.cpus }, (_, i) => i);
    const jobs = result.jobs.map((job) => {
      const kept = job.cpus.filter((c) => c < result.cpus);
      return kept.length === job.cpus.length ? job : { ...job, cpus: kept.length > 0 ? kept : all };
    });
    return { ...result, jobs };
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message.replace('command line: ', '--'));
    throw error;
  }
}

export function summaryTable(results: readonly SimulationResult[]): string {
  return formatTable(
    ['scenario', 'IOPS', 'MB/s', 'p50 us', 'p99 us', 'bios/req', 'map ns/IO', 'steps/map', 'lock busy', 'rcache hit', 'IOTLB inv', 'live IOVAs'],
    results.map((r) => [
      r.scenario.name,
      formatRate(r.iops),
      r.bandwidthMBps.toFixed(0),
      r.latencyUs.p50.toFixed(0),
      r.latencyUs.p99.toFixed(0),
      r.biosPerRequest.toFixed(1),
      r.mapping.cpuNsPerIo.toFixed(0),
      r.mapping.treeStepsPerMap.toFixed(1),
      `${(r.lock.utilisation * 100).toFixed(0)}%`,
      `${(r.rcache.hitRate * 100).toFixed(0)}%`,
      String(r.iotlb.invalidations + r.iotlb.flushes),
      String(r.allocator.liveIovas),
    ]),
  );
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'simulate one scenario (YAML file or --preset) and print IOPS, latency, lock and rcache figures',
  async run(argv, io) {
    const { options, positionals } = parseArgs('simulate', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim simulate [SCENARIO.yaml] [--preset NAME] [overrides] [--json]', OPTIONS));
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('takes at most one scenario file');
    const scenario = applyOverrides(await loadScenario(positionals[0], options.preset as string | undefined), options);
    let result: SimulationResult;
    try {
      result = simulate(scenario, createSimAllocator);
    } catch (error) {
      if (error instanceof Error && /unknown allocator|kernel version/.test(error.message)) throw new UserError(error.message);
      throw error;
    }
    if (options.json) io.stdout.write(JSON.stringify({ ...result, scenario }, null, 2) + '\n');
    else io.stdout.write(summaryTable([result]));
    return 0;
  },
};
