/**
 * `iovasim sweep FILE --out DIR [--workers N] [--queue URL] [--report]`: expands a sweep file into
 * points and runs them — on every core (worker threads), or through a BullMQ queue on Redis served
 * by `iovasim worker` on any number of machines — storing each point's summary in DIR/results.jsonl
 * as it finishes. Re-run, it skips the points already stored (resume). docs/sweep.md has the format.
 */
import { join } from 'node:path';
import { loadSweepFile, SweepError, type SweepPoint, type SweepSpec } from '../../sweep/grid.js';
import type { SweepRunOutcome } from '../../sweep/local.js';
import { writeSweepReport } from '../../sweep/report.js';
import { ResultsStore, ResultsStoreError } from '../../sweep/results.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command, CommandIo } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  out: { type: 'string', description: 'directory for results.jsonl (and index.html with --report); required' },
  workers: { type: 'string', description: 'worker threads for a local run (default: every core)' },
  queue: { type: 'string', description: 'distributed: enqueue on BullMQ at redis://HOST:PORT/DB[?queue=NAME] (or redis+unix:///path.sock) and collect what `iovasim worker` returns' },
  report: { type: 'boolean', description: 'write DIR/index.html: a table and charts across the grid' },
  limit: { type: 'string', description: 'run at most N of the missing points, then stop (resume later)' },
  attempts: { type: 'string', description: 'with --queue: tries per point before it fails', default: '5' },
  'backoff-ms': { type: 'string', description: 'with --queue: first retry delay, doubling each retry', default: '1000' },
  'poll-ms': { type: 'string', description: 'with --queue: how often to collect finished points', default: '500' },
  list: { type: 'boolean', description: 'print the points (id, axis values, seed) and exit' },
  help: { type: 'boolean', description: 'show this help' },
};

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** "12/40 points, 3.1/s, ETA 9s" on one stderr line, redrawn at most 10 times a second. */
function progressReporter(io: CommandIo, total: number): { update: (done: number) => void; done: () => void } {
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done) {
      if (!io.isTTY) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const rate = done / Math.max(1e-3, (now - started) / 1000);
      const eta = done > 0 ? formatDuration(((total - done) / rate) * 1000) : '?';
      io.stderr.write(`\rsweep: ${done}/${total} points, ${rate.toFixed(1)}/s, ETA ${eta}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr.write('\r\x1b[K');
    },
  };
}

/** loadSweepFile(), its SweepError (file, line, field) as the command's one error line. */
async function loadSweep(file: string): Promise<{ spec: SweepSpec; points: SweepPoint[] }> {
  try {
    return await loadSweepFile(file);
  } catch (error) {
    if (error instanceof SweepError) throw new UserError(error.message);
    throw error;
  }
}

export interface SweepCommandHooks {
  /** Stops taking new points (points running finish and are stored). */
  readonly signal?: AbortSignal;
}

/** The command with an abort signal for tests and embedding; the CLI aborts on SIGINT/SIGTERM. */
export async function runSweepCommand(argv: readonly string[], io: CommandIo, hooks: SweepCommandHooks = {}): Promise<number> {
  const { options, positionals } = parseArgs('sweep', argv, OPTIONS);
  if (options.help) {
    io.stdout.write(helpText('usage: iovasim sweep SWEEP.yaml --out DIR [--workers N | --queue URL] [--report]', OPTIONS));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('needs exactly one sweep file');
  const { spec, points } = await loadSweep(positionals[0]);
  // A fio job file's unsimulated options, once, before anything runs (as `run` prints them).
  for (const note of points[0]?.workloadNotes ?? []) io.stderr.write(`note: ${note}\n`);
  if (options.list) {
    for (const p of points) io.stdout.write(`${p.id}  seed=${p.seed}  ${Object.entries(p.axes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}\n`);
    return 0;
  }
  const out = options.out as string | undefined;
  if (out === undefined) throw new UsageError('--out DIR is required');
  const workers = positiveInteger(options, 'workers');
  const limit = positiveInteger(options, 'limit');
  if (options.queue !== undefined && workers !== undefined) throw new UsageError('--workers is for local runs; with --queue, start `iovasim worker --concurrency N` instead');
  if (options.queue !== undefined && limit !== undefined) throw new UsageError('--limit is for local runs');

  let store: ResultsStore;
  try {
    store = await ResultsStore.open(out);
  } catch (error) {
    if (error instanceof ResultsStoreError) throw new UserError(error.message);
    throw error;
  }
  if (store.tornBytes > 0) io.stderr.write(`sweep: ${store.path}: dropped a torn last line (${store.tornBytes} bytes) left by an interrupted run\n`);

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  if (hooks.signal?.aborted) controller.abort();
  hooks.signal?.addEventListener('abort', onSignal, { once: true });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcome: SweepRunOutcome;
  let progress: ReturnType<typeof progressReporter> | undefined;
  // piscina (local) and bullmq (queue) load only here: seconds of start-up the other paths skip.
  let failures: readonly (abstract new (...args: never[]) => Error)[] = [];
  try {
    progress = progressReporter(io, points.filter((p) => !store.has(p.id)).length);
    if (options.queue !== undefined) {
      const { parseQueueUrl, QueueUrlError, submitSweep, SweepJobFailedError } = await import('../../sweep/queue.js');
      failures = [SweepJobFailedError, (await import('../../sweep/local.js')).SweepMismatchError];
      let target;
      try {
        target = parseQueueUrl(options.queue as string);
      } catch (error) {
        if (error instanceof QueueUrlError) throw new UsageError(`--queue: ${error.message}`);
        throw error;
      }
      io.stderr.write(`sweep: ${points.length} points on queue ${target.queueName} at ${target.display}; start workers with: iovasim worker --queue ${target.display}\n`);
      outcome = await submitSweep(points, store, target, {
        attempts: positiveInteger(options, 'attempts'),
        backoffMs: positiveInteger(options, 'backoff-ms'),
        pollMs: positiveInteger(options, 'poll-ms'),
        signal: controller.signal,
        onProgress: (done) => progress?.update(done),
      });
    } else {
      const { runSweepLocally, SweepMismatchError } = await import('../../sweep/local.js');
      failures = [SweepMismatchError];
      outcome = await runSweepLocally(points, store, { workers, limit, signal: controller.signal, onProgress: (done) => progress?.update(done) });
    }
  } catch (error) {
    if (failures.some((kind) => error instanceof kind)) throw new UserError((error as Error).message);
    throw error;
  } finally {
    progress?.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    hooks.signal?.removeEventListener('abort', onSignal);
    await store.close();
  }
  const perMinute = outcome.ran > 0 ? (outcome.ran / Math.max(1, outcome.elapsedMs)) * 60_000 : 0;
  io.stdout.write(
    `sweep ${spec.name}: ${outcome.total} points, ${outcome.skipped} already done, ${outcome.ran} run in ${(outcome.elapsedMs / 1000).toFixed(1)} s` +
      `${outcome.ran > 0 ? ` (${perMinute.toFixed(0)} points/min${outcome.workers > 0 ? ` on ${outcome.workers} worker thread(s)` : ''})` : ''}; results in ${join(out, 'results.jsonl')}\n`,
  );
  if (options.report) {
    const reopened = await ResultsStore.open(out);
    const ids = new Set(points.map((p) => p.id));
    const results = reopened.all().filter((r) => ids.has(r.id));
    await reopened.close();
    io.stdout.write(`report: ${await writeSweepReport(out, spec, results, points.length)}\n`);
  }
  if (!outcome.complete) {
    io.stderr.write(`sweep: stopped with ${outcome.total - outcome.skipped - outcome.ran} point(s) still to run; run the same command again to resume\n`);
    return 3;
  }
  return 0;
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a parameter sweep (grid of scenarios × seeds) on every core or on BullMQ workers, resumable',
  run: (argv, io) => runSweepCommand(argv, io),
};
