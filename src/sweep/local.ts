/**
 * Runs sweep points on every core: a piscina worker-thread pool simulates points and returns their
 * summaries; each is appended to the results store as it finishes. Points already in the store are
 * skipped (resume). Run from TypeScript source (vitest) there is no point-worker.js beside this file,
 * so points are simulated in this thread instead, one at a time.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { SweepPoint } from './grid.js';
import { runPoint, type PointTask } from './point-worker.js';
import type { PointSummary, ResultsStore } from './results.js';

export interface SweepRunOptions {
  /** Worker threads (default: every core). */
  readonly workers?: number;
  /** Stop taking new points once aborted; points already running still finish and are stored. */
  readonly signal?: AbortSignal;
  /** Run at most this many points, then stop (tests). */
  readonly limit?: number;
  /** Called after each stored point: points stored in this run and points still to run at the start. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SweepRunOutcome {
  /** Points in the grid. */
  readonly total: number;
  /** Already in the store when the run started. */
  readonly skipped: number;
  /** Simulated and stored by this run. */
  readonly ran: number;
  /** Whole grid present in the store at the end. */
  readonly complete: boolean;
  readonly elapsedMs: number;
  readonly workers: number;
}

const workerUrl = new URL('./point-worker.js', import.meta.url);

export class SweepMismatchError extends Error {}

/** Points not yet in the store; a stored result for a different scenario under the same id is an error. */
export function pendingPoints(points: readonly SweepPoint[], store: ResultsStore): SweepPoint[] {
  const pending: SweepPoint[] = [];
  for (const point of points) {
    const stored = store.get(point.id);
    if (stored === undefined) pending.push(point);
    else if (stored.fingerprint !== point.fingerprint) {
      throw new SweepMismatchError(`${store.path}: point ${point.id} (${point.scenario.name}) was stored for a different scenario (fingerprint ${stored.fingerprint}, now ${point.fingerprint}): the base changed since; use a new --out directory`);
    }
  }
  return pending;
}

export function taskOf(point: SweepPoint): PointTask {
  return { id: point.id, axes: point.axes, repeat: point.repeat, seed: point.seed, fingerprint: point.fingerprint, scenario: point.scenario, ...(point.fioWorkload === undefined ? {} : { fioWorkload: point.fioWorkload }) };
}

export async function runSweepLocally(points: readonly SweepPoint[], store: ResultsStore, options: SweepRunOptions = {}): Promise<SweepRunOutcome> {
  const started = Date.now();
  const pending = pendingPoints(points, store);
  const skipped = points.length - pending.length;
  const todo = pending.slice(0, options.limit ?? pending.length);
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.max(1, todo.length)));
  let ran = 0;
  const stored = async (summary: PointSummary): Promise<void> => {
    if (await store.append(summary)) ran++;
    options.onProgress?.(ran, pending.length);
  };
  const aborted = (): boolean => options.signal?.aborted === true;

  if (!existsSync(fileURLToPath(workerUrl))) {
    for (const point of todo) {
      if (aborted()) break;
      await stored(runPoint(taskOf(point)));
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    const pool = new Piscina<PointTask, PointSummary>({ filename: workerUrl.href, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
    try {
      let next = 0;
      // Each lane keeps one point in flight; with as many lanes as threads every core stays busy.
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next < todo.length && !aborted()) {
            const point = todo[next++];
            await stored(await pool.run(taskOf(point)));
          }
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { total: points.length, skipped, ran, complete: points.every((p) => store.has(p.id)), elapsedMs: Date.now() - started, workers };
}
