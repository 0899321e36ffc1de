/**
 * `iovasim validate`: every expressible experiment of experiments/ simulated, its ratio judged
 * against the published one (calibration or prediction), the misses with their reasons; with
 * `--sensitivity`, the tornado of every assumption and calibrated constant at ×0.5 and ×2.
 * Standard output is a function of the experiment files alone; the wall time goes to stderr.
 */
import { availableParallelism } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { sensitivityText, validationHtml, validationText } from '../../report/validation-report.js';
import { checkDeclarations, isParameterPath, readAssumptions } from '../../validate/assumptions.js';
import { DEFAULT_SHORT, EXPERIMENTS_DIR, readExperiments } from '../../validate/experiment.js';
import { defaultParameters, runSensitivity, type Sensitivity } from '../../validate/sensitivity.js';
import { runValidation } from '../../validate/validation.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { ScenarioError } from '../../sim/scenario-schema.js';

const OPTIONS: Record<string, OptionSpec> = {
  short: { type: 'boolean', description: `CI-sized runs: each experiment's short: cut (default ${DEFAULT_SHORT.durationMs} simulated ms, ${DEFAULT_SHORT.warmupMs} ms warm-up, at most ${DEFAULT_SHORT.ageingMaps} ageing maps)` },
  only: { type: 'string', description: 'run only these experiments (ids, comma-separated)' },
  sensitivity: { type: 'boolean', description: 'also vary each assumption and calibrated constant at x0.5 and x2 (the tornado)' },
  parameters: { type: 'string', description: 'with --sensitivity: the parameter paths to vary (default: assumptions marked vary, and every calibrated one)' },
  json: { type: 'boolean', description: 'print the results as JSON instead of tables' },
  report: { type: 'string', description: 'also write a self-contained HTML report (tables and tornado charts) to FILE.html' },
  experiments: { type: 'string', description: 'the folder of experiment files (default: the experiments/ shipped with iovasim)' },
  workers: { type: 'string', description: 'worker threads (default: one per core)' },
  help: { type: 'boolean', description: 'show this help' },
};

const USAGE = 'usage: iovasim validate [--short] [--json] [--report FILE.html] [--only ID[,ID…]] [--sensitivity [--parameters PATH,…]]';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'simulate every published experiment that a scenario can express: simulated vs published ratio, calibration or prediction, sensitivity',
  async run(argv, io) {
    const { options, positionals } = parseArgs('validate', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText(USAGE, OPTIONS));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`validate takes no arguments, got "${positionals[0]}"`);
    const workers = positiveInteger(options, 'workers') ?? availableParallelism();
    const dir = typeof options.experiments === 'string' ? options.experiments : EXPERIMENTS_DIR;
    const { all, assumptions } = readDeclarations(dir);
    const problems = checkDeclarations(all, assumptions);
    if (problems.length > 0) throw new UserError(`${dir}: the rule of calibration is broken: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    let only: string[] | undefined;
    if (typeof options.only === 'string') {
      only = options.only.split(',').map((id) => id.trim());
      const unknown = only.find((id) => !all.some((e) => e.id === id));
      if (unknown !== undefined) throw new UsageError(`--only: no experiment "${unknown}" (known: ${all.map((e) => e.id).join(', ')})`);
    }
    const short = options.short === true;
    let parameters: string[] = [];
    if (options.sensitivity === true) {
      parameters = typeof options.parameters === 'string' ? options.parameters.split(',').map((p) => p.trim()) : defaultParameters(all, assumptions);
      const bad = parameters.find((p) => !isParameterPath(p));
      if (bad !== undefined) throw new UsageError(`--parameters: "${bad}" is not a scenario field (e.g. link_mbps, host.queue_depth, jobs.numjobs, costs.tree_step_ns)`);
    } else if (options.parameters !== undefined) throw new UsageError('--parameters: only with --sensitivity');
    const started = Date.now();
    const progress = (finished: number, total: number): void => {
      if (io.isTTY) io.stderr.write(`\r  ${finished}/${total} simulations`);
    };
    const validation = await runValidation(all, { short, workers, onProgress: progress, ...(only === undefined ? {} : { only }) });
    const sensitivity: Sensitivity | undefined = options.sensitivity === true ? await runSensitivity(all, parameters, { short, workers, onProgress: progress, ...(only === undefined ? {} : { only }) }) : undefined;
    if (io.isTTY) io.stderr.write('\n');
    if (options.json) {
      io.stdout.write(`${JSON.stringify(jsonOf(validation, sensitivity), null, 2)}\n`);
    } else {
      const expressible = validation.outcomes.length;
      io.stdout.write(
        `iovasim validate: ${expressible} experiment(s) simulated, ${validation.notExpressible.length} not expressible yet; ` +
          `${short ? 'short runs' : 'full runs'}, ${validation.simulations} distinct simulations\n\n`,
      );
      io.stdout.write(validationText(validation, assumptions));
      if (sensitivity !== undefined) {
        io.stdout.write(`\nsensitivity: ${sensitivity.parameters.length} parameter(s) at x0.5 and x2, ${sensitivity.simulations} distinct simulations\n\n`);
        io.stdout.write(sensitivityText(sensitivity));
      }
    }
    if (typeof options.report === 'string') {
      try {
        await writeFile(options.report, validationHtml(validation, assumptions, sensitivity, `iovasim validate ${argv.join(' ')}`.trim()), 'utf8');
      } catch (error) {
        throw new UserError(`--report: cannot write ${options.report}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
    io.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s wall on ${workers} worker(s)\n`);
    return 0;
  },
};

/** The experiment files and the assumptions; a bad file is one line naming file, line and field. */
function readDeclarations(dir: string): { all: ReturnType<typeof readExperiments>; assumptions: ReturnType<typeof readAssumptions> } {
  try {
    return { all: readExperiments(dir), assumptions: readAssumptions(dir) };
  } catch (error) {
    if (error instanceof ScenarioError) throw new UserError(error.message);
    throw error;
  }
}

function jsonOf(validation: Awaited<ReturnType<typeof runValidation>>, sensitivity: Sensitivity | undefined): unknown {
  return {
    short: validation.short,
    simulations: validation.simulations,
    experiments: validation.outcomes.map((o) => ({
      id: o.experiment.id,
      role: o.experiment.role,
      metric: o.experiment.metric,
      published: o.experiment.published,
      numerator: { variant: o.experiment.numerator.key, value: o.numerator },
      denominator: { variant: o.experiment.denominator.key, value: o.denominator },
      simulatedRatio: o.verdict.simulated,
      error: o.verdict.error,
      inside: o.verdict.inside,
      flipped: o.verdict.flipped,
      ...(o.verdict.inside ? {} : { missReason: o.experiment.missReason ?? null }),
    })),
    predictions: validation.predictions,
    predictionsInside: validation.predictionsInside,
    calibrations: Object.fromEntries(validation.calibrations),
    notExpressible: validation.notExpressible.map((e) => ({ id: e.id, reason: e.reason })),
    ...(sensitivity === undefined ? {} : { sensitivity: { parameters: sensitivity.parameters, simulations: sensitivity.simulations, rows: sensitivity.rows } }),
  };
}
