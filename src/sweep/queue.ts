/**
 * Distributed sweeps on BullMQ (Redis). The submitter enqueues every point not yet in its results
 * store as a job whose id is the point id (re-submitting is idempotent: BullMQ keeps one job per id),
 * with retries and exponential backoff; workers on any machine take jobs, simulate them and return
 * the summary as the job's return value (only summaries travel through Redis). A worker that dies
 * holding a job stops renewing its lock; after the lock expires another worker's stalled-job check
 * puts the job back in the queue. The submitter polls its jobs, appends each completed one to the
 * results store (deduplicated by point id) and returns when the grid is complete.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Job, Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Piscina } from 'piscina';
import type { SweepPoint } from './grid.js';
import { pendingPoints, SweepMismatchError, taskOf, type SweepRunOutcome } from './local.js';
import { runPoint, type PointTask } from './point-worker.js';
import type { PointSummary, ResultsStore } from './results.js';

export const DEFAULT_QUEUE_NAME = 'iovasim-sweep';

export class QueueUrlError extends Error {}

export interface QueueTarget {
  readonly connection: ConnectionOptions & { host?: string; port?: number; path?: string; db?: number };
  readonly queueName: string;
  /** The URL without any password, for messages. */
  readonly display: string;
}

/**
 * `redis://[user:password@]HOST[:PORT][/DB][?queue=NAME]`, `rediss://…` (TLS), or
 * `redis+unix:///path/to/redis.sock[?db=N&queue=NAME]`.
 */
export function parseQueueUrl(text: string): QueueTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new QueueUrlError(`"${text}" is not a URL (expected redis://HOST:PORT/DB or redis+unix:///path/redis.sock)`);
  }
  const queueName = url.searchParams.get('queue') ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(queueName)) throw new QueueUrlError(`queue name "${queueName}" may hold only letters, digits, _ . -`);
  const dbText = url.protocol === 'redis+unix:' || url.protocol === 'unix:' ? (url.searchParams.get('db') ?? '0') : url.pathname.replace(/^\//, '') || '0';
  const db = Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(`database "${dbText}" is not a number`);
  const auth = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  const safe = new URL(url.href);
  safe.password = '';
  const display = safe.href;
  // BullMQ workers need maxRetriesPerRequest: null (block on reconnects instead of failing commands).
  if (url.protocol === 'redis+unix:' || url.protocol === 'unix:') {
    if (url.pathname === '') throw new QueueUrlError(`${display}: no socket path`);
    return { connection: { path: decodeURIComponent(url.pathname), db, maxRetriesPerRequest: null, ...auth }, queueName, display };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new QueueUrlError(`${display}: scheme must be redis:, rediss: or redis+unix:`);
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    connection: { host: url.hostname, port, db, maxRetriesPerRequest: null, ...(url.protocol === 'rediss:' ? { tls: {} } : {}), ...auth },
    queueName,
    display,
  };
}

