/**
 * `iovasim iova-trace FILE --kernel VERSION [--bench]`: replays a conformance trace and prints what
 * the kernel printed. With --bench, times parsing and replay separately (medians of several runs
 * after a warm-up, wall and CPU time; ../../bench/replay-bench.ts) and reports them on stderr.
 */
import { kernelProfile, KernelVersionError } from '../../allocators/kernel-version.js';
import { parseIovaTrace, runIovaTraceBytes, TraceError, type IovaTrace } from '../../conformance/iova-trace.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { readInputFile } from '../input-file.js';

const DEFAULT_RUNS = 7;

const OPTIONS: Record<string, OptionSpec> = {
  kernel: { type: 'string', description: 'kernel version to model (5.10 or later, e.g. 5.11, 5.15.89, 6.1.7, 7.0)', default: '7.0' },
  bench: { type: 'boolean', description: 'also time parsing and replay separately (wall and CPU ns/op, ops/s) on stderr' },
  runs: { type: 'string', description: 'timed runs with --bench', default: String(DEFAULT_RUNS) },
  help: { type: 'boolean', description: 'show this help' },
};

/** The trace file's bytes, parsed; unreadable files and malformed traces become UserErrors. */
export async function readTrace(file: string): Promise<IovaTrace> {
  return parseTraceBytes(await readInputFile(file), file);
}

function parseTraceBytes(bytes: Uint8Array, file: string): IovaTrace {
  try {
    return parseIovaTrace(bytes, file);
  } catch (error) {
    if (error instanceof TraceError) throw new UserError(error.message);
    throw error;
  }
}

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
    const file = positionals[0];
    const bytes = await readInputFile(file);
    io.stdout.write(runIovaTraceBytes(parseTraceBytes(bytes, file), profile));
    if (options.bench) {
      // Loaded only for --bench: a plain replay's start-up loads nothing it does not run.
      const { formatTraceTiming, timeTrace } = await import('../../bench/replay-bench.js');
      io.stderr.write(formatTraceTiming(file, version, timeTrace(bytes, file, profile, runs)));
    }
    return 0;
  },
};
