/**
 * `iovasim seed-story` (what `npm start` runs): the built-in 128-CPU SAS scenario in each variant of
 * the 2021-22 story, simulated side by side on all cores, with the published figures and ratios.
 */
import { availableParallelism } from 'node:os';
import { formatRate, formatTable } from '../../report/table.js';
import type { SimulationResult } from '../../sim/engine.js';
import { simulateAll } from '../../sim/parallel.js';
import { PUBLISHED_RATIOS, storyVariants, withinBand } from '../../sim/seed-story.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

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
    const variants = storyVariants();
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
    const ratios = PUBLISHED_RATIOS.map((r) => {
      const simulated = (byKey.get(r.numerator) as SimulationResult).iops / (byKey.get(r.denominator) as SimulationResult).iops;
      return { ...r, simulated, within: withinBand(simulated, r.published) };
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
        ['published comparison', 'published', 'ratio', 'simulated', '±25%', 'source'],
        ratios.map((r) => [r.label, r.publishedText, r.published.toFixed(2), r.simulated.toFixed(2), r.within ? 'yes' : 'NO', r.source]),
      ),
    );
    io.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(1)} s wall. Cost constants and assumptions: README.md, "Cost model".\n`);
    return 0;
  },
};

/** The JSON-friendly part of a result (the scenario is echoed by key, the series kept). */
function summarise(result: SimulationResult): Omit<SimulationResult, 'scenario'> & { scenario: string } {
  return { ...result, scenario: result.scenario.name };
}