export interface SubmitOptions {
  /** Tries per point before it counts as failed (default 5). */
  readonly attempts?: number;
  /** First retry delay; doubles each retry (default 1000 ms). */
  readonly backoffMs?: number;
  /** How often to look for finished jobs (default 500 ms). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export class SweepJobFailedError extends Error {}

/** Enqueues the missing points and collects their summaries into the store until the grid is complete. */
export async function submitSweep(points: readonly SweepPoint[], store: ResultsStore, target: QueueTarget, options: SubmitOptions = {}): Promise<SweepRunOutcome> {
  const started = Date.now();
  const pending = pendingPoints(points, store);
  const skipped = points.length - pending.length;
  const queue = new Queue<PointTask, PointSummary>(target.queueName, { connection: target.connection });
  let ran = 0;
  try {
    const attempts = options.attempts ?? 5;
    const backoffMs = options.backoffMs ?? 1000;
    for (let i = 0; i < pending.length; i += 500) {
      await queue.addBulk(
        pending.slice(i, i + 500).map((point) => ({
          name: 'point',
          data: taskOf(point),
          opts: { jobId: point.id, attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: false, removeOnFail: false },
        })),
      );
    }
    const outstanding = new Map(pending.map((p) => [p.id, p]));
    const failures: string[] = [];
    const pollMs = options.pollMs ?? 500;
    while (outstanding.size > 0 && options.signal?.aborted !== true) {
      const ids = [...outstanding.keys()];
      for (let i = 0; i < ids.length; i += 200) {
        const jobs = await Promise.all(ids.slice(i, i + 200).map((id) => Job.fromId<PointTask, PointSummary>(queue, id)));
        for (const [k, job] of jobs.entries()) {
          const id = ids[i + k];
          const point = outstanding.get(id) as SweepPoint;
          if (job === undefined) {
            // Removed from Redis behind our back (obliterate, eviction): enqueue it again.
            await queue.add('point', taskOf(point), { jobId: id, attempts, backoff: { type: 'exponential', delay: backoffMs } });
            continue;
          }
          if (job.finishedOn === undefined) continue;
          const state = await job.getState();
          if (state === 'completed') {
            const summary = job.returnvalue;
            if (summary === null || typeof summary !== 'object' || summary.fingerprint !== point.fingerprint) {
              throw new SweepMismatchError(`queue ${target.queueName}: job ${id} holds a result for a different scenario; use another queue name (?queue=NAME) or empty this one`);
            }
            if (await store.append(summary)) ran++;
            outstanding.delete(id);
            options.onProgress?.(ran, pending.length);
          } else if (state === 'failed') {
            failures.push(`${id} (${point.scenario.name}): ${job.failedReason}`);
            outstanding.delete(id);
          }
        }
      }
      if (outstanding.size > 0) await sleep(pollMs, options.signal);
    }
    if (failures.length > 0) throw new SweepJobFailedError(`${failures.length} point(s) failed after every attempt:\n  ${failures.slice(0, 10).join('\n  ')}`);
  } finally {
    await queue.close();
  }
  return { total: points.length, skipped, ran, complete: points.every((p) => store.has(p.id)), elapsedMs: Date.now() - started, workers: 0 };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface WorkerOptions {
  /** Points simulated at once (default: every core). */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is retried after this (default 30 s). */
  readonly lockMs?: number;
  /** How often this worker looks for stalled jobs of dead workers (default 30 s). */
  readonly stalledMs?: number;
  /** Called after each point this worker finishes. */
  readonly onPoint?: (summary: PointSummary) => void;
}

export interface SweepWorker {
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
  readonly processed: () => number;
}

const workerUrl = new URL('./point-worker.js', import.meta.url);

function checkTask(data: unknown): PointTask {
  const task = data as PointTask;
  if (task === null || typeof task !== 'object' || typeof task.id !== 'string' || typeof task.scenario !== 'object') throw new Error('job data is not an iovasim sweep point');
  return task;
}

/** Starts a worker that takes points from the queue until close(). */
export async function startSweepWorker(target: QueueTarget, options: WorkerOptions = {}): Promise<SweepWorker> {
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  // Simulations run on worker threads so this thread stays free to renew job locks; run from
  // TypeScript source there is no point-worker.js, and they run here (keep them shorter than the lock).
  const pool = existsSync(fileURLToPath(workerUrl)) ? new Piscina<PointTask, PointSummary>({ filename: workerUrl.href, minThreads: concurrency, maxThreads: concurrency }) : null;
  let processed = 0;
  const worker = new Worker<PointTask, PointSummary>(
    target.queueName,
    async (job) => {
      const task = checkTask(job.data);
      const summary = pool ? await pool.run(task) : runPoint(task);
      processed++;
      options.onPoint?.(summary);
      return summary;
    },
    {
      connection: target.connection,
      concurrency,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.stalledMs ?? 30_000,
      maxStalledCount: 3,
      autorun: true,
    },
  );
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await pool?.destroy();
    },
    processed: () => processed,
  };
}
