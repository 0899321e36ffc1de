/**
 * `iovasim seed-story` (what `npm start` runs): the built-in 128-CPU SAS scenario in each variant of
 * the 2021-22 story, simulated side by side on all cores, with the published figures and ratios.
 */
import { availableParallelism } from 'node:os';
import { formatRate, formatTable } from '../../report/table.js';
import type { SimulationResult } from '../../sim/engine.js';
import { simulateAll } from '../../sim/parallel.js';
import { storyVariants } from '../../sim/seed-story.js';
import { readExperiments } from '../../validate/experiment.js';
import { METRICS } from '../../validate/metric.js';
import { seedStoryComparisons } from '../../validate/seed-story-comparisons.js';
import { BAND, verdictOf } from '../../validate/verdict.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { ScenarioError } from '../../sim/scenario-schema.js';

const OPTIONS: Record<string, OptionSpec> = {
  workers: { type: 'string', description: 'worker threads (default: one per core)' },
  json: { type: 'boolean', description: 'print the results as JSON instead of tables' },
  help: { type: 'boolean', description: 'show this help' },
};

export const seedStoryCommand: Command = {
  name: 'seed-story',
  summary: 'the main scenario (npm start): the 2021-22 IOVA story on a 128-CPU SAS host, simulated',
  async run(argv, io) {
    const { options, positionals } = parseArgs('seed-story', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim seed-story [--workers N] [--json]', OPTIONS));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`seed-story takes no arguments, got "${positionals[0]}"`);
    const workers = positiveInteger(options, 'workers') ?? availableParallelism();
    // The published comparisons are the experiments marked seed_story (experiments/*.yaml); a variant
    // they need that the story lacks (another kernel) runs too.
    let experiments: ReturnType<typeof readExperiments>;
    try {
      experiments = readExperiments();
    } catch (error) {
      if (error instanceof ScenarioError) throw new UserError(error.message);
      throw error;
    }
    const { variants, comparisons } = seedStoryComparisons(storyVariants(), experiments);
    const base = variants[0].scenario;
    const started = Date.now();
    if (!options.json) {
      io.stdout.write(
        `iovasim seed story: ${base.cpus} CPUs, ${base.disks.count} SAS SSDs behind one HBA (host ${base.host.preset}), ` +
          `fio bs=4k rw=read iodepth=128, ${base.jobs[0].numjobs} threads; ${base.durationMs - base.warmupMs} ms measured ` +
          `after ${base.warmupMs} ms warm-up and ${base.ageingMaps} ageing maps; ${variants.length} variants on ${workers} worker(s)\n\n`,
      );
    }
    const results = await simulateAll(
      variants.map((v) => v.scenario),
      {
        workers,
        onResult: (index) => {
          if (!options.json && io.isTTY) io.stderr.write(`  done: ${variants[index].key} ${variants[index].label}\n`);
        },
      },
    );
    const byKey = new Map<string, SimulationResult>(variants.map((v, i) => [v.key, results[i]]));
    const ratios = comparisons.map((c) => {
      const metric = METRICS[c.experiment.metric].of;
      const verdict = verdictOf(metric(byKey.get(c.numerator) as SimulationResult) / metric(byKey.get(c.denominator) as SimulationResult), c.experiment.published.ratio);
      return {
        experiment: c.experiment.id,
        label: c.experiment.title,
        numerator: c.numerator,
        denominator: c.denominator,
        published: c.experiment.published.ratio,
        publishedText: c.experiment.published.text,
        simulated: verdict.simulated,
        within: verdict.inside,
        role: c.experiment.role === 'calibration' ? `calibration of ${c.experiment.calibrates.join(', ')}` : 'prediction',
        source: c.experiment.source,
      };
    });
    if (options.json) {
      io.stdout.write(
        JSON.stringify(
          {
            variants: variants.map((v, i) => ({ key: v.key, label: v.label, result: summarise(results[i]) })),
            ratios,
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    const rows = variants.map((v, i) => {
      const r = results[i];
      return [
        `(${v.key}) ${v.label}`,
        formatRate(r.iops),
        r.biosPerRequest.toFixed(1),
        r.mapping.cpuNsPerIo.toFixed(0),
        r.mapping.treeStepsPerMap.toFixed(0),
        `${(r.lock.utilisation * 100).toFixed(0)}%`,
        r.lock.waitNsPerIo.toFixed(0),
        `${(r.rcache.hitRate * 100).toFixed(0)}%`,
        String(r.allocator.liveIovas),
        r.latencyUs.p99.toFixed(0),
      ];
    });
    io.stdout.write(formatTable(['variant', 'IOPS', 'bios/req', 'map ns/IO', 'steps/map', 'lock busy', 'lock wait ns/IO', 'rcache hit', 'live IOVAs', 'p99 us'], rows));
    io.stdout.write('\n');
    io.stdout.write(
      formatTable(
        ['published comparison (experiment)', 'variants', 'published', 'ratio', 'simulated', `±${BAND * 100}%`, 'role'],
        ratios.map((r) => [r.experiment, `${r.numerator} / ${r.denominator}`, r.publishedText, r.published.toFixed(2), r.simulated.toFixed(2), r.within ? 'yes' : 'NO', r.role]),
      ),
    );
    io.stdout.write(
      'A calibration ratio was fitted (its constant was set so that it matches), so its verdict proves nothing;\n' +
        'only predictions test the model. Sources, misses and the other experiments: iovasim validate.\n',
    );
    io.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(1)} s wall. Cost constants and assumptions: README.md, "Cost model".\n`);
    return 0;
  },
};

/** The JSON-friendly part of a result (the scenario is echoed by key, the series kept). */
function summarise(result: SimulationResult): Omit<SimulationResult, 'scenario'> & { scenario: string } {
  return { ...result, scenario: result.scenario.name };
}
