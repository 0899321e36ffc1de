/**
 * `iovasim worker --queue redis://HOST:PORT/DB[?queue=NAME]`: takes sweep points from the BullMQ
 * queue that `iovasim sweep --queue` fills, simulates them (one per core by default) and returns each
 * summary as the job's result. Runs until SIGINT/SIGTERM, then finishes the points it holds.
 */
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command, CommandIo } from '../command.js';
import { UsageError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  queue: { type: 'string', description: 'redis://HOST:PORT/DB[?queue=NAME] or redis+unix:///path/redis.sock (required)' },
  concurrency: { type: 'string', description: 'points simulated at once (default: every core)' },
  'lock-ms': { type: 'string', description: 'job lock lifetime: a dead worker’s point is retried after this', default: '30000' },
  'stalled-ms': { type: 'string', description: 'how often to look for points held by dead workers', default: '30000' },
  help: { type: 'boolean', description: 'show this help' },
};

/** The command with an abort signal (tests, embedding); the CLI stops on SIGINT/SIGTERM. */
export async function runWorkerCommand(argv: readonly string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  const { options, positionals } = parseArgs('worker', argv, OPTIONS);
  if (options.help) {
    io.stdout.write(helpText('usage: iovasim worker --queue URL [--concurrency N]', OPTIONS));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('takes no positional arguments');
  if (options.queue === undefined) throw new UsageError('--queue URL is required');
  // bullmq loads only once the command is sure to use it.
  const { parseQueueUrl, QueueUrlError, startSweepWorker } = await import('../../sweep/queue.js');
  let target;
  try {
    target = parseQueueUrl(options.queue as string);
  } catch (error) {
    if (error instanceof QueueUrlError) throw new UsageError(`--queue: ${error.message}`);
    throw error;
  }
  const worker = await startSweepWorker(target, {
    concurrency: positiveInteger(options, 'concurrency'),
    lockMs: positiveInteger(options, 'lock-ms'),
    stalledMs: positiveInteger(options, 'stalled-ms'),
    onPoint: (s) => {
      if (io.isTTY) io.stderr.write(`worker: ${s.id} ${s.scenario}: ${s.iops.toFixed(0)} IOPS\n`);
    },
  });
  io.stderr.write(`worker: taking points from queue ${target.queueName} at ${target.display}\n`);
  let stop = (): void => undefined;
  await new Promise<void>((resolve) => {
    stop = (): void => resolve();
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  signal?.removeEventListener('abort', stop);
  await worker.close();
  io.stderr.write(`worker: stopped after ${worker.processed()} point(s)\n`);
  return 0;
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'take sweep points from a BullMQ queue (iovasim sweep --queue), simulate them and return their summaries',
  run: (argv, io: CommandIo) => runWorkerCommand(argv, io),
};
