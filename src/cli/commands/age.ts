/**
 * `iovasim age [SCENARIO.yaml] [--preset NAME]`: the domain over a host's uptime. One run ages the
 * domain through the longest uptime asked for and prints the time series of its background mix
 * (src/sim/ageing.ts); then each uptime gets a short measured run of the scenario's own jobs on the
 * domain aged that long, and its IOPS. A scenario without an `ageing:` block gets the assumed mix
 * of sasBackgroundMix() (src/sim/presets.ts).
 */
import { writeFile } from 'node:fs/promises';
import { lineChart, PALETTE } from '../../report/svg.js';
import { formatRate, formatTable } from '../../report/table.js';
import type { AgeingSample } from '../../sim/ageing.js';
import { simulate, type SimulationResult } from '../../sim/engine.js';
import { PRESETS, sasBackgroundMix } from '../../sim/presets.js';
import { ScenarioError, type Scenario } from '../../sim/scenario.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { applyOverrides, loadScenario } from './simulate.js';

const OPTIONS: Record<string, OptionSpec> = {
  preset: { type: 'string', description: `start from a built-in scenario (${Object.keys(PRESETS).join(', ')})` },
  uptimes: { type: 'string', description: 'uptimes in hours to measure at, comma-separated', default: '0,1,8,24' },
  depot: { type: 'string', description: 'depot per size class: slots (32 before 6.7) or "list" (6.7); default the kernel\'s' },
  cpus: { type: 'string', description: 'number of CPUs' },
  duration: { type: 'string', description: 'simulated milliseconds of each measured run' },
  seed: { type: 'string', description: 'seed for every random choice' },
  svg: { type: 'string', description: 'also write the time series as an SVG chart to this file' },
  help: { type: 'boolean', description: 'show this help' },
};

function parseUptimes(raw: string): number[] {
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 100_000 || raw.trim() === '')) {
    throw new UsageError(`--uptimes: must be hours from 0 to 100000, comma-separated, got "${raw}"`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function parseDepot(raw: string | undefined): number | 'list' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'list') return 'list';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 4096) throw new UsageError(`--depot: must be a number of slots from 1 to 4096 or "list", got "${raw}"`);
  return n;
}

/** The scenario aged `hours` (its own mix, or the assumed one), with the legacy ageing count off. */
function agedScenario(base: Scenario, hours: number): Scenario {
  const model = base.ageing ?? sasBackgroundMix(base.cpus, hours);
  return { ...base, ageingMaps: 0, ageing: { ...model, uptimeHours: hours, sampleHours: Math.min(model.sampleHours, Math.max(hours, 0.001)) } };
}

function run(scenario: Scenario): SimulationResult {
  try {
    return simulate(scenario);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UserError(error.message);
    throw error;
  }
}

export function ageingTable(samples: readonly AgeingSample[]): string {
  return formatTable(
    ['uptime h', 'live IOVAs', 'in magazines', 'in depots', 'depot mags', 'tree ranges', 'largest free 32-bit', '32-bit fails', 'max32 resets', 'steps/tree alloc', 'depot overflows', 'trims'],
    samples.map((s) => [
      s.uptimeHours.toFixed(2),
      String(s.liveIovas),
      String(s.parkedInMagazines),
      String(s.parkedInDepots),
      String(s.depotMagazines),
      String(s.treeRanges),
      String(s.largestFree32),
      String(s.sac32Failures),
      String(s.max32Resets),
      s.walkStepsPerTreeAlloc.toFixed(1),
      String(s.depotOverflows),
      String(s.depotTrims),
    ]),
  );
}

export const ageCommand: Command = {
  name: 'age',
  summary: "a host's IOVA domain over hours of uptime under a background mix: time series, and IOPS measured at chosen uptimes",
  async run(argv, io) {
    const { options, positionals } = parseArgs('age', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim age [SCENARIO.yaml] [--preset NAME] [--uptimes 0,1,8,24] [--depot 32|128|list] [--svg FILE]', OPTIONS));
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('takes at most one scenario file');
    const uptimes = parseUptimes(String(options.uptimes));
    const depot = parseDepot(options.depot as string | undefined);
    let base = applyOverrides(await loadScenario(positionals[0], options.preset as string | undefined), { cpus: options.cpus, duration: options.duration, seed: options.seed });
    if (depot !== undefined) base = { ...base, depot };
    const longest = uptimes[uptimes.length - 1];
    const longestRun = run(agedScenario(base, longest));
    const series = longestRun.ageing;
    const mix = agedScenario(base, longest).ageing;
    io.stdout.write(`${base.name}, kernel ${base.kernel}, depot ${base.depot ?? 'as the kernel has it'}; background mix${base.ageing === undefined ? ' (assumed: src/sim/presets.ts sasBackgroundMix)' : ''}: ${(mix?.streams ?? []).map((s) => `${s.name} ${formatRate(s.ratePerSecond)}/s`).join(', ')}\n`);
    if (series !== undefined) {
      io.stdout.write(`time compression: 1 simulated s = ${series.compression.toFixed(0)} s of uptime; ${series.maps} background maps\n\n`);
      io.stdout.write(ageingTable(series.samples));
    }
    const rows: string[][] = [];
    for (const hours of uptimes) {
      const result = hours === longest ? longestRun : run(agedScenario(base, hours));
      rows.push([hours.toString(), formatRate(result.iops), result.mapping.treeStepsPerMap.toFixed(1), `${(result.lock.utilisation * 100).toFixed(0)}%`, result.lock.waitNsPerIo.toFixed(0), `${(result.rcache.hitRate * 100).toFixed(1)}%`, String(result.rcache.depotMagazines), String(result.allocator.liveIovas)]);
    }
    io.stdout.write(`\nmeasured ${base.durationMs - base.warmupMs} ms of the scenario's jobs after each uptime:\n`);
    io.stdout.write(formatTable(['uptime h', 'IOPS', 'steps/map', 'lock busy', 'lock wait ns/IO', 'rcache hit', 'depot mags', 'live IOVAs'], rows));
    if (typeof options.svg === 'string' && series !== undefined) {
      const samples = series.samples;
      const line = (name: string, i: number, value: (s: AgeingSample) => number) => ({ name, colour: PALETTE[i], points: samples.map((s) => ({ x: s.uptimeHours, y: value(s) })) });
      const svg = lineChart({
        id: 'ageing',
        title: `${base.name}: the IOVA domain over uptime`,
        description: 'IOVAs live, parked in magazines and in depots, and the largest free run below 4 GiB, sampled over the uptime',
        xLabel: 'uptime (hours)',
        yLabel: 'IOVAs / granules',
        series: [
          line('live IOVAs', 0, (s) => s.liveIovas),
          line('parked in magazines', 1, (s) => s.parkedInMagazines),
          line('parked in depots', 2, (s) => s.parkedInDepots),
          line('largest free 32-bit run (granules)', 3, (s) => s.largestFree32),
        ],
      });
      await writeFile(options.svg, svg + '\n');
    }
    return 0;
  },
};
