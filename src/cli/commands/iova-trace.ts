/**
 * `iovasim iova-trace FILE --kernel VERSION [--bench]`: replays a conformance trace and prints what
 * the kernel printed. With --bench, times the replay (median of several runs after a warm-up) and
 * reports ns/op and ops/s on stderr.
 */
import { readFile } from 'node:fs/promises';
import { kernelProfile, KernelVersionError } from '../../allocators/kernel-version.js';
import { parseIovaTrace, runIovaTrace, TraceError, type IovaTrace } from '../../conformance/iova-trace.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const DEFAULT_RUNS = 7;

const OPTIONS: Record<string, OptionSpec> = {
  kernel: { type: 'string', description: 'kernel version to model (5.10 or later, e.g. 5.11, 5.15.89, 6.1.7, 7.0)', default: '7.0' },
  bench: { type: 'boolean', description: 'also time the replay; ns/op and ops/s go to stderr' },
  runs: { type: 'string', description: 'timed runs with --bench', default: String(DEFAULT_RUNS) },
  help: { type: 'boolean', description: 'show this help' },
};

export async function readTrace(file: string): Promise<IovaTrace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseIovaTrace(text, file);
  } catch (error) {
    if (error instanceof TraceError) throw new UserError(error.message);
    throw error;
  }
}

// The timing lives beside the benchmarks so that src/bench/ need not import the CLI.
export { timeReplay, type ReplayTiming } from '../../bench/replay-timing.js';
import { timeReplay } from '../../bench/replay-timing.js';

export const iovaTraceCommand: Command = {
  name: 'iova-trace',
  summary: "replay a conformance trace against the Linux IOVA domain and print what the kernel printed",
  async run(argv, io) {
    const { positionals, options } = parseArgs('iova-trace', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim iova-trace FILE [--kernel VERSION] [--bench]', OPTIONS));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('needs exactly one FILE');
    const version = String(options.kernel);
    let profile;
    try {
      profile = kernelProfile(version);
    } catch (error) {
      if (error instanceof KernelVersionError) throw new UsageError(`--kernel: ${error.message}`);
      throw error;
    }
    const runs = positiveInteger(options, 'runs') ?? DEFAULT_RUNS;
    const trace = await readTrace(positionals[0]);
    io.stdout.write(runIovaTrace(trace, profile));
    if (options.bench) {
      const timing = timeReplay(trace, version, runs);
      io.stderr.write(
        `replay ${positionals[0]} (kernel ${version}): ${timing.ops} ops, median of ${timing.runs} runs ` +
          `${timing.medianMs.toFixed(2)} ms, ${timing.nsPerOp.toFixed(1)} ns/op, ${Math.round(timing.opsPerSecond)} ops/s\n`,
      );
    }
    return 0;
  },
};
