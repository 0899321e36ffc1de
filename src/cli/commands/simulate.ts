/**
 * `iovasim simulate SCENARIO.yaml` (or `--preset NAME`): one simulation run, with the summary as a
 * table or as JSON. Overrides on the command line change the scenario without editing the file.
 */
import { formatRate, formatTable } from '../../report/table.js';
import { simulate, type SimulationResult } from '../../sim/engine.js';
import { describePlatform } from '../../sim/platform-profile.js';
import { measuredWindowText } from '../../sim/measured-window.js';
import { PRESETS } from '../../sim/presets.js';
import { applyOverrides as applyScenarioOverrides, DEFAULT_PRESET, presetScenario, readScenarioFile, type ScenarioOverrides } from '../../sim/scenario-loader.js';
import { ScenarioError, type CapVariant, type Scenario } from '../../sim/scenario.js';
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

/** The option each override is given with, for messages. */
const OPTION_OF_OVERRIDE: Record<string, string> = { allocator: '--allocator', kernel: '--kernel', iommu: '--iommu', cap: '--cap', cpus: '--cpus', durationMs: '--duration', seed: '--seed' };

/** A scenario error as the user sees it: a bad option is a usage error naming the option. */
export function scenarioUserError(error: ScenarioError): UserError {
  if (error.file === undefined && Object.prototype.hasOwnProperty.call(OPTION_OF_OVERRIDE, error.field)) return new UsageError(`${OPTION_OF_OVERRIDE[error.field]}: ${error.problem}`);
  return new UserError(error.message);
}

/** The scenario of a YAML file (on `--preset`), or the preset alone without a file. */
export async function loadScenario(file: string | undefined, preset: string | undefined): Promise<Scenario> {
  if (preset !== undefined && !Object.prototype.hasOwnProperty.call(PRESETS, preset)) throw new UsageError(`--preset: unknown preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
  if (file === undefined) return presetScenario(preset ?? DEFAULT_PRESET);
  try {
    return await readScenarioFile(file, preset === undefined ? {} : { preset });
  } catch (error) {
    if (error instanceof ScenarioError) throw scenarioUserError(error);
    throw error;
  }
}

/** The override options as typed values; a number that is not one is an error naming the option. */
export function overridesFromOptions(options: Record<string, string | boolean | undefined>): ScenarioOverrides {
  const number = (name: string): number => {
    const raw = String(options[name]);
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) throw new UsageError(`--${name}: "${raw}" is not a number`);
    return value;
  };
  const overrides: { -readonly [K in keyof ScenarioOverrides]: ScenarioOverrides[K] } = {};
  if (typeof options.allocator === 'string') overrides.allocator = options.allocator;
  if (typeof options.kernel === 'string') overrides.kernel = options.kernel;
  if (typeof options.iommu === 'string') {
    if (!['strict', 'lazy', 'passthrough', 'none'].includes(options.iommu)) throw new UsageError(`--iommu: "${options.iommu}" is not strict, lazy, passthrough or none`);
    overrides.iommu = options.iommu as ScenarioOverrides['iommu'];
  }
  if (typeof options.cap === 'string') overrides.cap = options.cap as CapVariant;
  if (options.cpus !== undefined) overrides.cpus = number('cpus');
  if (options.duration !== undefined) overrides.durationMs = number('duration');
  if (options.seed !== undefined) overrides.seed = number('seed');
  return overrides;
}

/** Applies the command-line overrides (flag strings) through the scenario loader. */
export function applyOverrides(scenario: Scenario, options: Record<string, string | boolean | undefined>): Scenario {
  try {
    return applyScenarioOverrides(scenario, overridesFromOptions(options));
  } catch (error) {
    if (error instanceof ScenarioError) throw scenarioUserError(error);
    throw error;
  }
}

/** The run header's platform line(s): one when every scenario has the same platform, else one each. */
export function platformHeader(scenarios: readonly Scenario[]): string {
  const lines = scenarios.map((s) => describePlatform(s.platform));
  if (lines.every((line) => line === lines[0])) return `platform: ${lines[0]}\n`;
  return lines.map((line, i) => `platform (${scenarios[i].name}): ${line}\n`).join('');
}

/** Latency in µs: one decimal below 1 ms, so close percentiles stay apart in print. */
function latencyText(us: number): string {
  return us < 1000 ? us.toFixed(1) : us.toFixed(0);
}

/**
 * The terminal summary: one row per run; then, as fio reports them, reads and writes apart (IOPS,
 * bandwidth, latency percentiles of each direction that had I/O); then the measured window.
 */
export function summaryTable(results: readonly SimulationResult[]): string {
  const main = formatTable(
    ['scenario', 'IOPS', 'MB/s', 'p50 us', 'p99 us', 'bios/req', 'map ns/IO', 'steps/map', 'lock busy', 'rcache hit', 'too large', 'IOTLB inv', 'live IOVAs'],
    results.map((r) => [
      r.scenario.name,
      formatRate(r.iops),
      r.bandwidthMBps.toFixed(0),
      latencyText(r.latencyUs.p50),
      latencyText(r.latencyUs.p99),
      r.biosPerRequest.toFixed(1),
      r.mapping.cpuNsPerIo.toFixed(0),
      r.mapping.treeStepsPerMap.toFixed(1),
      `${(r.lock.utilisation * 100).toFixed(0)}%`,
      `${(r.rcache.hitRate * 100).toFixed(0)}%`,
      tooLargeShare(r),
      String(r.iotlb.invalidations + r.iotlb.flushes),
      String(r.allocator.liveIovas),
    ]),
  );
  const rows: string[][] = [];
  for (const r of results) {
    for (const [name, d] of [
      ['read', r.read],
      ['write', r.write],
    ] as const) {
      if (d.ios === 0) continue;
      rows.push([r.scenario.name, name, formatRate(d.iops), d.bandwidthMBps.toFixed(0), latencyText(d.latencyUs.mean), latencyText(d.latencyUs.p50), latencyText(d.latencyUs.p99), latencyText(d.latencyUs.p999), latencyText(d.latencyUs.max)]);
    }
  }
  const directions = rows.length === 0 ? '' : '\n' + formatTable(['scenario', 'dir', 'IOPS', 'MB/s', 'mean us', 'p50 us', 'p99 us', 'p99.9 us', 'max us'], rows);
  return main + directions + '\n' + windowLines(results);
}

/** The share of IOVA allocations above the rcache's largest class, as printed. */
export function tooLargeShare(r: SimulationResult): string {
  const all = r.rcache.hits + r.rcache.misses + r.rcache.tooLarge;
  return all === 0 ? '0%' : `${((100 * r.rcache.tooLarge) / all).toFixed(0)}%`;
}

/** "measured 150 ms after a 50 ms warm-up", once when every run shares it, else one line per run. */
function windowLines(results: readonly SimulationResult[]): string {
  const texts = results.map((r) => measuredWindowText(r));
  if (texts.every((t) => t === texts[0])) return `${texts[0] ?? ''}\n`;
  return results.map((r, i) => `${r.scenario.name}: ${texts[i]}\n`).join('');
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
      result = simulate(scenario);
    } catch (error) {
      if (error instanceof Error && /unknown allocator|kernel version/.test(error.message)) throw new UserError(error.message);
      throw error;
    }
    if (options.json) io.stdout.write(JSON.stringify({ ...result, scenario }, null, 2) + '\n');
    else io.stdout.write(platformHeader([scenario]) + summaryTable([result]));
    return 0;
  },
};
